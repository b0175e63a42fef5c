"""pytest plugin: fixtures that run a stand-in NOMAD server for your tests."""

from __future__ import annotations

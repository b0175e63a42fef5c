"""Shared fixtures: stand-in servers in both API versions, with two users."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from nomadclient.testing import NomadStandIn

pytest_plugins = ["conformance_plugin"]

USERS = {"alice": "alice-password", "bob": "bob-password"}


@pytest.fixture(params=["2.0", "1.3"])
def api_version(request: pytest.FixtureRequest) -> str:
    """Every test that asks for a server runs against NOMAD 2.0 and 1.3."""
    version: str = request.param
    return version


@pytest.fixture
def server(api_version: str) -> Iterator[NomadStandIn]:
    """A fresh stand-in with users alice and bob and quick processing."""
    with NomadStandIn(
        users=USERS,
        processing_delay=0.01,
        api_version=api_version,  # type: ignore[arg-type]
    ) as running:
        yield running

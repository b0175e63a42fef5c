"""nomadclient: a session SDK for the NOMAD materials-science repository API (v1)."""

from ._version import __version__

__all__ = ["__version__"]

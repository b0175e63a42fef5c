"""A stand-in NOMAD v1 API server for offline tests (needs the `server` extra).

`NomadStandIn` runs it on a loopback port; `python -m nomadclient.testing` serves it from a
shell; the pytest plugin offers the `nomad_server` fixture.
"""

from ._server import NomadStandIn
from ._state import StandInConfig

__all__ = ["NomadStandIn", "StandInConfig"]

"""pytest plugin: fixtures that run a stand-in NOMAD server for your tests.

Installed with nomadclient (entry point `pytest11`), so the fixtures are available without any
import once the `server` extra is installed:

```python
def test_my_code_lists_datasets(nomad_server):
    token = nomad_server.token_for("test")
    ...

@pytest.mark.nomad_server(api_version="1.3", users={"ann": "secret"}, datacite_enabled=True)
def test_against_nomad_13(nomad_server): ...

@pytest.mark.parametrize("nomad_server", ["2.0", "1.3"], indirect=True)
def test_both_versions(nomad_server): ...

def test_my_pipeline(nomad_client):        # a NomadClient logged in to nomad_server
    upload = nomad_client.uploads.create("data.zip").wait_until_processed()
```

The marker's keyword arguments are `NomadStandIn`'s; an indirect parameter is an API version
or a dict of those keyword arguments (and wins over the marker). The server starts fresh for
every test, with `processing_delay=0.01` unless told otherwise.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import pytest

if TYPE_CHECKING:
    from ..client import NomadClient
    from ._server import NomadStandIn

MARKER = "nomad_server"
TEST_PROCESSING_DELAY = 0.01


def pytest_configure(config: pytest.Config) -> None:
    """Register the `nomad_server` marker (keeps `--strict-markers` happy)."""
    config.addinivalue_line(
        "markers",
        f"{MARKER}(**kwargs): NomadStandIn arguments for the nomad_server fixture, "
        "e.g. api_version='1.3', users={'name': 'password'}",
    )


@pytest.fixture
def nomad_server(request: pytest.FixtureRequest) -> Iterator[NomadStandIn]:
    """A fresh stand-in NOMAD server for one test (see the module docs to configure it)."""
    # imported here so that merely having nomadclient installed never breaks pytest runs of
    # projects without the `server` extra
    from ._server import NomadStandIn

    options = _server_options(request)
    with NomadStandIn(**options) as server:
        yield server


@pytest.fixture
def nomad_client(nomad_server: NomadStandIn) -> Iterator[NomadClient]:
    """A `NomadClient` logged in to `nomad_server` as its first user (`test` by default)."""
    from ..client import NomadClient

    with nomad_server.store.lock:
        user = next(iter(nomad_server.store.users.values()))
    with NomadClient(
        nomad_server.api_url, username=user.username, password=user.password
    ) as client:
        yield client


def _server_options(request: pytest.FixtureRequest) -> dict[str, Any]:
    options: dict[str, Any] = {"processing_delay": TEST_PROCESSING_DELAY}
    marker = request.node.get_closest_marker(MARKER)
    if marker is not None:
        if marker.args:
            raise pytest.UsageError(
                f"@pytest.mark.{MARKER} takes keyword arguments only, e.g. api_version='1.3'"
            )
        options.update(marker.kwargs)
    param = getattr(request, "param", None)
    if isinstance(param, str):
        options["api_version"] = param
    elif isinstance(param, dict):
        options.update(param)
    elif param is not None:
        raise pytest.UsageError(
            f"the {MARKER} fixture's indirect parameter must be an API version or a dict"
        )
    return options

"""Shared fixtures: stand-in servers in both API versions, with two users."""

from __future__ import annotations

from collections.abc import Iterator

import keyring
import keyring.backend
import pytest
from keyring.backends import null
from standin_helpers import Api

from nomadclient.testing import NomadStandIn

pytest_plugins = ["conformance_plugin"]

USERS = {"alice": "alice-password", "bob": "bob-password"}


@pytest.fixture(autouse=True)
def _no_personal_credentials(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[None]:
    """Keep the developer's own credentials out of every test.

    The OS keyring becomes an empty one, NOMAD_* variables are removed, the working directory
    is an empty folder (no `.env`) and your own deployment names are not read; tests that need
    any of them set their own.
    """
    for name in ("NOMAD_URL", "NOMAD_TOKEN", "NOMAD_USERNAME", "NOMAD_PASSWORD"):
        monkeypatch.delenv(name, raising=False)
    home = tmp_path_factory.mktemp("cwd")
    monkeypatch.chdir(home)
    monkeypatch.setenv("NOMADCLIENT_DEPLOYMENTS", str(home / "no-deployments.ini"))
    previous = keyring.get_keyring()
    keyring.set_keyring(null.Keyring())  # type: ignore[no-untyped-call]
    yield
    keyring.set_keyring(previous)


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


@pytest.fixture
def alice(server: NomadStandIn) -> Api:
    """A client of `server` logged in as alice."""
    return Api(server, "alice")


@pytest.fixture
def bob(server: NomadStandIn) -> Api:
    """A client of `server` logged in as bob."""
    return Api(server, "bob")


@pytest.fixture
def anonymous(server: NomadStandIn) -> Api:
    """A client of `server` without credentials."""
    return Api(server, None)

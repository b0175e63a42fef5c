"""No password or token in logs, reprs or error messages, over a whole workflow."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from nomadclient import Unauthorized
from nomadclient.testing import NomadStandIn

from ._support import collect, maybe, write_archives
from .conftest import Account, Connect

pytestmark = [pytest.mark.anyio, pytest.mark.no_spec_validation]


async def test_a_logged_workflow_shows_no_secret(
    standin: NomadStandIn,
    connect: Connect,
    alice: Account,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)  # every logger: the SDK's, httpx's and httpcore's
    nomad = connect(alice)
    upload = await maybe(nomad.uploads.create(write_archives(tmp_path / "data", 1)))
    standin.faults.add("GET", f"/uploads/{upload.upload_id}", status=503, retry_after=0)
    upload = await maybe(upload.wait_until_processed(timeout=30, poll_interval=0.01))
    entry = (await collect(upload.entries()))[0]
    await maybe(entry.download_raw(tmp_path / "raw.zip"))
    with pytest.raises(Unauthorized):
        await maybe(connect(alice, token="not-a-valid-token").users.me())
    token = await maybe(nomad.access_token())

    assert "retrying" in caplog.text  # the log did record the workflow
    assert upload.upload_id in caplog.text
    assert alice.password not in caplog.text
    assert token not in caplog.text
    assert "not-a-valid-token" not in caplog.text
    for shown in (repr(nomad), str(nomad), repr(nomad.options)):
        assert alice.password not in shown
        assert token not in shown


async def test_errors_show_no_token(connect: Connect) -> None:
    secret = "header.payload.signature-of-a-made-up-token"
    with pytest.raises(Unauthorized) as caught:
        await maybe(connect(token=secret).users.me())
    error = caught.value
    assert error.status_code == 401
    for shown in (str(error), repr(error), error.url, str(error.detail)):
        assert secret not in shown


async def test_the_token_never_travels_to_another_host(
    standin: NomadStandIn, connect: Connect, alice: Account
) -> None:
    nomad = connect(alice)
    with pytest.raises(ValueError, match="not under this client's API URL"):
        await maybe(nomad.request("GET", "http://127.0.0.2:9/steal"))
    assert len(standin.requests) == 0  # refused before logging in or sending anything
    same_host = await maybe(nomad.request("GET", f"{standin.api_url}/users/me", auth="required"))
    assert same_host.json()["username"] == alice.username

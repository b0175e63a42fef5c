"""Retries, driven by the stand-in's fault injection: what is repeated, what never is.

Retry decisions do not depend on NOMAD's version, so this module runs against 2.0 only, with
both clients. Retry-After values are 0 (or beyond the cap) to keep the tests fast.
"""

from __future__ import annotations

import logging
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from nomadclient import (
    APIError,
    Conflict,
    OutcomeUnknown,
    RateLimited,
    RetryPolicy,
    ServerError,
)
from nomadclient.testing import NomadStandIn

from ._support import collect, leftovers, maybe, write_archives
from .conftest import Account, Connect

pytestmark = [pytest.mark.anyio, pytest.mark.no_spec_validation]

FAST = {"timeout": 30, "poll_interval": 0.01}


@pytest.fixture(scope="module")
def standin_module() -> Iterator[NomadStandIn]:
    """Retries do not depend on the API version: one NOMAD 2.0 stand-in for the module."""
    with NomadStandIn(users={}, processing_delay=0.01) as server:
        yield server


async def processed_upload(nomad: Any, directory: Path) -> Any:
    """A new processed upload with one entry."""
    upload = await maybe(nomad.uploads.create(write_archives(directory, 1)))
    return await maybe(upload.wait_until_processed(**FAST))


QUICK_RETRIES = RetryPolicy(backoff_base=0.001, backoff_max=0.001)


async def test_get_is_retried_on_503_honouring_retry_after(
    standin: NomadStandIn,
    connect: Connect,
    alice: Account,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    nomad = connect(alice)
    upload = await processed_upload(nomad, tmp_path / "data")
    standin.requests.clear()
    standin.faults.add("GET", f"/uploads/{upload.upload_id}", status=503, retry_after=0, times=2)
    with caplog.at_level(logging.WARNING, logger="nomadclient"):
        fetched = await maybe(nomad.uploads.get(upload.upload_id))
    assert fetched.upload_id == upload.upload_id
    assert len(standin.requests.matching("GET", "/uploads/*")) == 3
    # the wait is the server's 0 s, not the policy's backoff (at least 0.25 s)
    retries = [record.getMessage() for record in caplog.records if "retrying" in record.message]
    assert len(retries) == 2
    assert all("answered 503; retrying in 0.0 s" in message for message in retries)


async def test_the_client_backs_off_by_its_retry_policy(
    standin: NomadStandIn, connect: Connect
) -> None:
    # four failures in a row: more than the default policy's three retries would take
    standin.faults.add("GET", "/datasets", status=502, times=4)
    nomad = connect(retry=RetryPolicy(max_retries=4, backoff_base=0.001, backoff_max=0.001))
    assert await collect(nomad.datasets.list(dataset_name="none such")) == []
    assert len(standin.requests.matching("GET", "/datasets")) == 5
    sibling = nomad.with_options(max_retries=0)
    standin.faults.add("GET", "/datasets", status=502, times=1)
    with pytest.raises(ServerError):
        await collect(sibling.datasets.list(dataset_name="none such"))


async def test_search_posts_are_retried_like_gets(standin: NomadStandIn, connect: Connect) -> None:
    standin.faults.add("POST", "/entries/query", status=503, retry_after=0)
    nomad = connect()
    await collect(nomad.entries.query(page_size=1, limit=1))
    assert len(standin.requests.matching("POST", "/entries/query")) == 2


async def test_get_is_retried_after_a_dropped_connection(
    standin: NomadStandIn, connect: Connect, alice: Account, tmp_path: Path
) -> None:
    nomad = connect(alice, retry=QUICK_RETRIES)
    upload = await processed_upload(nomad, tmp_path / "data")
    standin.requests.clear()
    standin.faults.add("GET", f"/uploads/{upload.upload_id}", drop=True)
    fetched = await maybe(nomad.uploads.get(upload.upload_id))
    assert fetched.process_status == "SUCCESS"
    assert len(standin.requests.matching("GET", "/uploads/*")) == 2


async def test_a_truncated_download_is_fetched_again_completely(
    standin: NomadStandIn, connect: Connect, alice: Account, tmp_path: Path
) -> None:
    nomad = connect(alice, retry=QUICK_RETRIES)
    upload = await processed_upload(nomad, tmp_path / "data")
    entry = (await collect(upload.entries()))[0]
    standin.requests.clear()
    standin.faults.add("GET", "/entries/*/raw", truncate=True)
    downloads = tmp_path / "downloads"
    target = await maybe(entry.download_raw(downloads / "raw.zip"))
    assert len(standin.requests.matching("GET", "/entries/*/raw")) == 2
    with zipfile.ZipFile(target) as zipped:
        assert zipped.testzip() is None
        assert zipped.read(entry.mainfile) == (tmp_path / "data" / entry.mainfile).read_bytes()
    assert leftovers(downloads) == []


async def test_creating_an_upload_is_not_repeated_after_a_dropped_connection(
    standin: NomadStandIn, connect: Connect, alice: Account, tmp_path: Path
) -> None:
    nomad = connect(alice)
    await maybe(nomad.users.me())
    standin.faults.add("POST", "/uploads", drop=True)
    with pytest.raises(OutcomeUnknown) as caught:
        await maybe(nomad.uploads.create(write_archives(tmp_path / "data", 1)))
    assert len(standin.requests.matching("POST", "/uploads")) == 1
    assert "NOT retried" in str(caught.value)
    assert caught.value.method == "POST"
    # here the server dropped the request before handling it: no upload exists
    assert await collect(nomad.uploads.list()) == []


async def test_state_changing_posts_are_not_retried_on_503(
    standin: NomadStandIn, connect: Connect, alice: Account
) -> None:
    nomad = connect(alice)
    standin.faults.add("POST", "/datasets", status=503, retry_after=0)
    with pytest.raises(RateLimited):
        await maybe(nomad.datasets.create(f"once of {alice.username}"))
    assert len(standin.requests.matching("POST", "/datasets")) == 1


@pytest.mark.parametrize("status", [400, 401, 403, 404, 409, 422])
async def test_client_errors_are_never_retried(
    standin: NomadStandIn, connect: Connect, status: int
) -> None:
    nomad = connect()
    standin.faults.add("GET", "/datasets/*", status=status, times=5)
    with pytest.raises(APIError) as caught:
        await maybe(nomad.datasets.get("some-dataset"))
    assert caught.value.status_code == status
    assert len(standin.requests.matching("GET", "/datasets/*")) == 1
    if status == 409:
        assert isinstance(caught.value, Conflict)


async def test_max_retries_zero_for_a_sibling_only(
    standin: NomadStandIn, connect: Connect, alice: Account, tmp_path: Path
) -> None:
    nomad = connect(alice)
    upload = await processed_upload(nomad, tmp_path / "data")
    path = f"/uploads/{upload.upload_id}"
    impatient = nomad.with_options(max_retries=0)
    assert impatient.options.max_retries == 0
    standin.requests.clear()

    standin.faults.add("GET", path, status=503, retry_after=0)
    with pytest.raises(RateLimited):
        await maybe(impatient.uploads.get(upload.upload_id))
    assert len(standin.requests.matching("GET", path)) == 1

    standin.faults.add("GET", path, status=503, retry_after=0)
    await maybe(nomad.uploads.get(upload.upload_id))  # the original client still retries
    assert len(standin.requests.matching("GET", path)) == 3


async def test_retry_after_beyond_the_cap_is_raised_at_once(
    standin: NomadStandIn, connect: Connect
) -> None:
    nomad = connect()
    standin.faults.add("GET", "/datasets/*", status=503, retry_after=3600)
    with pytest.raises(RateLimited) as caught:
        await maybe(nomad.datasets.get("some-dataset"))
    assert caught.value.retry_after == 3600
    assert "3600 s" in caught.value.message
    assert len(standin.requests.matching("GET", "/datasets/*")) == 1

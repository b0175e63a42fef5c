"""Objects built from saved JSON with `nomadclient.structure()`: same data, no client."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx
import pytest

import nomadclient
from nomadclient import Dataset, DetachedObjectError, Entry, NomadClient, Upload
from nomadclient.testing import NomadStandIn

from ._support import write_archives
from .conftest import Account


def saved_response(server: NomadStandIn, path: str, token: str, tmp_path: Path) -> dict[str, Any]:
    """A NOMAD answer as a user would have saved it to disk, read back."""
    answer = httpx.get(f"{server.api_url}/{path}", headers={"Authorization": f"Bearer {token}"})
    answer.raise_for_status()
    saved = tmp_path / "saved.json"
    saved.write_text(answer.text)
    data: dict[str, Any] = json.loads(saved.read_text())
    return data


def test_structured_objects_equal_live_ones_and_refuse_to_act(
    standin: NomadStandIn, alice: Account, tmp_path: Path
) -> None:
    with NomadClient(standin.api_url, username=alice.username, password=alice.password) as nomad:
        upload = nomad.uploads.create(write_archives(tmp_path / "data", 1))
        upload = upload.wait_until_processed(timeout=30, poll_interval=0.01)
        entry = nomad.entries.get(next(iter(upload.entries())).entry_id)
        dataset = nomad.datasets.create(f"detached of {alice.username}")
        token = nomad.access_token()

    saved_upload = saved_response(standin, f"uploads/{upload.upload_id}", token, tmp_path)
    detached_upload = nomadclient.structure(saved_upload["data"], Upload)
    assert detached_upload == upload
    with pytest.raises(DetachedObjectError) as caught:
        detached_upload.refresh()
    assert f"client.uploads.get({upload.upload_id!r})" in str(caught.value)
    with pytest.raises(DetachedObjectError):
        detached_upload.publish()

    saved_entry = saved_response(standin, f"entries/{entry.entry_id}", token, tmp_path)
    detached_entry = nomadclient.structure(saved_entry["data"], Entry)
    assert detached_entry == entry
    with pytest.raises(DetachedObjectError) as entry_error:
        detached_entry.archive()
    assert entry_error.value.object_id == entry.entry_id
    with pytest.raises(DetachedObjectError):
        detached_entry.download_raw(tmp_path / "raw.zip")
    assert not (tmp_path / "raw.zip").exists()

    saved_dataset = saved_response(standin, f"datasets/{dataset.dataset_id}", token, tmp_path)
    detached_dataset = nomadclient.structure(saved_dataset["data"], Dataset)
    assert detached_dataset == dataset
    with pytest.raises(DetachedObjectError, match=r"client\.datasets\.get"):
        detached_dataset.delete()

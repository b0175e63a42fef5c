"""Entry metadata carries the keys NOMAD's processing always writes (`nomad_commit`,
`sections`, `section_defs`): clients such as nomad-utility-workflows require them."""

from __future__ import annotations

from typing import Any

import httpx
from standin_helpers import JSON_ONLY, Api, auth

from nomadclient.testing import NomadStandIn


def _assert_processing_keys(metadata: dict[str, Any]) -> None:
    assert metadata["nomad_commit"] == ""
    sections = metadata["sections"]
    assert "nomad.datamodel.datamodel.EntryArchive" in sections
    assert sections == sorted(sections)
    definitions = metadata["section_defs"]
    assert {d["definition_qualified_name"] for d in definitions} >= set(sections)
    for definition in definitions:
        assert set(definition) == {"definition_qualified_name", "definition_id", "used_directly"}
        assert isinstance(definition["used_directly"], bool)
        assert len(definition["definition_id"]) == 40  # a sha1 hex digest, as in NOMAD


def test_processed_entry_metadata_has_nomad_processing_keys(
    server: NomadStandIn, alice: Api
) -> None:
    upload_id = alice.processed()
    # exactly what nomad-utility-workflows sends: GET with bearer and Accept: application/json
    headers = {**auth(server, "alice"), **JSON_ONLY}
    listing = httpx.get(f"{server.api_url}/uploads/{upload_id}/entries", headers=headers)
    assert listing.status_code == 200, listing.text
    entry = listing.json()["data"][0]
    _assert_processing_keys(entry["entry_metadata"])

    single = httpx.get(f"{server.api_url}/entries/{entry['entry_id']}", headers=headers)
    assert single.status_code == 200, single.text
    _assert_processing_keys(single.json()["data"])

    # search without `required` returns the same document
    found = httpx.post(
        f"{server.api_url}/entries/query",
        json={"owner": "visible", "query": {"upload_id": upload_id}},
        headers=headers,
    )
    assert found.status_code == 200, found.text
    _assert_processing_keys(found.json()["data"][0])


def test_synthetic_entries_carry_the_same_keys(server: NomadStandIn) -> None:
    server.populate(3)
    found = httpx.post(f"{server.api_url}/entries/query", json={"owner": "public"})
    assert found.status_code == 200, found.text
    for metadata in found.json()["data"]:
        _assert_processing_keys(metadata)
        assert "results.material.elements" in metadata["quantities"]

"""The stand-in's /datasets routes: create, list and paginate, get, delete, DOI."""

from __future__ import annotations

from typing import Any

import httpx
import pytest
from standin_helpers import add_entry, auth, datasets_path

from nomadclient.testing import NomadStandIn


def _collection(server: NomadStandIn) -> str:
    return server.api_url + datasets_path(server.config.api_version)


def _create(server: NomadStandIn, name: str, user: str = "alice", **body: Any) -> httpx.Response:
    return httpx.post(
        _collection(server), json={"dataset_name": name, **body}, headers=auth(server, user)
    )


def _add_entry(server: NomadStandIn, owner: str, *, published: bool = False) -> str:
    return add_entry(server, owner, published=published)[1]


def test_create_and_get(server: NomadStandIn) -> None:
    response = _create(server, "my set")
    assert response.status_code == 200
    created = response.json()
    dataset_id = created["dataset_id"]
    assert len(dataset_id) == 22
    data = created["data"]
    assert data["dataset_name"] == "my set"
    assert data["dataset_type"] == "owned"
    assert data["user_id"] == server.user("alice").user_id
    assert "doi" not in data
    assert not data["dataset_create_time"].endswith("Z")
    fetched = httpx.get(f"{server.api_url}/datasets/{dataset_id}")
    assert fetched.json() == created


def test_collection_path_differs_by_version(server: NomadStandIn, api_version: str) -> None:
    other = f"{server.api_url}/datasets" + ("/" if api_version == "2.0" else "")
    response = httpx.get(other, params={"page_size": 3})
    assert response.status_code == 307
    assert response.headers["location"] == _collection(server) + "?page_size=3"
    assert httpx.get(other, follow_redirects=True).status_code == 200


def test_create_needs_authentication(server: NomadStandIn) -> None:
    response = httpx.post(_collection(server), json={"dataset_name": "x"})
    assert response.status_code == 401


def test_names_are_unique_per_user(server: NomadStandIn) -> None:
    assert _create(server, "same").status_code == 200
    taken = _create(server, "same")
    assert taken.status_code == 400
    assert taken.json() == {
        "detail": "The chosen dataset name is already taken. Datesets of the same user must "
        "have a\nunique name."
    }
    assert _create(server, "same", user="bob").status_code == 200


def test_unknown_dataset_type_is_rejected(server: NomadStandIn) -> None:
    response = _create(server, "x", dataset_type="borrowed")
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "dataset_type"]


def test_owned_dataset_attaches_only_own_entries(server: NomadStandIn) -> None:
    mine = _add_entry(server, "alice")
    theirs = _add_entry(server, "bob")
    response = _create(server, "owned", entries=[mine, theirs, "unknown"])
    dataset_id = response.json()["dataset_id"]
    assert "entries" not in response.json()["data"]
    assert server.store.entries[mine].dataset_ids == [dataset_id]
    assert server.store.entries[theirs].dataset_ids == []


def test_owned_dataset_by_query(server: NomadStandIn) -> None:
    pytest.importorskip("nomadclient.testing._search", reason="entry search not available")
    mine = _add_entry(server, "alice")
    other = _add_entry(server, "alice")
    response = _create(server, "by query", query={"entry_id": mine})
    assert response.status_code == 200, response.text
    dataset_id = response.json()["dataset_id"]
    assert server.store.entries[mine].dataset_ids == [dataset_id]
    assert server.store.entries[other].dataset_ids == []


def test_foreign_dataset_keeps_query_drops_entries(server: NomadStandIn) -> None:
    entry_id = _add_entry(server, "alice")
    query = {"results.material.elements": ["Ti"]}
    response = _create(server, "foreign", dataset_type="foreign", query=query, entries=[entry_id])
    data = response.json()["data"]
    assert data["dataset_type"] == "foreign"
    assert data["query"] == query
    assert "entries" not in data
    assert server.store.entries[entry_id].dataset_ids == []


def test_list_paginates_like_nomad(server: NomadStandIn) -> None:
    for index in range(5):
        _create(server, f"set {index}")
    first = httpx.get(_collection(server), params={"page_size": 2}).json()
    pagination = first["pagination"]
    assert pagination["total"] == 5
    assert pagination["page"] == 1
    assert pagination["next_page_after_value"] == "1"
    assert pagination["first_page_url"] == _collection(server) + "?page_size=2"
    assert [d["dataset_name"] for d in first["data"]] == ["set 0", "set 1"]
    second = httpx.get(pagination["next_page_url"]).json()
    assert second["pagination"]["page"] == 2
    assert second["pagination"]["page_after_value"] == "1"
    assert second["pagination"]["prev_page_url"] == _collection(server) + "?page_size=2&page=1"
    assert [d["dataset_name"] for d in second["data"]] == ["set 2", "set 3"]
    last = httpx.get(_collection(server), params={"page_size": 2, "page": 3}).json()
    assert "next_page_after_value" not in last["pagination"]
    assert [d["dataset_name"] for d in last["data"]] == ["set 4"]


def test_page_out_of_range(server: NomadStandIn) -> None:
    _create(server, "only")
    response = httpx.get(_collection(server), params={"page": 2})
    assert response.status_code == 400
    assert response.json() == {"detail": "Page out of range requested."}
    empty = httpx.get(_collection(server), params={"user_id": "nobody", "page": 1})
    assert empty.status_code == 200
    assert empty.json()["pagination"]["total"] == 0


def test_page_size_zero_counts_only(server: NomadStandIn) -> None:
    _create(server, "one")
    response = httpx.get(_collection(server), params={"page_size": 0}).json()
    assert response["data"] == []
    assert response["pagination"]["total"] == 1


def test_order_by_name_descending(server: NomadStandIn) -> None:
    for name in ("b", "c", "a"):
        _create(server, name)
    response = httpx.get(
        _collection(server), params={"order_by": "dataset_name", "order": "desc"}
    ).json()
    assert [d["dataset_name"] for d in response["data"]] == ["c", "b", "a"]
    assert response["pagination"]["order_by"] == "dataset_name"


def test_invalid_pagination_is_422_per_version(server: NomadStandIn, api_version: str) -> None:
    bad_order = httpx.get(_collection(server), params={"order_by": "user_id"})
    assert bad_order.status_code == 422
    item = bad_order.json()["detail"][0]
    assert item["loc"] == ["query", "order_by"]
    assert item["type"] == "assertion_error"
    both = httpx.get(_collection(server), params={"page": 2, "page_offset": 3})
    assert both.status_code == 422
    root = both.json()["detail"][0]
    expected_loc = ["query"] if api_version == "2.0" else ["query", "__root__"]
    assert root["loc"] == expected_loc
    assert root["msg"] == "Can only specify one of: page_offset, page, or page_after_value"
    negative = httpx.get(_collection(server), params={"page_size": -1}).json()["detail"][0]
    assert negative["msg"] == "page_size must be >= 0"


def test_non_numeric_page_after_value_is_a_500(server: NomadStandIn) -> None:
    response = httpx.get(_collection(server), params={"page_after_value": "abc"})
    assert response.status_code == 500
    assert response.json()["detail"]["exception_class"] == "ValueError"


def test_filters(server: NomadStandIn) -> None:
    _create(server, "Alpha one")
    _create(server, "alphabet")
    _create(server, "beta", dataset_type="foreign")
    _create(server, "Alpha one", user="bob")
    url = _collection(server)
    bob_id = server.user("bob").user_id

    def names(**params: Any) -> list[str]:
        return [d["dataset_name"] for d in httpx.get(url, params=params).json()["data"]]

    assert names(prefix="ALPHA") == ["Alpha one", "alphabet", "Alpha one"]
    assert names(dataset_name="Alpha one", user_id=bob_id) == ["Alpha one"]
    assert names(dataset_type="foreign") == ["beta"]
    assert names(prefix="alpha", dataset_name="beta") == ["Alpha one", "alphabet", "Alpha one"]


def test_get_unknown(server: NomadStandIn) -> None:
    response = httpx.get(f"{server.api_url}/datasets/unknown")
    assert response.status_code == 404
    assert response.json() == {"detail": "The dataset with the given id does not exist."}


def test_delete_detaches_entries(server: NomadStandIn) -> None:
    entry_id = _add_entry(server, "alice")
    created = _create(server, "doomed", entries=[entry_id]).json()
    upload = server.store.uploads[server.store.entries[entry_id].upload_id]
    version_before = upload.version
    url = f"{server.api_url}/datasets/{created['dataset_id']}"
    response = httpx.delete(url, headers=auth(server))
    assert response.status_code == 200
    assert response.json() == created
    assert server.store.entries[entry_id].dataset_ids == []
    assert upload.version > version_before
    assert httpx.get(url).status_code == 404
    gone = httpx.delete(url, headers=auth(server))
    assert gone.status_code == 404
    assert gone.json() == {"detail": "Dataset not found. The given id does not match any dataset."}


def test_only_the_creator_deletes(server: NomadStandIn, api_version: str) -> None:
    dataset_id = _create(server, "mine").json()["dataset_id"]
    response = httpx.delete(f"{server.api_url}/datasets/{dataset_id}", headers=auth(server, "bob"))
    assert response.status_code == (403 if api_version == "2.0" else 401)
    assert response.json() == {
        "detail": "The dataset can only be edited by the user who created the dataset."
    }


def test_doi_disabled_by_default(server: NomadStandIn, api_version: str) -> None:
    dataset_id = _create(server, "cite me").json()["dataset_id"]
    response = httpx.post(
        f"{server.api_url}/datasets/{dataset_id}/action/doi", headers=auth(server)
    )
    assert response.status_code == (403 if api_version == "2.0" else 401)
    assert response.json() == {
        "detail": "The DataCite DOI service is not enabled on this deployment."
    }


@pytest.fixture
def datacite_server(api_version: str) -> Any:
    with NomadStandIn(
        users={"alice": "pw", "bob": "pw"},
        processing_delay=0.01,
        api_version=api_version,  # type: ignore[arg-type]
        datacite_enabled=True,
    ) as running:
        yield running


def test_doi_checks_then_assigns(datacite_server: NomadStandIn) -> None:
    server = datacite_server
    api = server.api_url

    def assign(dataset_id: str) -> httpx.Response:
        return httpx.post(f"{api}/datasets/{dataset_id}/action/doi", headers=auth(server))

    empty = assign(_create(server, "empty").json()["dataset_id"])
    assert empty.status_code == 400
    assert empty.json()["detail"].startswith("The dataset is empty.")
    draft = _add_entry(server, "alice")
    unpublished = assign(_create(server, "draft", entries=[draft]).json()["dataset_id"])
    assert unpublished.status_code == 400
    assert unpublished.json()["detail"].startswith("The dataset has unpublished contents.")
    done = _add_entry(server, "alice", published=True)
    dataset_id = _create(server, "done", entries=[done]).json()["dataset_id"]
    response = assign(dataset_id)
    assert response.status_code == 200
    assert response.json()["data"]["doi"] == f"10.17172/nomad-standin/{dataset_id}"
    again = assign(dataset_id)
    assert again.status_code == 400
    assert again.json() == {
        "detail": "The dataset already has a DOI and cannot be changed anymore."
    }
    frozen = httpx.delete(f"{api}/datasets/{dataset_id}", headers=auth(server))
    assert frozen.status_code == 400
    listed = httpx.get(_collection(server), params={"doi": response.json()["data"]["doi"]})
    assert [d["dataset_id"] for d in listed.json()["data"]] == [dataset_id]

"""The stand-in's entry search over HTTP: query language, owners, pagination, `required`."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from nomadclient.testing import NomadStandIn

N_ENTRIES = 300


@pytest.fixture
def populated(server: NomadStandIn) -> NomadStandIn:
    server.populate(N_ENTRIES, username="alice", seed=7)
    return server


def query(server: NomadStandIn, body: dict[str, Any], token: str | None = None) -> httpx.Response:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return httpx.post(f"{server.api_url}/entries/query", json=body, headers=headers)


def all_ids(server: NomadStandIn, body: dict[str, Any]) -> list[str]:
    """Walk every page with `page_after_value`."""
    ids: list[str] = []
    pagination = dict(body.get("pagination", {}))
    while True:
        response = query(server, {**body, "pagination": pagination})
        assert response.status_code == 200, response.text
        data = response.json()
        ids.extend(item["entry_id"] for item in data["data"])
        after = data["pagination"].get("next_page_after_value")
        if after is None:
            return ids
        pagination["page_after_value"] = after


def metadata_of(server: NomadStandIn, body: dict[str, Any]) -> list[dict[str, Any]]:
    response = query(server, {**body, "pagination": {"page_size": 1000}})
    assert response.status_code == 200, response.text
    items: list[dict[str, Any]] = response.json()["data"]
    return items


def test_default_search_echoes_request_and_pages_by_entry_id(populated: NomadStandIn) -> None:
    response = query(populated, {})
    assert response.status_code == 200
    data = response.json()
    assert data["owner"] == "public"
    assert "query" not in data
    pagination = data["pagination"]
    assert pagination["page_size"] == 10
    assert pagination["order_by"] == "entry_id"
    assert pagination["order"] == "asc"
    assert pagination["total"] == N_ENTRIES
    ids = [item["entry_id"] for item in data["data"]]
    assert ids == sorted(ids)
    assert pagination["next_page_after_value"] == ids[-1]
    first = data["data"][0]
    assert first["published"] is True
    assert first["upload_create_time"].endswith("+00:00")
    assert first["main_author"]["name"] == "Alice Tester"


def test_cursor_walk_returns_every_entry_once(populated: NomadStandIn) -> None:
    ids = all_ids(populated, {"pagination": {"page_size": 37}})
    assert len(ids) == N_ENTRIES
    assert len(set(ids)) == N_ENTRIES
    assert ids == sorted(ids)


@pytest.mark.parametrize("order", ["asc", "desc"])
def test_cursor_walk_with_other_order(populated: NomadStandIn, order: str) -> None:
    body = {
        "pagination": {"page_size": 23, "order_by": "results.material.n_elements", "order": order}
    }
    ids = all_ids(populated, body)
    assert len(ids) == len(set(ids)) == N_ENTRIES
    by_id = {item["entry_id"]: item for item in metadata_of(populated, {})}
    values = [by_id[entry_id]["results"]["material"]["n_elements"] for entry_id in ids]
    # ties are broken by entry id, in the same direction
    keyed = list(zip(values, ids, strict=True))
    assert keyed == sorted(keyed, reverse=order == "desc")
    first_page = query(populated, body).json()
    cursor = first_page["pagination"]["next_page_after_value"]
    last = first_page["data"][-1]
    assert cursor == f"{last['results']['material']['n_elements']}:{last['entry_id']}"


def test_list_value_means_all_and_any_none_operators(populated: NomadStandIn) -> None:
    everything = metadata_of(populated, {})

    def elements(item: dict[str, Any]) -> set[str]:
        return set(item["results"]["material"]["elements"])

    both = metadata_of(populated, {"query": {"results.material.elements": ["O", "Si"]}})
    assert {i["entry_id"] for i in both} == {
        i["entry_id"] for i in everything if {"O", "Si"} <= elements(i)
    }
    either = metadata_of(populated, {"query": {"results.material.elements:any": ["O", "Si"]}})
    assert {i["entry_id"] for i in either} == {
        i["entry_id"] for i in everything if elements(i) & {"O", "Si"}
    }
    nested = metadata_of(
        populated, {"query": {"results": {"material": {"elements": {"none": ["O", "Si"]}}}}}
    )
    assert {i["entry_id"] for i in nested} == {
        i["entry_id"] for i in everything if not elements(i) & {"O", "Si"}
    }
    assert len(either) + len(nested) == N_ENTRIES
    assert 0 < len(both) < len(either)


def test_ranges_and_boolean_trees(populated: NomadStandIn) -> None:
    everything = metadata_of(populated, {})
    n = {i["entry_id"]: i["results"]["material"]["n_elements"] for i in everything}
    ranged = metadata_of(populated, {"query": {"results.material.n_elements": {"gte": 2, "lt": 4}}})
    assert {i["entry_id"] for i in ranged} == {k for k, v in n.items() if 2 <= v < 4}
    tree = {
        "or": [
            {"results.material.n_elements": 1},
            {"not": {"results.material.n_elements:lte": 3}},
        ]
    }
    matched = metadata_of(populated, {"query": tree})
    assert {i["entry_id"] for i in matched} == {k for k, v in n.items() if v == 1 or v > 3}


def test_normalized_query_is_echoed(populated: NomadStandIn) -> None:
    single = query(populated, {"query": {"results.material.elements": ["Ti", "O"]}}).json()
    assert single["query"] == {"name": "results.material.elements", "value": {"all": ["Ti", "O"]}}
    several = query(
        populated, {"query": {"upload_id": "x", "results.material.n_elements:gt": 1}}
    ).json()
    assert several["query"] == {
        "and": [
            {"name": "upload_id", "value": "x"},
            {"name": "results.material.n_elements", "value": {"gt": 1}},
        ]
    }
    assert several["pagination"]["total"] == 0
    assert "next_page_after_value" not in several["pagination"]


def test_unknown_quantity_is_422_with_nested_loc(populated: NomadStandIn, api_version: str) -> None:
    response = query(populated, {"query": {"results.material.elementz": "O"}})
    assert response.status_code == 422
    item = response.json()["detail"][0]
    assert item["loc"] == [["results.material.elementz"]]
    assert "is not a entries quantity" in item["msg"]
    assert ("type" in item) == (api_version == "1.3")


def test_duplicate_quantity_is_422(populated: NomadStandIn) -> None:
    body = {"query": {"results.material.n_elements": 2, "results.material.n_elements:gt": 1}}
    response = query(populated, body)
    assert response.status_code == 422
    assert "can only appear once" in response.json()["detail"][0]["msg"]


def test_page_and_offset_windows(populated: NomadStandIn) -> None:
    ids = all_ids(populated, {"pagination": {"page_size": 100}})
    page3 = query(populated, {"pagination": {"page_size": 10, "page": 3}}).json()
    assert [i["entry_id"] for i in page3["data"]] == ids[20:30]
    offset = query(populated, {"pagination": {"page_size": 5, "page_offset": 7}}).json()
    assert [i["entry_id"] for i in offset["data"]] == ids[7:12]
    too_far = query(populated, {"pagination": {"page_size": 100, "page": 100}})
    assert too_far.status_code == 422
    assert "Pagination by `page` is limited to 10.000 entries." in too_far.text
    too_far_offset = query(populated, {"pagination": {"page_size": 10, "page_offset": 9995}})
    assert too_far_offset.status_code == 422
    two = query(populated, {"pagination": {"page": 2, "page_after_value": ids[0]}})
    assert two.status_code == 422
    assert "Can only specify one of: page_offset, page, or page_after_value" in two.text


def test_page_size_beyond_result_window_is_400(populated: NomadStandIn) -> None:
    response = query(populated, {"pagination": {"page_size": 10_001}})
    assert response.status_code == 400
    assert response.json()["detail"].startswith("Elasticsearch could not process your query: ")
    negative = query(populated, {"pagination": {"page_size": -1}})
    assert negative.status_code == 422


def test_page_size_zero_gives_only_the_total(populated: NomadStandIn) -> None:
    data = query(populated, {"pagination": {"page_size": 0}}).json()
    assert data["data"] == []
    assert data["pagination"]["total"] == N_ENTRIES


def test_bad_order_by_is_422(populated: NomadStandIn) -> None:
    unknown = query(populated, {"pagination": {"order_by": "nonsense"}})
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["loc"] == [["pagination", "order_by"]]
    not_scalar = query(populated, {"pagination": {"order_by": "results.material.elements"}})
    assert not_scalar.status_code == 422


def test_required_include_and_exclude(populated: NomadStandIn) -> None:
    body = {
        "required": {"include": ["results.material.n_*", "mainfile"]},
        "pagination": {"page_size": 3, "order_by": "upload_create_time"},
    }
    data = query(populated, body).json()
    assert data["required"] == {"include": ["results.material.n_*", "mainfile"]}
    for item in data["data"]:
        assert set(item) == {"entry_id", "mainfile", "results", "upload_create_time"}
        assert set(item["results"]["material"]) == {"n_elements"}
    excluded = query(populated, {"required": {"exclude": ["results", "entry_id"]}}).json()
    for item in excluded["data"]:
        assert "results" not in item
        assert "entry_id" in item


def test_owner_rules_and_auth_errors(populated: NomadStandIn, api_version: str) -> None:
    bob = populated.token_for("bob")
    alice = populated.token_for("alice")
    assert query(populated, {"owner": "user"}, alice).json()["pagination"]["total"] == N_ENTRIES
    assert query(populated, {"owner": "user"}, bob).json()["pagination"]["total"] == 0
    anonymous = query(populated, {"owner": "user"})
    assert anonymous.status_code == 401
    expected = (
        "Authentication required for owner='user'."
        if api_version == "2.0"
        else "Authentication required for owner value user."
    )
    assert anonymous.json()["detail"] == expected
    admin_only = query(populated, {"owner": "admin"}, bob)
    assert admin_only.status_code == (403 if api_version == "2.0" else 401)
    invalid = query(populated, {"owner": "nobody"})
    assert invalid.status_code == 422


def test_embargoed_entries_are_visible_only_with_owner_all_or_to_viewers(
    server: NomadStandIn,
) -> None:
    server.populate(20, username="alice", seed=1, embargo_length=12)
    bob = server.token_for("bob")
    alice = server.token_for("alice")
    assert query(server, {}).json()["pagination"]["total"] == 0
    assert query(server, {"owner": "all"}).json()["pagination"]["total"] == 20
    assert query(server, {"owner": "visible"}, bob).json()["pagination"]["total"] == 0
    assert query(server, {"owner": "visible"}, alice).json()["pagination"]["total"] == 20
    entry_id = query(server, {"owner": "all"}).json()["data"][0]["entry_id"]
    single = httpx.get(f"{server.api_url}/entries/{entry_id}")
    assert single.status_code == 200
    assert single.json()["data"]["with_embargo"] is True
    archive = httpx.get(f"{server.api_url}/entries/{entry_id}/archive")
    assert archive.status_code == 404
    owners_archive = httpx.get(
        f"{server.api_url}/entries/{entry_id}/archive",
        headers={"Authorization": f"Bearer {alice}"},
    )
    assert owners_archive.status_code == 200


def test_get_entries_with_url_parameters(populated: NomadStandIn) -> None:
    url = f"{populated.api_url}/entries"
    params: list[tuple[str, str | int | float | bool | None]] = [
        ("results.material.elements", "O"),
        ("results.material.n_elements__gte", "2"),
        ("page_size", 5),
        ("include", "results.material.elements"),
    ]
    response = httpx.get(url, params=params)
    assert response.status_code == 200, response.text
    data = response.json()
    for item in data["data"]:
        assert "O" in item["results"]["material"]["elements"]
        assert len(item["results"]["material"]["elements"]) >= 2
    assert data["pagination"]["page_url"].startswith(url)
    if data["pagination"]["total"] > 5:
        assert "page_after_value=" in data["pagination"]["next_page_url"]
    with_q = httpx.get(url, params={"q": "results.material.n_elements__gt__3"})
    assert all(i["results"]["material"]["n_elements"] > 3 for i in with_q.json()["data"])
    bad_q = httpx.get(url, params={"q": "nonsense"})
    assert bad_q.status_code == 422
    assert bad_q.json()["detail"][0]["loc"] == ["query", "q"]
    json_query = httpx.get(url, params={"json_query": '{"results.material.n_elements": 1}'})
    assert all(i["results"]["material"]["n_elements"] == 1 for i in json_query.json()["data"])


def test_single_entry_metadata_and_404(populated: NomadStandIn) -> None:
    entry_id = query(populated, {}).json()["data"][0]["entry_id"]
    response = httpx.get(
        f"{populated.api_url}/entries/{entry_id}", params={"include": ["mainfile"]}
    )
    assert response.status_code == 200
    body = response.json()
    assert body["entry_id"] == entry_id
    assert body["required"] == {"include": ["mainfile"]}
    assert set(body["data"]) == {"entry_id", "mainfile"}
    assert httpx.get(f"{populated.api_url}/entries/{entry_id}").json()["required"] == {}
    missing = httpx.get(f"{populated.api_url}/entries/does-not-exist")
    assert missing.status_code == 404
    assert missing.json() == {
        "detail": "The entry with the given id does not exist or is not visible to you."
    }


@pytest.mark.parametrize(
    "body",
    [
        {"query": "not an object"},
        {"query": {"and": "not a list"}},
        {"query": {"results.material.n_elements": {"gt": 1, "gte": 2}}},
        {"query": {"results.material.elements": {"any": "O"}}},
        {"query": {"results.material.n_elements": "many"}},
        {"pagination": {"page_size": "ten"}},
        {"pagination": {"order_by": "results.material.n_elements", "page_after_value": "x"}},
    ],
)
def test_bad_input_is_rejected_and_the_server_survives(
    populated: NomadStandIn, body: dict[str, Any]
) -> None:
    response = query(populated, body)
    assert response.status_code in (400, 422), response.text
    assert query(populated, {}).status_code == 200


def test_malformed_json_is_422(populated: NomadStandIn) -> None:
    response = httpx.post(
        f"{populated.api_url}/entries/query",
        content=b"{not json",
        headers={"Content-Type": "application/json"},
    )
    assert response.status_code == 422

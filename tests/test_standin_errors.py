"""NOMAD's error shapes from the stand-in: 404/405, 422 per version, 500, redirects, bad input."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import httpx
from standin_helpers import auth, datasets_path

from nomadclient.testing import NomadStandIn


def test_unknown_route_and_wrong_method(server: NomadStandIn) -> None:
    missing = httpx.get(f"{server.api_url}/no/such/route")
    assert missing.status_code == 404
    assert missing.json() == {"detail": "Not Found"}
    wrong = httpx.put(f"{server.api_url}/info")
    assert wrong.status_code == 405
    assert wrong.json() == {"detail": "Method Not Allowed"}


def test_validation_error_shapes(server: NomadStandIn, api_version: str) -> None:
    response = httpx.get(
        f"{server.api_url}/auth/app_token", params={"expires_in": "soon"}, headers=auth(server)
    )
    assert response.status_code == 422
    (item,) = response.json()["detail"]
    if api_version == "2.0":
        assert item["type"] == "int_parsing"
        assert item["loc"] == ["query", "expires_in"]
        assert item["input"] == "soon"
    else:
        assert item == {
            "loc": ["query", "expires_in"],
            "msg": "value is not a valid integer",
            "type": "type_error.integer",
        }


def test_malformed_json_body(server: NomadStandIn, api_version: str) -> None:
    path = datasets_path(api_version)
    response = httpx.post(
        f"{server.api_url}{path}",
        content=b'{"dataset_name": ',
        headers={**auth(server), "Content-Type": "application/json"},
    )
    assert response.status_code == 422
    item = response.json()["detail"][0]
    expected_type = "json_invalid" if api_version == "2.0" else "value_error.jsondecode"
    assert item["type"] == expected_type
    assert item["loc"][0] == "body"


def test_wrong_body_types(server: NomadStandIn, api_version: str) -> None:
    path = datasets_path(api_version)
    response = httpx.post(f"{server.api_url}{path}", json=[1, 2], headers=auth(server))
    assert response.status_code == 422
    response = httpx.post(
        f"{server.api_url}{path}", json={"dataset_name": {"x": 1}}, headers=auth(server)
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["body", "dataset_name"]


def test_unexpected_exception_keeps_the_server_serving(server: NomadStandIn) -> None:
    response = httpx.get(f"{server.api_url}/users/unknown-id")
    assert response.status_code == 500
    assert set(response.json()["detail"]) == {
        "reason",
        "exception",
        "exception_class",
        "exception_traceback",
    }
    assert httpx.get(f"{server.api_url}/info").status_code == 200


def test_trailing_slash_redirects_with_absolute_location(server: NomadStandIn) -> None:
    response = httpx.get(f"{server.api_url}/users/?prefix=al")
    assert response.status_code == 307
    assert response.headers["location"] == f"{server.api_url}/users?prefix=al"


def test_json_formatting_per_version(server: NomadStandIn, api_version: str) -> None:
    text = httpx.get(f"{server.api_url}/info").text
    if api_version == "2.0":
        assert "\n" not in text
    else:
        assert text.startswith('{\n  "')


def test_info_describes_the_version(server: NomadStandIn, api_version: str) -> None:
    info = httpx.get(f"{server.api_url}/info").json()
    assert info["version"] == ("2.0.0" if api_version == "2.0" else "1.3.10")
    for required in ("parsers", "metainfo_packages", "codes", "normalizers", "deployment"):
        assert required in info
    assert info["oasis"] is False


def test_openapi_is_served(server: NomadStandIn) -> None:
    spec = httpx.get(f"{server.api_url}/openapi.json").json()
    assert "/info" in spec["paths"]
    assert "/auth/token" in spec["paths"]


def test_huge_page_size_and_page(server: NomadStandIn, api_version: str) -> None:
    path = datasets_path(api_version)
    url = f"{server.api_url}{path}"
    assert httpx.get(url, params={"page_size": 10**12}).status_code == 200
    assert httpx.get(url, params={"page": 10**15}).status_code == 400
    too_big = httpx.get(url, params={"page": "9" * 400})
    assert too_big.status_code in (400, 422)


def test_concurrent_creates_keep_names_unique(server: NomadStandIn, api_version: str) -> None:
    path = datasets_path(api_version)
    headers = auth(server)

    def create(_: int) -> int:
        response = httpx.post(
            f"{server.api_url}{path}", json={"dataset_name": "race"}, headers=headers
        )
        return response.status_code

    with ThreadPoolExecutor(max_workers=8) as pool:
        statuses = list(pool.map(create, range(8)))
    assert sorted(statuses) == [200] + [400] * 7
    assert len(server.store.datasets) == 1

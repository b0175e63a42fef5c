"""The stand-in measured against NOMAD's real OpenAPI spec: its routes, and the response checker.

Routes are read from the stand-in's own `/openapi.json` (one server per API version, started
once at collection) so that the test follows whatever routes exist. NOMAD 1.3's routes and
parameters that the 2.0 spec lacks are listed in `_conformance.py` (REFERENCE.md §11).
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from _conformance import (
    NOMAD_13_ONLY_PARAMETERS,
    NOMAD_13_ONLY_ROUTES,
    NOMAD_20_ONLY_ROUTES,
    ROUTE_TALLIES,
    SPEC_FILE,
    ApiVersion,
    LegacyRoute,
    RouteTally,
    check_response,
    load_spec,
)
from conformance_plugin import RECORDER
from jsonschema import Draft202012Validator
from referencing.exceptions import Unresolvable

from nomadclient.testing import NomadStandIn

VERSIONS: tuple[ApiVersion, ...] = ("2.0", "1.3")
CHECKED_LOCATIONS = ("query", "path")


# --------------------------------------------------------------------------------------------
# route conformance


@dataclass(frozen=True)
class ServedOperation:
    """One operation of a stand-in's own OpenAPI document."""

    api_version: ApiVersion
    method: str
    path: str
    spec: dict[str, Any]

    def __str__(self) -> str:
        return f"{self.api_version} {self.method} {self.path}"


@functools.cache
def served_openapi(api_version: ApiVersion) -> dict[str, Any]:
    """The stand-in's OpenAPI document, fetched over HTTP once per API version."""
    with NomadStandIn(api_version=api_version, processing_delay=0.01) as server:
        response = httpx.get(f"{server.api_url}/openapi.json", timeout=30)
    response.raise_for_status()
    document: dict[str, Any] = response.json()
    return document


def served_operations(api_version: ApiVersion) -> list[ServedOperation]:
    """Every operation the stand-in of `api_version` serves."""
    return [
        ServedOperation(api_version, method.upper(), path, operation)
        for path, item in served_openapi(api_version)["paths"].items()
        for method, operation in item.items()
    ]


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """One test per operation the stand-ins serve, in both API versions."""
    if "served" not in metafunc.fixturenames:
        return
    tallies = metafunc.config.stash[ROUTE_TALLIES]
    cases: list[ServedOperation] = []
    for version in VERSIONS:
        operations = served_operations(version)
        tallies[version] = RouteTally(served=len(operations))
        cases += operations
    metafunc.parametrize("served", cases, ids=[str(case) for case in cases])


def legacy_route(served: ServedOperation) -> LegacyRoute | None:
    """The documented 1.3-only route `served` is, if any."""
    if served.api_version != "1.3":
        return None
    return next(
        (r for r in NOMAD_13_ONLY_ROUTES if (r.method, r.path) == (served.method, served.path)),
        None,
    )


@dataclass
class RouteCheck:
    """The verdict on one served operation."""

    operation: str | None = None
    parameters_checked: int = 0
    problems: list[str] = field(default_factory=list)


def check_route(served: ServedOperation) -> RouteCheck:
    """Compare a served operation with NOMAD's: route, method, parameters, body media types."""
    spec = load_spec()
    legacy = legacy_route(served)
    target = (
        spec.operation(legacy.spec_method, legacy.spec_path)
        if legacy
        else spec.operation(served.method, served.path)
    )
    if target is None:
        methods = [m for (m, t) in spec.operations if t == served.path]
        hint = f" (NOMAD has {', '.join(methods)} there)" if methods else ""
        problem = f"{served.method} {served.path} is not an operation of NOMAD's API{hint}"
        return RouteCheck(problems=[problem])
    result = RouteCheck(operation=target.key)
    if served.api_version == "1.3" and legacy is None and NOMAD_20_ONLY_ROUTES.match(served.path):
        result.problems.append(f"{served.path} is new in NOMAD 2.0 (REFERENCE.md §11)")

    nomads = target.parameters(*CHECKED_LOCATIONS)
    if legacy is not None and legacy.query_parameters is not None:
        # REFERENCE.md names these parameters but not whether they are required
        nomads = {name: {"in": "query", "required": None} for name in legacy.query_parameters}
    legacy_names = (
        NOMAD_13_ONLY_PARAMETERS.get((served.method, served.path), frozenset())
        if served.api_version == "1.3"
        else frozenset()
    )
    ours = {p["name"]: p for p in served.spec.get("parameters", []) if p["in"] in CHECKED_LOCATIONS}
    result.parameters_checked = len(ours)
    for name, parameter in ours.items():
        theirs = nomads.get(name)
        if theirs is None:
            if name not in legacy_names:
                result.problems.append(f"{parameter['in']} parameter {name!r}: NOMAD has none")
        elif theirs["in"] != parameter["in"]:
            result.problems.append(
                f"parameter {name!r} is in {parameter['in']}, NOMAD's in {theirs['in']}"
            )
        elif parameter.get("required", False) and theirs["required"] is False:
            result.problems.append(f"parameter {name!r} is required here but optional in NOMAD")
    for name, theirs in nomads.items():
        if theirs["required"] and not ours.get(name, {}).get("required", False):
            result.problems.append(f"{theirs['in']} parameter {name!r} is required by NOMAD")

    our_media = set(served.spec.get("requestBody", {}).get("content", {}))
    their_media = set(target.spec.get("requestBody", {}).get("content", {}))
    if our_media - their_media:
        result.problems.append(
            f"request body as {sorted(our_media)}; NOMAD takes {sorted(their_media) or 'none'}"
        )
    return result


def test_served_operation_is_nomads(served: ServedOperation, pytestconfig: pytest.Config) -> None:
    """Route, method, path and query parameters of a served operation are NOMAD's."""
    result = check_route(served)
    tally = pytestconfig.stash[ROUTE_TALLIES][served.api_version]
    tally.parameters_checked += result.parameters_checked
    if result.operation:
        tally.spec_operations.add(result.operation)
    tally.failed += bool(result.problems)
    assert not result.problems, f"{served}:\n  " + "\n  ".join(result.problems)


# --------------------------------------------------------------------------------------------
# the spec fixture


PROSE_KEYWORDS = frozenset({"description", "summary", "title", "examples", "example", "tags"})


def prose_in(node: Any, where: str = "$") -> list[str]:
    """Places in the fixture where NOMAD's prose survived (property names don't count)."""
    found: list[str] = []
    if isinstance(node, dict):
        for key, value in node.items():
            # a property that happens to be called "description" maps to a schema (a dict)
            if key in PROSE_KEYWORDS and not isinstance(value, dict):
                found.append(f"{where}.{key}")
            found += prose_in(value, f"{where}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            found += prose_in(value, f"{where}[{index}]")
    return found


def test_spec_fixture_holds_all_of_nomads_operations_without_prose() -> None:
    spec = load_spec()
    assert len(spec.document["paths"]) == 91
    assert len(spec.operations) == 104
    assert len(spec.document["components"]["schemas"]) == 211
    assert prose_in(spec.document) == []


def test_spec_schemas_are_usable() -> None:
    """Every component and response schema is valid 2020-12 and its refs resolve."""
    spec = load_spec()
    unusable: list[str] = []
    for name, schema in spec.document["components"]["schemas"].items():
        try:
            Draft202012Validator.check_schema(schema)
        except Exception as error:
            unusable.append(f"{name}: {error}")
    for op in spec.operations.values():
        for status in op.spec["responses"]:
            pointer, _ = spec.response_pointer(op, int(status))
            if pointer is None:
                continue
            try:
                list(spec.validator(pointer).iter_errors({"probe": None}))
            except Unresolvable as error:
                unusable.append(f"{op.key} {status}: {error}")
    assert unusable == []


@pytest.mark.parametrize(
    ("method", "path", "template"),
    [
        ("GET", "/uploads/command-examples", "/uploads/command-examples"),
        ("GET", "/uploads/abc", "/uploads/{upload_id}"),
        ("GET", "/uploads/abc/raw", "/uploads/{upload_id}/raw"),
        ("GET", "/uploads/abc/raw/", "/uploads/{upload_id}/raw/{path}"),
        ("GET", "/uploads/abc/raw/dir/sub/file.txt", "/uploads/{upload_id}/raw/{path}"),
        ("GET", "/uploads/abc/rawdir/dir/sub", "/uploads/{upload_id}/rawdir/{path}"),
        ("PUT", "/uploads/abc/raw/dir/", "/uploads/{upload_id}/raw/{path}"),
        ("POST", "/uploads/abc/raw-create-dir/a/b", "/uploads/{upload_id}/raw-create-dir/{path}"),
        (
            "GET",
            "/uploads/a/archive/mainfile/d/x.json",
            "/uploads/{upload_id}/archive/mainfile/{mainfile}",
        ),
        ("GET", "/uploads/abc/archive/e1", "/uploads/{upload_id}/archive/{entry_id}"),
        ("GET", "/entries/archive", "/entries/archive"),
        ("GET", "/entries/rawdir", "/entries/rawdir"),
        ("GET", "/entries/e1/rawdir", "/entries/{entry_id}/rawdir"),
        ("POST", "/entries/archive/query", "/entries/archive/query"),
        ("POST", "/entries/e1/archive/query", "/entries/{entry_id}/archive/query"),
        ("GET", "/users/me", "/users/me"),
        ("GET", "/users/some-id", "/users/{user_id}"),
        ("POST", "/datasets/d1/action/doi", "/datasets/{dataset_id}/action/doi"),
        ("GET", "/uploads/abc/entries/e1", "/uploads/{upload_id}/entries/{entry_id}"),
    ],
)
def test_paths_match_nomads_templates(method: str, path: str, template: str) -> None:
    op = load_spec().match(method, path)
    assert op is not None
    assert op.template == template


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/uploads/abc/entries/e1/extra"), ("PATCH", "/uploads/abc"), ("GET", "/nope")],
)
def test_paths_outside_nomads_api_match_nothing(method: str, path: str) -> None:
    assert load_spec().match(method, path) is None


# --------------------------------------------------------------------------------------------
# the response checker, on bodies shaped like NOMAD's


def upload_body(**changes: Any) -> dict[str, Any]:
    data = {
        "process_running": False,
        "process_status": "READY",
        "errors": [],
        "warnings": [],
        "upload_id": "YXUIZpw5RJyV3LAsFI2MmQ",
        "with_embargo": False,
        "embargo_length": 0,
        "license": "CC BY 4.0",
        "published": False,
        **changes,
    }
    return {"upload_id": data["upload_id"], "data": data}


def check(
    method: str, path: str, status: int, body: Any, api_version: ApiVersion = "2.0"
) -> tuple[str, str | None, tuple[str, ...]]:
    verdict = check_response(load_spec(), method, path, status, body, api_version)
    return verdict.outcome, verdict.operation, verdict.problems


def test_a_conforming_upload_passes() -> None:
    assert check("GET", "/uploads/u1", 200, upload_body()) == (
        "conforms",
        "GET /uploads/{upload_id}",
        (),
    )


def test_a_null_where_nomad_wants_a_value_is_a_violation_with_its_json_path() -> None:
    outcome, operation, problems = check("GET", "/uploads/u1", 200, upload_body(errors=None))
    assert (outcome, operation) == ("violation", "GET /uploads/{upload_id}")
    assert problems == ("$.data.errors: None is not of type 'array' [type]",)


def test_a_missing_required_field_is_a_violation() -> None:
    body = upload_body()
    del body["data"]["license"]
    outcome, _, problems = check("GET", "/uploads/u1", 200, body)
    assert outcome == "violation"
    assert "'license' is a required property" in problems[0]


def test_nomads_own_422_items_are_counted_apart() -> None:
    body = {"detail": [{"msg": "No matching upload found", "loc": ["upload_id"]}]}
    assert check("POST", "/uploads/u1/edit", 422, body)[0] == "nomad_422"
    nested = {"detail": [{"msg": "x is not a quantity", "loc": [["name"]]}]}
    assert check("POST", "/entries/query", 422, nested)[0] == "nomad_422"


def test_pydantic_422_items_conform_and_garbage_422s_do_not() -> None:
    pydantic = {"detail": [{"type": "missing", "loc": ["body", "x"], "msg": "Field required"}]}
    assert check("POST", "/entries/query", 422, pydantic)[0] == "conforms"
    assert check("POST", "/entries/query", 422, {"detail": [{"oops": 1}]})[0] == "violation"


def test_error_bodies_must_be_detail_objects() -> None:
    # 403 is not declared for this operation: only the shape is checked
    assert check("GET", "/uploads/u1", 403, {"detail": "no"})[0] == "conforms"
    assert check("GET", "/uploads/u1", 403, {"error": "no"})[0] == "violation"
    # 401 is declared as HTTPExceptionModel: detail must be a string
    assert check("GET", "/uploads/u1", 401, {"detail": ["no"]})[0] == "violation"
    assert check("GET", "/no/route", 404, {"detail": "Not Found"})[0] == "conforms"


def test_success_outside_nomads_operations_or_statuses_is_a_violation() -> None:
    assert check("GET", "/no/route", 200, {})[0] == "violation"
    outcome, _, problems = check("POST", "/auth/pats", 200, {})
    assert outcome == "violation"
    assert "never 200" in problems[0]


def test_documented_13_differences_pass_only_in_13() -> None:
    token = {"access_token": "t", "token_type": "bearer"}
    assert check("POST", "/auth/token", 200, token, "1.3")[0] == "documented_1.3"
    assert check("GET", "/auth/token", 200, token, "1.3")[0] == "documented_1.3"
    assert check("POST", "/auth/token", 200, token, "2.0")[0] == "violation"
    assert check("GET", "/auth/token", 200, token, "2.0")[0] == "violation"
    listing = {"pagination": {"page_size": 10, "total": 0}, "data": []}
    assert check("GET", "/datasets/", 200, listing, "1.3")[0] == "conforms"


# --------------------------------------------------------------------------------------------
# the plugin, end to end


@pytest.fixture(scope="module")
def stand_ins() -> Iterator[dict[ApiVersion, NomadStandIn]]:
    with (
        NomadStandIn(api_version="2.0", processing_delay=0.01) as v20,
        NomadStandIn(api_version="1.3", processing_delay=0.01) as v13,
    ):
        yield {"2.0": v20, "1.3": v13}


@pytest.mark.parametrize("api_version", VERSIONS)
def test_stand_in_traffic_is_checked(
    stand_ins: dict[ApiVersion, NomadStandIn], api_version: ApiVersion, pytestconfig: pytest.Config
) -> None:
    outcomes = pytestconfig.stash[RECORDER].outcomes
    before = outcomes["conforms"]
    response = httpx.get(f"{stand_ins[api_version].api_url}/no/such/route")
    assert response.status_code == 404
    assert outcomes["conforms"] == before + 1


INNER_TESTS = """
import asyncio
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import httpx
import pytest

GOOD = {"process_running": False, "errors": [], "warnings": [], "upload_id": "u",
        "with_embargo": False, "embargo_length": 0, "license": "CC BY 4.0"}
BODIES = {
    "/api/v1/uploads/good": (200, {"upload_id": "u", "data": GOOD}),
    "/api/v1/uploads/bad": (200, {"upload_id": "u", "data": {**GOOD, "process_running": None}}),
    "/api/v1/uploads/edit": (422, {"detail": [{"msg": "No such upload", "loc": ["upload_id"]}]}),
}


class Handler(BaseHTTPRequestHandler):
    def do_GET(self):
        status, body = BODIES[self.path]
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


@pytest.fixture(scope="module")
def api():
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_port}/api/v1"
    server.shutdown()


def test_sync_violation(api):
    assert httpx.get(api + "/uploads/bad").status_code == 200


def test_async_violation(api):
    async def fetch():
        async with httpx.AsyncClient() as client:
            return await client.get(api + "/uploads/bad")
    assert asyncio.run(fetch()).status_code == 200


@pytest.mark.no_spec_validation
def test_opted_out(api):
    httpx.get(api + "/uploads/bad")


def test_streamed_and_abandoned(api):
    with httpx.stream("GET", api + "/uploads/bad"):
        pass


def test_conforming_and_nomad_422(api):
    httpx.get(api + "/uploads/good")
    httpx.get(api + "/uploads/edit")
"""


INNER_PYTEST_OPTIONS = ("-p", "conformance_plugin", "-p", "no:cacheprovider", "-q", "-rf")


def test_plugin_fails_exactly_the_tests_that_received_violations(tmp_path: Path) -> None:
    (tmp_path / "test_inner.py").write_text(textwrap.dedent(INNER_TESTS), encoding="utf-8")
    tests_dir = Path(__file__).resolve().parent
    result = subprocess.run(
        [sys.executable, "-m", "pytest", *INNER_PYTEST_OPTIONS, "test_inner.py"],
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(tests_dir)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    output = result.stdout + result.stderr
    assert "2 failed, 3 passed" in output, output
    assert "FAILED test_inner.py::test_sync_violation" in output
    assert "FAILED test_inner.py::test_async_violation" in output
    assert "GET /uploads/{upload_id} (GET http://127.0.0.1:" in output
    assert "$.data.process_running: None is not of type 'boolean' [type]" in output
    assert "responses: 4 validated, 1 of 104 operations covered, 2 violations" in output
    assert "1 NOMAD-style 422 bodies" in output
    assert "1 not read to the end" in output
    assert "1 opted out" in output


def test_trimmed_spec_is_minified_json() -> None:
    text = SPEC_FILE.read_text(encoding="utf-8")
    assert json.loads(text)["openapi"] == "3.1.0"
    assert "\n" not in text.rstrip("\n")


# --------------------------------------------------------------------------------------------
# a tour of the stand-in: every response on the way is validated by the plugin

TOUR_USER = ("alice", "alice-password")
ARCHIVE = {"data": {"m_def": "nomad.datamodel.metainfo.eln.ElnBaseSection", "name": "x"}}


def tour_step(client: httpx.Client, method: str, url: str, **kwargs: Any) -> httpx.Response:
    """One request of the tour; the plugin checks the response, the tour only needs no 5xx."""
    response = client.request(method, url, **kwargs)
    assert response.status_code < 500, f"{method} {url}: {response.status_code} {response.text}"
    return response


def wait_until_idle(client: httpx.Client, upload_id: str) -> None:
    for _ in range(500):
        upload = tour_step(client, "GET", f"/uploads/{upload_id}").json()["data"]
        if not upload["process_running"]:
            return
        time.sleep(0.01)
    raise AssertionError(f"upload {upload_id} kept processing")


@pytest.fixture(scope="module")
def tour_servers() -> Iterator[dict[ApiVersion, NomadStandIn]]:
    users = dict([TOUR_USER, ("bob", "bob-password")])
    with (
        NomadStandIn(users=users, api_version="2.0", processing_delay=0.01) as v20,
        NomadStandIn(users=users, api_version="1.3", processing_delay=0.01) as v13,
    ):
        yield {"2.0": v20, "1.3": v13}


@pytest.mark.parametrize("api_version", VERSIONS)
def test_a_tour_of_the_stand_in_conforms(
    tour_servers: dict[ApiVersion, NomadStandIn], api_version: ApiVersion
) -> None:
    server = tour_servers[api_version]
    auth = {"Authorization": f"Bearer {server.token_for('alice')}"}
    with (
        httpx.Client(base_url=server.api_url, timeout=30) as anonymous,
        httpx.Client(base_url=server.api_url, headers=auth, timeout=30) as alice,
    ):
        # errors first: unknown route, unknown id, no credentials, bad body
        tour_step(anonymous, "GET", "/uploads/no-such-upload")
        tour_step(anonymous, "GET", "/users/me")
        tour_step(alice, "POST", "/entries/query", content=b"{not json")
        tour_step(alice, "POST", "/entries/query", json={"pagination": {"page_size": -1}})
        tour_step(anonymous, "GET", "/info")
        form = {"grant_type": "password", "username": TOUR_USER[0], "password": TOUR_USER[1]}
        tour_step(anonymous, "POST", "/auth/token", data=form)
        tour_step(anonymous, "POST", "/auth/token", data={**form, "password": "wrong"})
        tour_step(alice, "GET", "/auth/signature_token")
        tour_step(alice, "GET", "/auth/app_token", params={"expires_in": 60})
        me = tour_step(alice, "GET", "/users/me").json()
        tour_step(anonymous, "GET", "/users", params={"prefix": "ali"})
        tour_step(anonymous, "GET", f"/users/{me['user_id']}")

        # an upload with one entry, its files, entries and archive
        created = tour_step(
            alice,
            "POST",
            "/uploads",
            params={"upload_name": "tour"},
            files={"file": ("a.archive.json", json.dumps(ARCHIVE).encode())},
            headers={"Accept": "application/json"},
        ).json()
        upload_id = created["upload_id"]
        wait_until_idle(alice, upload_id)
        tour_step(alice, "GET", "/uploads", params={"page_size": 5})
        entries = tour_step(alice, "GET", f"/uploads/{upload_id}/entries").json()
        entry_id = entries["data"][0]["entry_id"]
        tour_step(alice, "GET", f"/uploads/{upload_id}/entries/{entry_id}")
        tour_step(alice, "GET", f"/uploads/{upload_id}/rawdir/")
        tour_step(alice, "GET", f"/uploads/{upload_id}/rawdir/a.archive.json")
        tour_step(alice, "GET", f"/uploads/{upload_id}/raw/no-such-file")
        tour_step(alice, "GET", f"/uploads/{upload_id}/archive/{entry_id}")
        tour_step(alice, "GET", f"/uploads/{upload_id}/archive/mainfile/a.archive.json")
        tour_step(
            alice,
            "PUT",
            f"/uploads/{upload_id}/raw/sub/",
            files={"file": ("notes.txt", b"hello")},
            headers={"Accept": "application/json"},
        )
        wait_until_idle(alice, upload_id)
        tour_step(alice, "POST", f"/uploads/{upload_id}/edit", json={"metadata": {}})
        edit = {"metadata": {"upload_name": "tour 2", "comment": "on tour"}}
        tour_step(alice, "POST", f"/uploads/{upload_id}/edit", json=edit)
        wait_until_idle(alice, upload_id)

        # search
        owner = {"owner": "visible"}
        tour_step(alice, "POST", "/entries/query", json=owner)
        tour_step(alice, "GET", "/entries", params={**owner, "upload_id": upload_id})
        tour_step(alice, "GET", f"/entries/{entry_id}")
        tour_step(alice, "GET", f"/entries/{entry_id}/archive")
        tour_step(alice, "POST", f"/entries/{entry_id}/archive/query", json={"required": "*"})
        tour_step(alice, "POST", "/entries/archive/query", json=owner)
        tour_step(alice, "GET", "/entries/archive", params=owner)
        tour_step(alice, "GET", f"/entries/{entry_id}/rawdir")
        tour_step(alice, "POST", "/entries/rawdir/query", json=owner)
        tour_step(alice, "GET", "/entries/rawdir", params=owner)
        tour_step(alice, "GET", "/entries/no-such-entry")

        # datasets, in the collection spelling of each version
        collection = "/datasets/" if api_version == "1.3" else "/datasets"
        dataset = tour_step(alice, "POST", collection, json={"dataset_name": "tour"}).json()
        tour_step(alice, "POST", collection, json={"dataset_name": "tour"})
        tour_step(anonymous, "GET", collection, params={"page_size": 5})
        tour_step(anonymous, "GET", f"/datasets/{dataset['dataset_id']}")
        tour_step(alice, "POST", f"/datasets/{dataset['dataset_id']}/action/doi")
        tour_step(alice, "DELETE", f"/datasets/{dataset['dataset_id']}")

        # publish, reprocess, delete
        tour_step(alice, "POST", f"/uploads/{upload_id}/action/publish")
        wait_until_idle(alice, upload_id)
        tour_step(alice, "POST", f"/uploads/{upload_id}/action/process")
        wait_until_idle(alice, upload_id)
        empty = tour_step(alice, "POST", "/uploads", headers={"Accept": "application/json"})
        tour_step(alice, "DELETE", f"/uploads/{empty.json()['upload_id']}")

"""NOMAD's real OpenAPI spec as a yardstick for the stand-in: route matching and response checks.

The spec is `spec/openapi-v1.trimmed.json` (NOMAD 2.0.0, trimmed by `tools/trim_spec.py`).
NOMAD 1.3 differs from it in a few documented ways (REFERENCE.md §11); those are listed here
once, for the route test and for the response validator alike.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import pytest
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match
from referencing import Registry
from referencing.exceptions import Unresolvable
from referencing.jsonschema import DRAFT202012

SPEC_FILE = Path(__file__).resolve().parent / "spec" / "openapi-v1.trimmed.json"
SPEC_URI = "urn:nomad:openapi-v1"
JSON_MEDIA_TYPE = "application/json"

# NOMAD declares these with FastAPI's `:path` converter, so they may span several segments; the
# spec shows them as plain `{path}` / `{mainfile}`.
MULTI_SEGMENT_PARAMETERS = frozenset({"path", "mainfile"})

# Served by FastAPI next to the API, documented in REFERENCE.md §1 but not operations of it.
DOCS_PATHS = frozenset(
    {"", "/", "/openapi.json", "/extensions/docs", "/extensions/redoc", "/extensions/docs/"}
)

ApiVersion = Literal["2.0", "1.3"]
Outcome = Literal[
    "conforms", "violation", "nomad_422", "documented_1.3", "no_schema", "unusable_schema", "docs"
]


# --------------------------------------------------------------------------------------------
# NOMAD 1.3's documented differences from the 2.0 spec (REFERENCE.md §11 and the sections named)


@dataclass(frozen=True)
class LegacyRoute:
    """A route NOMAD 1.3 serves that the 2.0 spec lacks, and the 2.0 operation it stands for.

    `query_parameters` are the documented parameters where they differ from the 2.0 operation's
    (None: the same as the 2.0 operation's).
    """

    method: str
    path: str
    spec_method: str
    spec_path: str
    reference: str
    query_parameters: frozenset[str] | None = None


NOMAD_13_ONLY_ROUTES = (
    LegacyRoute("GET", "/datasets/", "GET", "/datasets", "REFERENCE.md §1, §8, §11"),
    LegacyRoute("POST", "/datasets/", "POST", "/datasets", "REFERENCE.md §1, §8, §11"),
    LegacyRoute(
        "GET",
        "/auth/token",
        "POST",
        "/auth/token",
        "REFERENCE.md §3.2, §11",
        query_parameters=frozenset({"username", "password"}),
    ),
)

_SIGNATURE_TOKEN_ROUTES = (
    "/entries/raw",
    "/entries/archive/download",
    "/entries/{entry_id}/raw",
    "/entries/{entry_id}/raw/{path}",
    "/entries/{entry_id}/archive/download",
    "/uploads/{upload_id}/raw",
    "/uploads/{upload_id}/raw/{path}",
)
_UPLOAD_TOKEN_OPERATIONS = (
    ("POST", "/uploads"),
    ("PUT", "/uploads/{upload_id}/raw/{path}"),
    ("DELETE", "/uploads/{upload_id}/raw/{path}"),
    ("POST", "/uploads/{upload_id}/raw-create-dir/{path}"),
    ("POST", "/uploads/bundle"),
)


def _legacy_parameters() -> dict[tuple[str, str], frozenset[str]]:
    extra: dict[tuple[str, str], set[str]] = {}
    for path in _SIGNATURE_TOKEN_ROUTES:  # §3.3: `?signature_token=` on downloads
        extra.setdefault(("GET", path), set()).add("signature_token")
    for key in _UPLOAD_TOKEN_OPERATIONS:  # §3.4: upload token as `?token=`
        extra.setdefault(key, set()).add("token")
    # §7.3: 1.3 query `ignore_mime_type` on the archive download
    extra.setdefault(("GET", "/entries/{entry_id}/archive/download"), set()).add("ignore_mime_type")
    return {key: frozenset(names) for key, names in extra.items()}


NOMAD_13_ONLY_PARAMETERS = _legacy_parameters()

# §11 "new endpoints" of 2.0, and the 2.0 spelling of the dataset collection (§1): a 1.3
# stand-in must not serve these.
NOMAD_20_ONLY_ROUTES = re.compile(
    r"^(/datasets"
    r"|/auth/pats(/.*)?"
    r"|/uploads/[^/]+/action/(stop-processing|transfer|assign-doi)"
    r"|/uploads/[^/]+/export"
    r"|/uploads/import"
    r"|/uploads/[^/]+/included-entries(/validate)?"
    r"|/entries/export"
    r"|/ownership-transfers(/.*)?"
    r"|/notifications"
    r"|/actions(/.*)?)$"
)


@dataclass(frozen=True)
class DocumentedDeviation:
    """A place where NOMAD 1.3's responses are documented to differ from the 2.0 schema."""

    operation: str
    status: int
    json_path: str
    reference: str


NOMAD_13_RESPONSE_DEVIATIONS = (
    # 1.3 answers `{"access_token", "token_type": "bearer"}`; 2.0's OIDCToken wants "Bearer".
    DocumentedDeviation("POST /auth/token", 200, "$.token_type", "REFERENCE.md §3.1, §11"),
)


# --------------------------------------------------------------------------------------------
# the spec


@dataclass(frozen=True)
class Operation:
    """One operation of NOMAD's spec."""

    method: str
    template: str
    spec: Mapping[str, Any]
    pattern: re.Pattern[str] = field(compare=False, repr=False)

    @property
    def key(self) -> str:
        """`METHOD /template`, how operations are named in messages."""
        return f"{self.method} {self.template}"

    def parameters(self, *locations: str) -> dict[str, Mapping[str, Any]]:
        """The operation's parameters in the given locations, by name."""
        return {p["name"]: p for p in self.spec.get("parameters", []) if p["in"] in locations}


def template_pattern(template: str) -> re.Pattern[str]:
    """A regex matching the concrete paths of a path template."""
    regex = []
    for part in re.split(r"(\{[^}]+\})", template):
        if part.startswith("{"):
            regex.append(".*" if part[1:-1] in MULTI_SEGMENT_PARAMETERS else "[^/]+")
        else:
            regex.append(re.escape(part))
    return re.compile("".join(regex) + r"\Z")


def json_pointer(*parts: str) -> str:
    """An RFC 6901 pointer to the given keys."""
    return "".join("/" + part.replace("~", "~0").replace("/", "~1") for part in parts)


class Spec:
    """NOMAD's operations, with path matching and cached response validators."""

    def __init__(self, document: Mapping[str, Any]) -> None:
        self.document = document
        self.registry: Registry[Any] = Registry().with_resource(
            SPEC_URI, DRAFT202012.create_resource(document)
        )
        operations = [
            Operation(method.upper(), template, operation, template_pattern(template))
            for template, item in document["paths"].items()
            for method, operation in item.items()
        ]
        # The most literal template wins: `/entries/archive` before `/entries/{entry_id}`.
        operations.sort(key=lambda op: -len(re.sub(r"\{[^}]+\}", "", op.template)))
        self.operations = {(op.method, op.template): op for op in operations}
        self._validators: dict[str, Draft202012Validator] = {}

    def operation(self, method: str, template: str) -> Operation | None:
        """The operation with exactly this method and template."""
        return self.operations.get((method.upper(), template))

    def match(self, method: str, path: str) -> Operation | None:
        """The operation serving `method path` (path relative to the API root)."""
        method = method.upper()
        for op in self.operations.values():
            if op.method == method and op.pattern.match(path):
                return op
        return None

    def response_pointer(self, op: Operation, status: int) -> tuple[str | None, bool]:
        """Where the JSON schema for `status` sits, and whether NOMAD declares the status.

        Falls back to the `default` response like OpenAPI does.
        """
        responses = op.spec["responses"]
        declared = str(status) if str(status) in responses else None
        if declared is None and "default" in responses:
            declared = "default"
        if declared is None:
            return None, False
        media = responses[declared]["content"].get(JSON_MEDIA_TYPE)
        if media is None or "schema" not in media:
            return None, True
        pointer = json_pointer(
            "paths", op.template, op.method.lower(), "responses", declared, "content"
        )
        return pointer + json_pointer(JSON_MEDIA_TYPE, "schema"), True

    def validator(self, pointer: str) -> Draft202012Validator:
        """A validator for the schema at `pointer` (refs resolved within the spec)."""
        if pointer not in self._validators:
            self._validators[pointer] = Draft202012Validator(
                {"$ref": f"{SPEC_URI}#{pointer}"}, registry=self.registry
            )
        return self._validators[pointer]


@functools.cache
def load_spec() -> Spec:
    """The trimmed spec fixture, parsed once per process."""
    return Spec(json.loads(SPEC_FILE.read_text(encoding="utf-8")))


def resolve_operation(
    spec: Spec, method: str, path: str, api_version: ApiVersion
) -> Operation | None:
    """The spec operation whose schemas apply to `method path` on a stand-in of `api_version`."""
    if api_version == "1.3":
        for legacy in NOMAD_13_ONLY_ROUTES:
            if legacy.method == method.upper() and legacy.path == path:
                return spec.operation(legacy.spec_method, legacy.spec_path)
    return spec.match(method, path)


# --------------------------------------------------------------------------------------------
# response checks


@dataclass(frozen=True)
class Verdict:
    """What the spec says about one response."""

    outcome: Outcome
    operation: str | None = None
    problems: tuple[str, ...] = ()


def is_error_body(body: Any) -> bool:
    """NOMAD's error shape: exactly `{"detail": ...}`."""
    return isinstance(body, dict) and set(body) == {"detail"}


def is_nomad_422(body: Any) -> bool:
    """A 422 of NOMAD's own validators: `{"detail": [{"msg": str, "loc": [...]}, ...]}`.

    These items carry no `type` (2.0) and may have nested `loc`s, so they do not fit the
    pydantic `HTTPValidationError` schema the spec declares (REFERENCE.md §2).
    """
    if not is_error_body(body) or not isinstance(body["detail"], list) or not body["detail"]:
        return False
    return all(
        isinstance(item, dict)
        and isinstance(item.get("msg"), str)
        and isinstance(item.get("loc"), list)
        for item in body["detail"]
    )


def describe(error: ValidationError) -> str:
    """One readable line: JSON path of the violation, message, schema keyword."""
    deepest = best_match([error])
    message = deepest.message if len(deepest.message) <= 300 else deepest.message[:297] + "..."
    return f"{deepest.json_path}: {message} [{deepest.validator}]"


def _is_documented(op: Operation, status: int, error: ValidationError, api_version: str) -> bool:
    if api_version != "1.3":
        return False
    return any(
        deviation.operation == op.key
        and deviation.status == status
        and deviation.json_path == best_match([error]).json_path
        for deviation in NOMAD_13_RESPONSE_DEVIATIONS
    )


def _check_error_shape(op: Operation | None, status: int, body: Any) -> Verdict:
    key = op.key if op else None
    if is_error_body(body):
        return Verdict("conforms", key)
    return Verdict("violation", key, (f"$: an error body must be {{'detail': ...}}, got {body!r}",))


def check_response(
    spec: Spec, method: str, path: str, status: int, body: Any, api_version: ApiVersion
) -> Verdict:
    """Check one JSON response of a stand-in against NOMAD's spec (path relative to the API)."""
    if path in DOCS_PATHS:
        return Verdict("docs")
    op = resolve_operation(spec, method, path, api_version)
    if op is None:
        if status >= 400:
            return _check_error_shape(None, status, body)
        return Verdict("violation", None, (f"{method} {path} is not an operation of NOMAD's API",))
    pointer, declared = spec.response_pointer(op, status)
    if pointer is None:
        if status >= 400:
            return _check_error_shape(op, status, body)
        if declared:
            return Verdict("no_schema", op.key)
        statuses = ", ".join(op.spec["responses"])
        return Verdict(
            "violation", op.key, (f"NOMAD answers {op.key} with {statuses}, never {status}",)
        )
    try:
        errors = list(spec.validator(pointer).iter_errors(body))
    except Unresolvable as error:
        return Verdict("unusable_schema", op.key, (f"{pointer}: {error}",))
    if not errors:
        return Verdict("conforms", op.key)
    undocumented = [e for e in errors if not _is_documented(op, status, e, api_version)]
    if not undocumented:
        return Verdict("documented_1.3", op.key)
    if status == 422 and is_nomad_422(body):
        return Verdict("nomad_422", op.key)
    return Verdict("violation", op.key, tuple(describe(e) for e in undocumented[:5]))


# --------------------------------------------------------------------------------------------
# figures of the route test, shown in the terminal summary


@dataclass
class RouteTally:
    """Figures of the route conformance test for one API version."""

    served: int = 0
    spec_operations: set[str] = field(default_factory=set)
    parameters_checked: int = 0
    failed: int = 0


ROUTE_TALLIES = pytest.StashKey[dict[str, RouteTally]]()

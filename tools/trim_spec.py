"""Trim NOMAD's OpenAPI spec to the facts the conformance tests need.

Usage: `python tools/trim_spec.py PATH/TO/openapi-v1.json [-o tests/spec/openapi-v1.trimmed.json]`

Keeps paths (methods, operationId, parameters, request and response media types with their
schemas) and the component schemas reachable from them, with every validation keyword; drops
NOMAD's prose (descriptions, summaries, titles, examples, tags). Unknown keywords stop the script,
so nothing is dropped silently when NOMAD's spec grows a new one.
"""

from __future__ import annotations

import argparse
import json
import re
from pathlib import Path
from typing import Any

DEFAULT_OUTPUT = Path(__file__).resolve().parent.parent / "tests/spec/openapi-v1.trimmed.json"
HTTP_METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")

SCHEMA_KEYWORDS_KEPT = frozenset(
    {
        "$ref", "type", "enum", "const", "format", "default", "deprecated", "required",
        "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf",
        "minLength", "maxLength", "pattern", "contentMediaType",
        "minItems", "maxItems", "uniqueItems", "minProperties", "maxProperties",
        "discriminator",
    }
)  # fmt: skip
SCHEMA_KEYWORDS_NESTED = frozenset(
    {"items", "additionalProperties", "not", "propertyNames", "contains"}
)
SCHEMA_KEYWORDS_LISTS = frozenset({"anyOf", "oneOf", "allOf", "prefixItems"})
PROSE_KEYWORDS = frozenset({"title", "description", "examples", "example", "hidden"})
REF_PATTERN = re.compile(r"^#/components/schemas/(?P<name>[^/]+)$")


class UnknownKeywordError(ValueError):
    """The spec uses a keyword this script does not know how to trim."""


def trim_schema(schema: Any, where: str) -> Any:
    """One JSON schema without prose, its sub-schemas trimmed the same way."""
    if isinstance(schema, bool):
        return schema
    trimmed: dict[str, Any] = {}
    for key, value in schema.items():
        if key in PROSE_KEYWORDS:
            continue
        if key in SCHEMA_KEYWORDS_KEPT:
            trimmed[key] = value
        elif key == "properties":
            trimmed[key] = {
                name: trim_schema(sub, f"{where}.{name}") for name, sub in value.items()
            }
        elif key in SCHEMA_KEYWORDS_NESTED:
            trimmed[key] = trim_schema(value, f"{where}/{key}")
        elif key in SCHEMA_KEYWORDS_LISTS:
            trimmed[key] = [trim_schema(sub, f"{where}/{key}") for sub in value]
        else:
            raise UnknownKeywordError(f"{where}: unknown schema keyword {key!r}")
    return trimmed


def trim_media(content: dict[str, Any], where: str) -> dict[str, Any]:
    """Media types with their schemas (an empty object where NOMAD gives none)."""
    return {
        media_type: (
            {"schema": trim_schema(media["schema"], f"{where} {media_type}")}
            if "schema" in media
            else {}
        )
        for media_type, media in content.items()
    }


def trim_parameter(parameter: dict[str, Any], where: str) -> dict[str, Any]:
    """A parameter's name, location, requiredness and schema."""
    trimmed = {
        "name": parameter["name"],
        "in": parameter["in"],
        "required": parameter.get("required", False),
        "schema": trim_schema(parameter.get("schema", {}), f"{where} {parameter['name']}"),
    }
    if parameter.get("deprecated"):
        trimmed["deprecated"] = True
    return trimmed


def trim_operation(operation: dict[str, Any], where: str) -> dict[str, Any]:
    """An operation's id, parameters, request body and responses."""
    trimmed: dict[str, Any] = {"operationId": operation["operationId"]}
    if operation.get("deprecated"):
        trimmed["deprecated"] = True
    if "parameters" in operation:
        trimmed["parameters"] = [trim_parameter(p, where) for p in operation["parameters"]]
    if "requestBody" in operation:
        body = operation["requestBody"]
        trimmed["requestBody"] = {
            "required": body.get("required", False),
            "content": trim_media(body["content"], f"{where} body"),
        }
    trimmed["responses"] = {
        status: {"content": trim_media(response.get("content", {}), f"{where} {status}")}
        for status, response in operation["responses"].items()
    }
    return trimmed


def referenced_schemas(document: Any) -> set[str]:
    """Names of the component schemas `document` refers to directly."""
    found: set[str] = set()
    stack = [document]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str):
                match = REF_PATTERN.match(ref)
                if match is None:
                    raise UnknownKeywordError(f"unsupported $ref {ref!r}")
                found.add(match["name"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return found


def reachable_schemas(paths: dict[str, Any], schemas: dict[str, Any]) -> dict[str, Any]:
    """The component schemas the paths use, directly or through other schemas."""
    wanted = sorted(referenced_schemas(paths))
    kept: dict[str, Any] = {}
    while wanted:
        name = wanted.pop()
        if name in kept:
            continue
        if name not in schemas:
            raise UnknownKeywordError(f"$ref to a missing schema {name!r}")
        kept[name] = schemas[name]
        wanted.extend(referenced_schemas(schemas[name]) - kept.keys())
    return dict(sorted(kept.items()))


def trim_spec(spec: dict[str, Any]) -> dict[str, Any]:
    """The whole trimmed document."""
    paths = {
        path: {
            method: trim_operation(operation, f"{method.upper()} {path}")
            for method, operation in item.items()
            if method in HTTP_METHODS
        }
        for path, item in spec["paths"].items()
    }
    schemas = {
        name: trim_schema(schema, name) for name, schema in spec["components"]["schemas"].items()
    }
    return {
        "openapi": spec["openapi"],
        "info": {"version": spec["info"]["version"]},
        "paths": paths,
        "components": {"schemas": reachable_schemas(paths, schemas)},
    }


def main(argv: list[str] | None = None) -> None:
    """Read the full spec, write the trimmed one, report the sizes."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("spec", type=Path, help="NOMAD's openapi.json")
    parser.add_argument("-o", "--output", type=Path, default=DEFAULT_OUTPUT)
    args = parser.parse_args(argv)
    spec = json.loads(args.spec.read_text(encoding="utf-8"))
    trimmed = trim_spec(spec)
    text = json.dumps(trimmed, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    args.output.parent.mkdir(parents=True, exist_ok=True)
    args.output.write_text(text + "\n", encoding="utf-8")
    operations = sum(len(item) for item in trimmed["paths"].values())
    print(
        f"{args.output}: {len(text) + 1} bytes (from {args.spec.stat().st_size}), "
        f"{len(trimmed['paths'])} paths, {operations} operations, "
        f"{len(trimmed['components']['schemas'])} of {len(spec['components']['schemas'])} schemas"
    )


if __name__ == "__main__":
    main()

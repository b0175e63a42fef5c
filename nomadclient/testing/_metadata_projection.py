"""`required` include/exclude patterns applied to entry metadata (wildcards allowed)."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable, Iterable
from typing import Any


def project_metadata(
    metadata: dict[str, Any],
    include: list[str] | None,
    exclude: list[str] | None,
    keep: Iterable[str] = ("entry_id",),
) -> dict[str, Any]:
    """Metadata restricted by `required` patterns (wildcards allowed; `keep` always stays)."""
    kept = set(keep)
    result = metadata
    if include is not None:
        patterns = [*include, *kept]
        result = _select(result, "", lambda path: _matches(path, patterns), keep_matches=True)
    if exclude:
        patterns = [pattern for pattern in exclude if pattern not in kept]
        result = _select(result, "", lambda path: _matches(path, patterns), keep_matches=False)
    return result


def _matches(path: str, patterns: list[str]) -> bool:
    return any(fnmatch.fnmatchcase(path, pattern) for pattern in patterns)


def _select(
    data: dict[str, Any], prefix: str, matches: Callable[[str], bool], *, keep_matches: bool
) -> dict[str, Any]:
    selected: dict[str, Any] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if matches(path):
            if keep_matches:
                selected[key] = value
            continue
        if isinstance(value, dict):
            inner = _select(value, path + ".", matches, keep_matches=keep_matches)
            if inner or not keep_matches:
                selected[key] = inner
        elif isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            items = [_select(v, path + ".", matches, keep_matches=keep_matches) for v in value]
            items = [item for item in items if item or not keep_matches]
            if items:
                selected[key] = items
        elif not keep_matches:
            selected[key] = value
    return selected

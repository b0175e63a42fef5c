"""The stand-in's search index: entry metadata, NOMAD's query language, owners, pagination.

NOMAD answers entry searches from Elasticsearch. Here the "index" is the metadata dict of each
entry (`entry_metadata`, cached per upload version), the query language is compiled into a
predicate over those dicts, and the ordered id list of every (owner, user, query, order) is
cached per `store.generation`, so that walking a large result page by page costs one scan.
"""

from __future__ import annotations

import fnmatch
import json
import threading
import weakref
from collections import OrderedDict
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import PurePosixPath
from typing import Any, Literal

from ._errors import NomadError, forbidden, validation_error
from ._files import mainfile_dir_files
from ._state import (
    NOMAD_VERSIONS,
    ApiVersion,
    EntryRecord,
    Store,
    UploadRecord,
    UserRecord,
    format_index_time,
    is_public,
    omit_none,
)
from ._validation import request_invalid

Kind = Literal["str", "number", "bool", "datetime"]


# --------------------------------------------------------------------------------------------
# searchable quantities


@dataclass(frozen=True)
class Quantity:
    """A search quantity: a dotted path into entry metadata, its value kind and multiplicity."""

    name: str
    kind: Kind = "str"
    scalar: bool = True


def _quantities(kind: Kind, scalar: bool, names: str) -> dict[str, Quantity]:
    return {name: Quantity(name, kind, scalar) for name in names.split()}


# the entry quantities NOMAD indexes (a subset of its `entries` document type)
_FIXED_QUANTITIES: dict[str, Quantity] = {
    **_quantities(
        "str",
        True,
        "entry_id calc_id upload_id upload_name mainfile mainfile_key parser_name entry_name "
        "entry_type license nomad_version nomad_commit comment external_id external_db origin "
        "domain description process_status main_author.user_id main_author.name "
        "text_search_contents",
    ),
    **_quantities(
        "str",
        False,
        "references processing_errors files quantities sections "
        "section_defs.definition_qualified_name "
        "authors.user_id authors.name writers.user_id writers.name viewers.user_id viewers.name "
        "writer_groups viewer_groups datasets.dataset_id datasets.dataset_name datasets.doi "
        "datasets.dataset_type",
    ),
    **_quantities("bool", True, "published with_embargo processed"),
    **_quantities(
        "datetime",
        True,
        "upload_create_time entry_create_time publish_time last_processing_time",
    ),
    **_quantities("datetime", False, "datasets.dataset_create_time datasets.dataset_modified_time"),
    **_quantities("number", True, "n_quantities"),
    # the most used `results` quantities; others become searchable once some entry has them
    **_quantities(
        "str",
        True,
        "results.material.material_id results.material.material_name "
        "results.material.structural_type results.material.dimensionality "
        "results.material.building_block results.material.chemical_formula_hill "
        "results.material.chemical_formula_reduced results.material.chemical_formula_descriptive "
        "results.material.chemical_formula_anonymous results.material.elements_exclusive "
        "results.material.symmetry.crystal_system results.material.symmetry.bravais_lattice "
        "results.material.symmetry.space_group_symbol results.material.symmetry.point_group "
        "results.material.symmetry.structure_name results.method.method_name "
        "results.method.workflow_name results.method.simulation.program_name "
        "results.method.simulation.program_version "
        "results.method.simulation.dft.xc_functional_type "
        "results.method.simulation.dft.basis_set_type",
    ),
    **_quantities(
        "str",
        False,
        "results.material.elements results.properties.available_properties "
        "results.method.simulation.dft.xc_functional_names",
    ),
    **_quantities(
        "number",
        True,
        "results.material.n_elements results.material.symmetry.space_group_number "
        "results.properties.n_calculations "
        "results.properties.structures.structure_original.n_sites "
        "results.properties.structures.structure_conventional.n_sites "
        "results.properties.structures.structure_original.cell_volume",
    ),
    **_quantities(
        "number", False, "results.properties.electronic.band_structure_electronic.band_gap.value"
    ),
}

_SORT_ONLY = {"_score", "_doc"}


def _infer_kind(value: Any) -> Kind:
    if isinstance(value, bool):
        return "bool"
    if isinstance(value, int | float):
        return "number"
    return "str"


# --------------------------------------------------------------------------------------------
# per-store caches


@dataclass
class _IdList:
    """The ordered ids matching one search, valid for one store generation."""

    generation: int
    ids: list[str]
    positions: dict[str, int]


@dataclass
class _SearchState:
    """What the search keeps per store: metadata, discovered quantities, result lists."""

    metadata: dict[str, tuple[tuple[int, str, int], dict[str, Any]]] = field(default_factory=dict)
    discovered: dict[str, Quantity] = field(default_factory=dict)
    results: OrderedDict[str, _IdList] = field(default_factory=OrderedDict)
    # a store-independent lock would serialize servers; this one only guards these caches
    lock: threading.Lock = field(default_factory=threading.Lock)


_STATES: weakref.WeakKeyDictionary[Store, _SearchState] = weakref.WeakKeyDictionary()
_STATES_LOCK = threading.Lock()
_MAX_CACHED_RESULTS = 64


def _state_of(store: Store) -> _SearchState:
    with _STATES_LOCK:
        state = _STATES.get(store)
        if state is None:
            state = _STATES[store] = _SearchState()
        return state


def quantity(store: Store, name: str) -> Quantity | None:
    """The search quantity called `name`, or None if NOMAD would not know it."""
    return _FIXED_QUANTITIES.get(name) or _state_of(store).discovered.get(name)


def register_quantities(store: Store, results: dict[str, Any]) -> None:
    """Make the `results.*` paths of one entry searchable (kinds inferred from the values)."""
    discovered = _state_of(store).discovered
    for path, value in _leaf_paths("results", results):
        if path in _FIXED_QUANTITIES or path in discovered:
            continue
        scalar = not isinstance(value, list)
        sample = value[0] if isinstance(value, list) and value else value
        discovered[path] = Quantity(path, _infer_kind(sample), scalar)


def _leaf_paths(prefix: str, value: Any) -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key, child in value.items():
            yield from _leaf_paths(f"{prefix}.{key}", child)
    elif isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        for item in value:
            yield from _leaf_paths(prefix, item)
    else:
        yield prefix, value


# --------------------------------------------------------------------------------------------
# entry metadata


def entry_metadata(store: Store, entry: EntryRecord) -> dict[str, Any]:
    """The search-index metadata NOMAD serves for an entry (nulls omitted).

    The dict is cached and shared: callers must not modify it.
    """
    with store.lock:
        upload = store.uploads[entry.upload_id]
        datasets_key = store.generation if entry.dataset_ids else 0
        key = (upload.version, entry.process_status, datasets_key)
        state = _state_of(store)
        cached = state.metadata.get(entry.entry_id)
        if cached is not None and cached[0] == key:
            return cached[1]
        if entry.static_metadata is not None:
            metadata = dict(entry.static_metadata)
            metadata["datasets"] = _dataset_docs(store, entry)
        else:
            metadata = _build_metadata(store, upload, entry)
            if entry.results:
                register_quantities(store, entry.results)
        state.metadata[entry.entry_id] = (key, metadata)
        return metadata


def _metadata_or_static(store: Store, entry: EntryRecord) -> dict[str, Any]:
    # populated entries without datasets skip the cache bookkeeping: searches touch them all
    if entry.static_metadata is not None and not entry.dataset_ids:
        return entry.static_metadata
    return entry_metadata(store, entry)


def _build_metadata(store: Store, upload: UploadRecord, entry: EntryRecord) -> dict[str, Any]:
    def ref(user_id: str) -> dict[str, str]:
        user = store.users.get(user_id)
        return user.ref_json() if user is not None else {"user_id": user_id}

    main_author = ref(upload.main_author)
    archive = entry.archive or {}
    indexed = {**archive, "results": entry.results} if entry.results else archive
    all_paths = sorted({path for path, _ in _leaf_paths("", indexed)})
    metadata: dict[str, Any] = {
        "entry_id": entry.entry_id,
        "calc_id": entry.entry_id,
        "upload_id": upload.upload_id,
        "upload_name": upload.upload_name,
        "mainfile": entry.mainfile,
        "parser_name": entry.parser_name,
        "entry_name": PurePosixPath(entry.mainfile).name,
        "entry_type": _entry_type(archive),
        "published": upload.published,
        "publish_time": format_index_time(upload.publish_time),
        "with_embargo": upload.with_embargo,
        "license": upload.license,
        "upload_create_time": format_index_time(upload.upload_create_time),
        "entry_create_time": format_index_time(entry.entry_create_time),
        "last_processing_time": format_index_time(entry.complete_time),
        "processed": entry.process_status == "SUCCESS",
        "processing_errors": list(entry.errors),
        "nomad_version": NOMAD_VERSIONS[store.api_version],
        "comment": entry.comment,
        "references": list(entry.references),
        "external_id": entry.external_id,
        "external_db": upload.external_db,
        "origin": upload.external_db or main_author.get("name"),
        "main_author": main_author,
        "authors": [ref(user_id) for user_id in upload.writers],
        "writers": [ref(user_id) for user_id in upload.writers],
        "viewers": [ref(user_id) for user_id in upload.viewers],
        "writer_groups": [],
        "viewer_groups": [],
        "datasets": _dataset_docs(store, entry),
        "files": _entry_files(upload, entry),
        "quantities": [path.lstrip(".") for path in all_paths],
        "n_quantities": len(all_paths),
        "results": entry.results,
    }
    if store.api_version == "2.0":
        metadata["description"] = upload.description
        metadata["process_status"] = entry.process_status
    return omit_none(metadata)


def _entry_type(archive: dict[str, Any]) -> str | None:
    data = archive.get("data")
    if not isinstance(data, dict):
        return None
    definition = data.get("m_def")
    if not isinstance(definition, str):
        return None
    return definition.replace("#", "/").rstrip("/").rsplit("/", 1)[-1].rsplit(".", 1)[-1]


def _entry_files(upload: UploadRecord, entry: EntryRecord) -> list[str]:
    try:
        return [relative for relative, _ in mainfile_dir_files(upload.files_dir, entry.mainfile)]
    except OSError:
        return [entry.mainfile]


def _dataset_docs(store: Store, entry: EntryRecord) -> list[dict[str, Any]]:
    datasets = (store.datasets.get(dataset_id) for dataset_id in entry.dataset_ids)
    return [dataset.index_json() for dataset in datasets if dataset is not None]


# --------------------------------------------------------------------------------------------
# owners


def check_owner(owner: str, user: UserRecord | None, api_version: ApiVersion) -> None:
    """NOMAD's authentication rules for the `owner` of a search."""
    if owner in ("shared", "user", "staging", "admin") and user is None:
        detail = (
            f"Authentication required for owner='{owner}'."
            if api_version == "2.0"
            else f"Authentication required for owner value {owner}."
        )
        raise NomadError(401, detail)
    if owner == "admin" and user is not None and not user.is_admin:
        raise forbidden("This can only be used by the admin user.", api_version)


def owner_admits(owner: str, upload: UploadRecord, user: UserRecord | None) -> bool:
    """Whether entries of `upload` are in the scope of `owner` for `user`."""
    user_id = user.user_id if user is not None else None
    is_viewer = user_id is not None and user_id in upload.viewers
    if owner == "public":
        return is_public(upload)
    if owner == "visible":
        return is_public(upload) or is_viewer or (user is not None and user.is_admin)
    if owner == "all":
        return upload.published or is_viewer or (user is not None and user.is_admin)
    if owner == "shared":
        return is_viewer
    if owner == "user":
        return user_id is not None and upload.main_author == user_id
    if owner == "staging":
        return is_viewer and not upload.published
    return owner == "admin"


# --------------------------------------------------------------------------------------------
# the query language

_LIST_OPS = ("all", "any", "none")
_RANGE_OPS = ("gt", "gte", "lt", "lte")
_OPS = (*_LIST_OPS, *_RANGE_OPS)


@dataclass(frozen=True)
class Criterion:
    """`name` compared by `op` (`eq`, `all`, `any`, `none` or `range`) with `value`."""

    name: str
    op: str
    value: Any

    def echo(self) -> dict[str, Any]:
        """The criterion as NOMAD echoes a normalized query."""
        if self.op == "eq":
            return {"name": self.name, "value": self.value}
        if self.op == "range":
            return {"name": self.name, "value": dict(self.value)}
        return {"name": self.name, "value": {self.op: list(self.value)}}


@dataclass(frozen=True)
class Logic:
    """`and`/`or` over several queries, or `not` of one."""

    op: Literal["and", "or", "not"]
    children: tuple[Node, ...]

    def echo(self) -> dict[str, Any]:
        """The boolean node as NOMAD echoes a normalized query."""
        if self.op == "not":
            return {"not": self.children[0].echo()}
        return {self.op: [child.echo() for child in self.children]}


@dataclass(frozen=True)
class MatchAll:
    """The empty query `{}`."""

    def echo(self) -> dict[str, Any]:
        """An empty query echoes as `{}`."""
        return {}


Node = Criterion | Logic | MatchAll


def parse_query(store: Store, raw: Any) -> Node | None:
    """A request's `query` as a validated tree; 422 in NOMAD's shapes for bad queries."""
    if raw is None:
        return None
    return _parse(store, raw, "")


def _query_error(store: Store, msg: str, loc: Sequence[Any]) -> NomadError:
    return validation_error(msg, [list(loc)], store.api_version)


def _model_error(store: Store, error_type: str, msg: str, raw: Any) -> NomadError:
    # errors NOMAD raises from its pydantic query models, located at the body's `query`
    return request_invalid(
        [{"type": error_type, "loc": ("body", "query"), "msg": msg, "input": raw}],
        store.api_version,
    )


def _parse(store: Store, raw: Any, prefix: str) -> Node:
    if not isinstance(raw, dict):
        raise _model_error(store, "dict_type", "Input should be a valid dictionary", raw)
    if not raw and not prefix:
        return MatchAll()
    if len(raw) == 1:
        ((key, value),) = raw.items()
        if key in ("and", "or") and not prefix:
            if not isinstance(value, list):
                raise _model_error(store, "list_type", "Input should be a valid list", value)
            return Logic(key, tuple(_parse(store, child, "") for child in value))
        if key == "not" and not prefix:
            return Logic("not", (_parse(store, value, ""),))
    if set(raw) == {"name", "value"} and isinstance(raw["name"], str) and not prefix:
        return _criterion(store, raw["name"], raw["value"])
    if "optimade_filter" in raw:
        raise _query_error(
            store, "optimade_filter is not supported by the stand-in", ["optimade_filter"]
        )
    criteria: dict[str, Node] = {}
    for key, value in raw.items():
        for node in _criteria_of(store, prefix + str(key), value):
            name = node.name if isinstance(node, Criterion) else repr(node)
            if name in criteria:
                raise _model_error(store, "duplicate_quantity", _duplicate_message(store), raw)
            criteria[name] = node
    nodes = tuple(criteria.values())
    return nodes[0] if len(nodes) == 1 else Logic("and", nodes)


def _duplicate_message(store: Store) -> str:
    if store.api_version == "2.0":
        return "A quantity can only appear once in a query"
    return "a quantity can only appear once in a query"


def _criteria_of(store: Store, name: str, value: Any) -> list[Node]:
    if ":" in name:
        base, qualifier = name.rsplit(":", 1)
        if qualifier in _OPS:
            return [_criterion(store, base, {qualifier: value})]
    if isinstance(value, dict) and value and not set(value) <= set(_OPS):
        # a nested object: its keys continue the dotted quantity name
        nested = _parse(store, value, name + ".")
        return list(nested.children) if isinstance(nested, Logic) else [nested]
    return [_criterion(store, name, value)]


def _criterion(store: Store, name: str, value: Any) -> Criterion:
    known = quantity(store, name)
    if known is None:
        raise _query_error(store, f"{name} is not a entries quantity", [name])
    if isinstance(value, list):
        return Criterion(name, "all", tuple(_coerce_all(store, known, value)))
    if not isinstance(value, dict):
        return Criterion(name, "eq", _coerce(store, known, value))
    if not value:
        raise _model_error(store, "no_values", "At least one value must be provided", value)
    if set(value) & set(_LIST_OPS):
        if len(value) != 1:
            raise _model_error(store, "extra_forbidden", "Extra inputs are not permitted", value)
        ((op, values),) = value.items()
        if not isinstance(values, list):
            raise _model_error(store, "list_type", "Input should be a valid list", values)
        return Criterion(name, op, tuple(_coerce_all(store, known, values)))
    if "gt" in value and "gte" in value:
        msg = "Cannot specify both gt and gte for the same boundary"
        raise _model_error(store, "conflicting_bounds", msg, value)
    if "lt" in value and "lte" in value:
        msg = "Cannot specify both lt and lte for the same boundary"
        raise _model_error(store, "conflicting_bounds", msg, value)
    bounds = {}
    for op, bound in value.items():
        if isinstance(bound, list | dict) or bound is None:
            raise _model_error(store, "range_type", "Range bounds must be scalar values", value)
        bounds[op] = _coerce(store, known, bound)
    return Criterion(name, "range", tuple(bounds.items()))


def _coerce_all(store: Store, known: Quantity, values: Iterable[Any]) -> list[Any]:
    return [_coerce(store, known, value) for value in values]


def _coerce(store: Store, known: Quantity, value: Any) -> Any:
    """A query value in the form the stored values compare with (as Elasticsearch coerces)."""
    if isinstance(value, dict | list) or value is None:
        raise _model_error(store, "value_type", "Input should be a scalar value", value)
    try:
        if known.kind == "number":
            if isinstance(value, bool):
                raise ValueError(value)
            return float(value)
        if known.kind == "bool":
            if isinstance(value, bool):
                return value
            text = str(value).lower()
            if text not in ("true", "false"):
                raise ValueError(value)
            return text == "true"
        if known.kind == "datetime":
            return _as_datetime(value)
    except (TypeError, ValueError) as error:
        raise elasticsearch_error(
            f"failed to create query: cannot parse [{value}] for field [{known.name}]"
        ) from error
    return value if isinstance(value, str) else json.dumps(value)


def _as_datetime(value: Any) -> datetime:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value / 1000, timezone.utc)
    text = str(value)
    if text.endswith("Z"):
        text = text[:-1] + "+00:00"
    parsed = datetime.fromisoformat(text)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


def elasticsearch_error(reason: str) -> NomadError:
    """A 400 for a query Elasticsearch rejects, in NOMAD's wording."""
    return NomadError(400, f"Elasticsearch could not process your query: {reason}")


# compiling a query into a predicate over metadata dicts

Predicate = Callable[[dict[str, Any]], bool]


def values_at(metadata: dict[str, Any], name: str) -> list[Any]:
    """All values at a dotted path, flattened through lists, as a multi-valued field."""
    if "." not in name:  # most searched and sorted quantities: no walk needed
        value = metadata.get(name)
        return [] if value is None else list(value) if isinstance(value, list) else [value]
    current: list[Any] = [metadata]
    for part in name.split("."):
        found: list[Any] = []
        for item in current:
            if isinstance(item, dict) and part in item:
                value = item[part]
                if isinstance(value, list):
                    found.extend(value)
                elif value is not None:
                    found.append(value)
        current = found
        if not current:
            return current
    return current


def compile_query(store: Store, node: Node | None) -> Predicate | None:
    """A predicate implementing `node`, or None when everything matches."""
    if node is None or isinstance(node, MatchAll):
        return None
    if isinstance(node, Logic):
        parts = [compile_query(store, child) or _always for child in node.children]
        if node.op == "and":
            return lambda metadata: all(part(metadata) for part in parts)
        if node.op == "or":
            return lambda metadata: any(part(metadata) for part in parts)
        return lambda metadata: not parts[0](metadata)
    return _compile_criterion(store, node)


def _always(metadata: dict[str, Any]) -> bool:
    return True


def _compile_criterion(store: Store, criterion: Criterion) -> Predicate:
    known = quantity(store, criterion.name)
    kind: Kind = known.kind if known is not None else "str"
    name = criterion.name

    def stored(metadata: dict[str, Any]) -> list[Any]:
        values = values_at(metadata, name)
        # strings and booleans are compared as stored; scans run this for every entry
        if kind in ("str", "bool"):
            return values
        return [_stored_value(kind, value) for value in values]

    def has_all(metadata: dict[str, Any]) -> bool:
        present = stored(metadata)
        return all(value in present for value in wanted_all)

    if criterion.op == "eq":
        wanted = criterion.value
        return lambda metadata: wanted in stored(metadata)
    if criterion.op == "all":
        wanted_all = criterion.value
        return has_all
    if criterion.op == "any":
        wanted_any = criterion.value
        return lambda metadata: any(value in wanted_any for value in stored(metadata))
    if criterion.op == "none":
        wanted_none = criterion.value
        return lambda metadata: not any(value in wanted_none for value in stored(metadata))
    bounds = dict(criterion.value)
    return lambda metadata: any(_in_range(value, bounds) for value in stored(metadata))


def _stored_value(kind: Kind, value: Any) -> Any:
    try:
        if kind == "number" and not isinstance(value, bool):
            return float(value)
        if kind == "datetime":
            return _as_datetime(value)
    except (TypeError, ValueError):
        return None
    return value


def _in_range(value: Any, bounds: dict[str, Any]) -> bool:
    try:
        return (
            ("gt" not in bounds or value > bounds["gt"])
            and ("gte" not in bounds or value >= bounds["gte"])
            and ("lt" not in bounds or value < bounds["lt"])
            and ("lte" not in bounds or value <= bounds["lte"])
        )
    except TypeError:
        return False


# --------------------------------------------------------------------------------------------
# selecting and ordering entries


def matching_entries(
    store: Store, user: UserRecord | None, owner: str, predicate: Predicate | None
) -> Iterator[tuple[EntryRecord, dict[str, Any]]]:
    """Entries in the owner's scope that match, with their metadata (hold `store.lock`)."""
    for upload in list(store.uploads.values()):
        if not owner_admits(owner, upload, user):
            continue
        for entry_id in upload.entry_ids:
            entry = store.entries.get(entry_id)
            if entry is None:
                continue
            metadata = _metadata_or_static(store, entry)
            if predicate is None or predicate(metadata):
                yield entry, metadata


def select_entry_ids(store: Store, user: UserRecord | None, owner: str, query: Any) -> list[str]:
    """The ids of all entries matching a raw `query` dict for `owner`, sorted by id.

    Raises NomadError (401/403 for owners, 422 for bad queries) like the search routes.
    """
    check_owner(owner, user, store.api_version)
    with store.lock:
        predicate = compile_query(store, parse_query(store, query))
        return sorted(
            entry.entry_id for entry, _ in matching_entries(store, user, owner, predicate)
        )


@dataclass(frozen=True)
class EntryPagination:
    """Validated `MetadataPagination` of one search request."""

    page_size: int = 10
    order_by: str = "entry_id"
    order: str = "asc"
    page_after_value: str | None = None
    page: int | None = None
    page_offset: int | None = None

    def echo(self) -> dict[str, Any]:
        """The request's fields as the response's `pagination` repeats them (nulls omitted)."""
        return omit_none(
            {
                "page_size": self.page_size,
                "order_by": self.order_by,
                "order": self.order,
                "page_after_value": self.page_after_value,
                "page": self.page,
                "page_offset": self.page_offset,
            }
        )


def entry_pagination(
    store: Store,
    *,
    page_size: int | None = 10,
    order_by: str | None = None,
    order: str | None = "asc",
    page_after_value: str | None = None,
    page: int | None = None,
    page_offset: int | None = None,
) -> EntryPagination:
    """NOMAD's `MetadataPagination` validation (422 items rendered per API version)."""
    size = 10 if page_size is None else page_size
    errors: list[dict[str, Any]] = []

    def error(error_type: str, loc: str | None, msg: str, value: Any) -> None:
        where = ("body", "pagination", loc) if loc else ("body", "pagination")
        errors.append({"type": error_type, "loc": where, "msg": msg, "input": value})

    v2 = store.api_version == "2.0"
    if size < 0:
        error("invalid_page_size", "page_size", "page_size must be >= 0", size)
    if page is not None:
        if page <= 0:
            error(
                "invalid_page", "page", "Page has to be larger than 1" + ("" if v2 else "."), page
            )
        elif page * size >= store.config.max_result_window:
            error(
                "invalid_page", "page", "Pagination by `page` is limited to 10.000 entries.", page
            )
    if page_offset is not None:
        if page_offset < 0:
            msg = "Page offset has to be larger than 0" + ("" if v2 else ".")
            error("invalid_page_offset", "page_offset", msg, page_offset)
        elif page_offset + size >= store.config.max_result_window:
            msg = (
                "Page offset plus page size has to be smaller than 10,000"
                if v2
                else "Page offset plus page size has to be smaller thant 10.0000."
            )
            error("invalid_page_offset", "page_offset", msg, page_offset)
    if sum(1 for value in (page_offset, page, page_after_value) if value) > 1:
        msg = "Can only specify one of: page_offset, page, or page_after_value"
        error("multiple_pagination_criteria", None, msg, None)
    if errors:
        raise request_invalid(errors, store.api_version)
    if size > store.config.max_result_window:
        raise elasticsearch_error(
            "Result window is too large, from + size must be less than or equal to: "
            f"[{store.config.max_result_window}] but was [{size + (page_offset or 0)}]."
        )
    name = "mainfile" if order_by == "mainfile_path" else (order_by or "entry_id")
    if name not in _SORT_ONLY:
        known = quantity(store, name)
        if known is None:
            raise _query_error(
                store, f"{name} is not a entries quantity", ["pagination", "order_by"]
            )
        if not known.scalar:
            msg = "the order_by quantity must be a scalar"
            raise _query_error(store, msg, ["pagination", "order_by"])
    return EntryPagination(size, name, order or "asc", page_after_value, page, page_offset)


@dataclass(frozen=True)
class SearchPage:
    """One page of a search: the total, the page's entries and the cursor to the next page."""

    total: int
    entries: list[tuple[EntryRecord, dict[str, Any]]]
    next_page_after_value: str | None

    def pagination_json(self, pagination: EntryPagination) -> dict[str, Any]:
        """The response's `pagination`: the request echoed plus `total` and the cursor."""
        data = pagination.echo()
        data["total"] = self.total
        if self.next_page_after_value is not None:
            data["next_page_after_value"] = self.next_page_after_value
        return data


def search(
    store: Store,
    user: UserRecord | None,
    owner: str,
    query: Node | None,
    pagination: EntryPagination,
) -> SearchPage:
    """Run a search: owner rules, the query, ordering and one page of results."""
    check_owner(owner, user, store.api_version)
    with store.lock:
        ordered = _ordered_ids(store, user, owner, query, pagination)
        start = _page_start(store, ordered, pagination)
        page_ids = ordered.ids[start : start + pagination.page_size]
        page = [
            (store.entries[entry_id], _metadata_or_static(store, store.entries[entry_id]))
            for entry_id in page_ids
        ]
        cursor = None
        if page and start + len(page) < len(ordered.ids):
            cursor = _cursor(store, pagination.order_by, page[-1][1])
        return SearchPage(len(ordered.ids), page, cursor)


def _ordered_ids(
    store: Store,
    user: UserRecord | None,
    owner: str,
    query: Node | None,
    pagination: EntryPagination,
) -> _IdList:
    echo = query.echo() if query is not None else None
    cache_key = json.dumps(
        [owner, user.user_id if user else None, echo, pagination.order_by, pagination.order],
        sort_keys=True,
        default=str,
    )
    state = _state_of(store)
    with state.lock:
        cached = state.results.get(cache_key)
        if cached is not None and cached.generation == store.generation:
            state.results.move_to_end(cache_key)
            return cached
    predicate = compile_query(store, query)
    matches = matching_entries(store, user, owner, predicate)
    ids = _sorted_ids(store, matches, pagination.order_by, pagination.order == "desc")
    result = _IdList(store.generation, ids, {entry_id: index for index, entry_id in enumerate(ids)})
    with state.lock:
        state.results[cache_key] = result
        while len(state.results) > _MAX_CACHED_RESULTS:
            state.results.popitem(last=False)
    return result


def _sort_key(store: Store, order_by: str) -> Callable[[dict[str, Any]], Any]:
    """How entries' metadata sorts by `order_by` (None: no value); the quantity looked up once."""
    known = quantity(store, order_by)
    is_datetime = known is not None and known.kind == "datetime"

    def key(metadata: dict[str, Any]) -> Any:
        values = values_at(metadata, order_by)
        if not values:
            return None
        value = values[0]
        if is_datetime:
            try:
                return _as_datetime(value).timestamp()
            except (TypeError, ValueError):
                return None
        if isinstance(value, bool):
            return int(value)
        if isinstance(value, int | float):
            return float(value)
        return str(value)

    return key


def _sorted_ids(
    store: Store,
    matches: Iterable[tuple[EntryRecord, dict[str, Any]]],
    order_by: str,
    descending: bool,
) -> list[str]:
    # scans build no per-entry containers: on large stores the garbage collector would
    # walk the whole index each time they pile up, which cost more than the scan itself
    if order_by in ("entry_id", *_SORT_ONLY):
        return sorted((entry.entry_id for entry, _ in matches), reverse=descending)
    key_of = _sort_key(store, order_by)
    keys = {entry.entry_id: key_of(metadata) for entry, metadata in matches}
    # ties go by entry id: order by id first, then stably by the key, both in one direction
    ids = sorted(keys, reverse=descending)
    present = [entry_id for entry_id in ids if keys[entry_id] is not None]
    try:
        present.sort(key=keys.__getitem__, reverse=descending)
    except TypeError:  # values of different kinds: compare them as text
        present.sort(key=lambda entry_id: (str(keys[entry_id]), entry_id), reverse=descending)
    # Elasticsearch puts entries without a value last in either direction
    return present + [entry_id for entry_id in ids if keys[entry_id] is None]


def _cursor(store: Store, order_by: str, metadata: dict[str, Any]) -> str:
    entry_id = str(metadata["entry_id"])
    if order_by in ("entry_id", *_SORT_ONLY):
        return entry_id
    key = _sort_key(store, order_by)(metadata)
    known = quantity(store, order_by)
    if key is None:
        text = ""
    elif known is not None and known.kind == "datetime":
        # Elasticsearch's sort values for dates are epoch milliseconds
        text = str(round(key * 1000))
    elif isinstance(key, float) and key.is_integer():
        text = str(int(key))
    else:
        text = str(key)
    return f"{text}:{entry_id}"


def _page_start(store: Store, ordered: _IdList, pagination: EntryPagination) -> int:
    if pagination.page_offset is not None:
        return pagination.page_offset
    if pagination.page is not None:
        return (pagination.page - 1) * pagination.page_size
    after = pagination.page_after_value
    if not after:
        return 0
    by_id = pagination.order_by in ("entry_id", *_SORT_ONLY)
    if not by_id and ":" not in after:
        after += ":"
    entry_id = after if by_id else after.rsplit(":", 1)[1]
    position = ordered.positions.get(entry_id)
    if position is not None:
        return position + 1
    return _position_after(store, ordered, pagination, after)


def _position_after(store: Store, ordered: _IdList, pagination: EntryPagination, after: str) -> int:
    # the cursor's entry left the result since: find the first entry beyond the cursor's key
    descending = pagination.order == "desc"
    if pagination.order_by in ("entry_id", *_SORT_ONLY):
        wanted: tuple[Any, str] = (0, after)
        keys = [(0, entry_id) for entry_id in ordered.ids]
    else:
        text, entry_id = after.rsplit(":", 1)
        known = quantity(store, pagination.order_by)
        wanted = (_parse_cursor_value(known, text), entry_id)
        key_of = _sort_key(store, pagination.order_by)
        keys = [(key_of(_metadata_or_static(store, store.entries[i])), i) for i in ordered.ids]
    for index, key in enumerate(keys):
        try:
            beyond = key < wanted if descending else key > wanted
        except TypeError:
            beyond = False
        if key[0] is None or beyond:
            return index
    return len(keys)


def _parse_cursor_value(known: Quantity | None, text: str) -> Any:
    if known is None or known.kind == "str":
        return text
    try:
        number = float(text)
    except ValueError as error:
        raise elasticsearch_error(
            f"failed to parse search_after value [{text}] for field [{known.name}]"
        ) from error
    return number / 1000 if known.kind == "datetime" else number


# --------------------------------------------------------------------------------------------
# `required` include/exclude on metadata


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

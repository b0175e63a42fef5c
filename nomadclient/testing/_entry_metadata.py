"""What the search index serves for an entry: its metadata dict, cached per upload version."""

from __future__ import annotations

import hashlib
import re
from pathlib import PurePosixPath
from typing import Any

from ._files import mainfile_dir_files
from ._per_store import PerStore
from ._quantities import leaf_paths, register_quantities
from ._state import (
    NOMAD_VERSIONS,
    EntryRecord,
    Store,
    UploadRecord,
    format_index_time,
    omit_none,
)

# the sections of every processed entry: NOMAD's archive root and its metadata
ALWAYS_SECTIONS = (
    "nomad.datamodel.datamodel.EntryArchive",
    "nomad.datamodel.datamodel.EntryMetadata",
)
RESULTS_SECTION = "nomad.datamodel.results.Results"
_PYTHON_NAME = re.compile(r"^[A-Za-z_]\w*(\.[A-Za-z_]\w*)+$")

# entry id -> (what the metadata was built from, the metadata)
_CacheKey = tuple[int, str, int]
_CACHE: PerStore[dict[str, tuple[_CacheKey, dict[str, Any]]]] = PerStore(lambda _: {})


def entry_metadata(store: Store, entry: EntryRecord) -> dict[str, Any]:
    """The search-index metadata NOMAD serves for an entry (nulls omitted).

    The dict is cached and shared: callers must not modify it.
    """
    with store.lock:
        upload = store.uploads[entry.upload_id]
        datasets_key = store.generation if entry.dataset_ids else 0
        key = (upload.version, entry.process_status, datasets_key)
        cache = _CACHE.of(store)
        cached = cache.get(entry.entry_id)
        if cached is not None and cached[0] == key:
            return cached[1]
        if entry.static_metadata is not None:
            metadata = dict(entry.static_metadata)
            metadata["datasets"] = _dataset_docs(store, entry)
        else:
            metadata = _build_metadata(store, upload, entry)
            if entry.results:
                register_quantities(store, entry.results)
        cache[entry.entry_id] = (key, metadata)
        return metadata


def indexed_metadata(store: Store, entry: EntryRecord) -> dict[str, Any]:
    """An entry's metadata for scans over the whole index (shared: do not modify)."""
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
    all_paths = sorted({path for path, _ in leaf_paths("", indexed)})
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
        **processing_keys(archive, bool(entry.results)),
    }
    if store.api_version == "2.0":
        metadata["description"] = upload.description
        metadata["process_status"] = entry.process_status
    return omit_none(metadata)


def processing_keys(archive: dict[str, Any], has_results: bool) -> dict[str, Any]:
    """The keys NOMAD's processing writes into every entry's metadata.

    `nomad_commit` (empty in releases), `sections` (the qualified names of the section
    definitions in the archive, sorted) and `section_defs` (one item per name). Clients such as
    nomad-utility-workflows require all three. Without NOMAD's metainfo the stand-in knows only
    some sections: the archive's own, `results` when there are some, and a Python `m_def`.
    """
    names = set(ALWAYS_SECTIONS)
    if has_results:
        names.add(RESULTS_SECTION)
    data = archive.get("data")
    definition = data.get("m_def") if isinstance(data, dict) else None
    if isinstance(definition, str) and _PYTHON_NAME.match(definition):
        names.add(definition)
    sections = sorted(names)
    return {
        "nomad_commit": "",
        "sections": sections,
        "section_defs": [
            {
                "definition_qualified_name": name,
                # NOMAD's ids are sha1 digests of the definitions; one of the name stands in
                "definition_id": hashlib.sha1(name.encode("utf-8")).hexdigest(),  # noqa: S324
                "used_directly": True,
            }
            for name in sections
        ],
    }


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

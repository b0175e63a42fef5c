"""Routes of the stand-in NOMAD API: the raw files of entries (`raw`, `rawdir`).

Included by `routes/entries.py`. An entry's files are those in its mainfile's directory (not
recursive); single files are named by basename only, so no request leaves that directory.
"""

from __future__ import annotations

import tempfile
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query
from fastapi.responses import Response, StreamingResponse

from .._deps import OptionalUser, StoreDep
from .._entry_answers import (
    NOT_VISIBLE,
    all_matching,
    manifest_item,
    page_json,
    paged,
    visible_entry,
    zip_response,
)
from .._entry_requests import (
    FilesBody,
    ListParam,
    PaginationBody,
    RawBody,
    Search,
    UrlQueryParams,
    UrlSearchParams,
    WithQueryBody,
    checked_search,
)
from .._errors import NomadError
from .._files import BadPatternError, is_safe_basename, iter_file, mainfile_dir_files, select_files
from .._responses import attachment
from .._signature import DownloadUser
from .._state import EntryRecord, Store, UploadRecord, UserRecord

router = APIRouter()

NO_FILE = "The requested file does not exist."


class RawDirBody(WithQueryBody):
    """`EntriesRawDir`: a search listing the entries' files."""

    pagination: PaginationBody | None = None


def files_params(
    compress: bool | None = False,
    glob_pattern: str | None = None,
    re_pattern: str | None = None,
    include_files: ListParam = None,
) -> FilesBody:
    """NOMAD's `Files` as URL parameters of raw-file downloads."""
    return FilesBody(
        compress=compress,
        glob_pattern=glob_pattern,
        re_pattern=re_pattern,
        include_files=include_files,
    )


FilesParams = Annotated[FilesBody, Depends(files_params)]


@router.get("/entries/{entry_id}/raw")
def get_entry_raw(
    entry_id: str, store: StoreDep, user: DownloadUser, files: FilesParams
) -> Response:
    """A zip of the files in the mainfile's directory, plus `manifest.json`."""
    entry, upload = visible_entry(store, entry_id, user, NOT_VISIBLE)
    chosen = _filtered(_entry_dir_files(upload, entry), files)
    workdir = Path(tempfile.mkdtemp(dir=store.root))
    return zip_response(workdir, chosen, [manifest_item(entry)], "raw_files.zip")


@router.get("/entries/{entry_id}/raw/{path}")
def get_entry_raw_file(
    entry_id: str,
    path: str,
    store: StoreDep,
    user: DownloadUser,
    offset: Annotated[int | None, Query(ge=0)] = 0,
    length: Annotated[int | None, Query(ge=-1)] = -1,
    decompress: bool | None = False,
) -> Response:
    """One file of the mainfile's directory (optionally a window of it)."""
    entry, upload = visible_entry(store, entry_id, user, NOT_VISIBLE)
    if not is_safe_basename(path):
        raise NomadError(404, NO_FILE)
    target = upload.files_dir / PurePosixPath(entry.mainfile).parent / path
    if not target.is_file() or target.is_symlink():
        raise NomadError(404, NO_FILE)
    return StreamingResponse(
        iter_file(
            target, offset or 0, -1 if length is None else length, decompress=bool(decompress)
        ),
        media_type="application/octet-stream",
        headers=attachment(path),
    )


@router.get("/entries/{entry_id}/rawdir")
def get_entry_rawdir(entry_id: str, store: StoreDep, user: OptionalUser) -> dict[str, Any]:
    """The files of the mainfile's directory with their sizes."""
    entry, upload = visible_entry(store, entry_id, user, NOT_VISIBLE)
    return {"entry_id": entry_id, "data": _rawdir_item(upload, entry)}


@router.post("/entries/rawdir/query")
def post_entries_rawdir(body: RawDirBody, store: StoreDep, user: OptionalUser) -> dict[str, Any]:
    """File listings of a page of search results."""
    request = checked_search(store, body.owner, body.query, body.pagination)
    return _rawdir_page(store, user, request)


@router.get("/entries/rawdir")
def get_entries_rawdir(
    store: StoreDep, user: OptionalUser, params: UrlSearchParams
) -> dict[str, Any]:
    """File listings of a page of search results, searched with URL parameters."""
    return _rawdir_page(store, user, params.search(store))


@router.post("/entries/raw/query")
def post_entries_raw(body: RawBody, store: StoreDep, user: DownloadUser) -> Response:
    """A zip of the raw files of all matching entries, as `<upload_id>/<path>`."""
    request = checked_search(store, body.owner, body.query, None)
    return _raw_zip(store, user, request, body.files or FilesBody())


@router.get("/entries/raw")
def get_entries_raw(
    store: StoreDep, user: DownloadUser, params: UrlQueryParams, files: FilesParams
) -> Response:
    """A zip of the raw files of all entries matching URL parameters."""
    return _raw_zip(store, user, params.search(store), files)


def _entry_dir_files(upload: UploadRecord, entry: EntryRecord) -> list[tuple[str, Path]]:
    """`(upload-relative path, file)` of the files next to the mainfile (not recursive)."""
    try:
        return mainfile_dir_files(upload.files_dir, entry.mainfile)
    except OSError:
        return []


def _filtered(files: list[tuple[str, Path]], chosen: FilesBody) -> list[tuple[str, Path]]:
    by_path = dict(files)
    # NOMAD applies one filter only: include_files before re_pattern before glob_pattern
    try:
        kept = select_files(
            list(by_path),
            glob_pattern=None if chosen.re_pattern or chosen.include_files else chosen.glob_pattern,
            re_pattern=None if chosen.include_files else chosen.re_pattern,
            include_files=chosen.include_files,
        )
    except BadPatternError as error:
        raise NomadError(422, [{"loc": ["re_pattern"], "msg": str(error)}]) from error
    return [(path, by_path[path]) for path in kept]


def _rawdir_item(upload: UploadRecord, entry: EntryRecord) -> dict[str, Any]:
    return {
        "entry_id": entry.entry_id,
        "upload_id": entry.upload_id,
        "mainfile": entry.mainfile,
        "files": [
            {"path": relative, "size": file.stat().st_size}
            for relative, file in _entry_dir_files(upload, entry)
        ],
    }


def _rawdir_page(store: Store, user: UserRecord | None, request: Search) -> dict[str, Any]:
    page = paged(store, user, request)
    with store.lock:
        data = [_rawdir_item(store.uploads[e.upload_id], e) for e, _ in page.entries]
    return page_json(request, page, data)


def _raw_zip(store: Store, user: UserRecord | None, request: Search, chosen: FilesBody) -> Response:
    entries = all_matching(store, user, request)
    members: dict[str, Path] = {}
    with store.lock:
        for entry in entries:
            upload = store.uploads[entry.upload_id]
            for relative, file in _filtered(_entry_dir_files(upload, entry), chosen):
                members.setdefault(f"{entry.upload_id}/{relative}", file)
        manifest = [manifest_item(entry) for entry in entries]
    workdir = Path(tempfile.mkdtemp(dir=store.root))
    return zip_response(workdir, list(members.items()), manifest, "raw_files.zip")

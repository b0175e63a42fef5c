"""Routes of the stand-in NOMAD API: entry search, metadata, archives and raw files (§7).

Every search comes as a POST body or as URL parameters; both are read into a `Search` (owner,
query tree, pagination) before anything is looked up, so each route answers the same way for
both spellings.
"""

from __future__ import annotations

import enum
import json
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import partial
from pathlib import Path, PurePosixPath
from typing import Annotated, Any
from urllib.parse import parse_qsl, urlencode, urlparse, urlunparse

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response, StreamingResponse
from pydantic import BaseModel, ConfigDict
from starlette.background import BackgroundTask

from .._archive import archive_item, full_archive, has_archive, validate_required
from .._deps import OptionalUser, StoreDep
from .._errors import NomadError, forbidden
from .._files import (
    BadPatternError,
    is_safe_basename,
    iter_file,
    iter_zip,
    mainfile_dir_files,
    select_files,
)
from .._pagination import Direction
from .._responses import attachment, json_response
from .._search import (
    EntryPagination,
    Node,
    SearchPage,
    compile_query,
    entry_metadata,
    entry_pagination,
    matching_entries,
    owner_admits,
    parse_query,
    project_metadata,
    quantity,
    search,
)
from .._signature import DownloadUser
from .._state import EntryRecord, Store, UploadRecord, UserRecord, can_read

router = APIRouter()

NOT_VISIBLE = "The entry with the given id does not exist or is not visible to you."
ARCHIVE_NOT_VISIBLE = "The entry does not exist or is not visible to you."
NO_ARCHIVE = "The entry does exist, but it has no archive."
NO_FILE = "The requested file does not exist."
OWNER_ALL = (
    "The owner=all is not allowed for this operation as it will search for entries\n"
    "that you might now be allowed to access."
)


class Owner(str, enum.Enum):
    """The `owner` values, in NOMAD's order (its 422 messages list them so)."""

    public = "public"
    all_ = "all"
    visible = "visible"
    shared = "shared"
    user = "user"
    staging = "staging"
    admin = "admin"


# --------------------------------------------------------------------------------------------
# request bodies


class PaginationBody(BaseModel):
    """`MetadataPagination` as sent in request bodies."""

    page_size: int | None = 10
    order_by: str | None = None
    order: Direction | None = Direction.asc
    page_after_value: str | None = None
    page: int | None = None
    page_offset: int | None = None


class RequiredBody(BaseModel):
    """`MetadataRequired`: quantities to include or exclude."""

    include: list[str] | None = None
    exclude: list[str] | None = None


class FilesBody(BaseModel):
    """`Files`: which raw files a download contains."""

    compress: bool | None = False
    glob_pattern: str | None = None
    re_pattern: str | None = None
    include_files: list[str] | None = None


class WithQueryBody(BaseModel):
    """The owner and query every entries search body has."""

    model_config = ConfigDict(extra="ignore")

    owner: Owner | None = Owner.public
    query: Any = None


class MetadataBody(WithQueryBody):
    """`Metadata`: a search with pagination, `required` and (ignored) aggregations."""

    pagination: PaginationBody | None = None
    required: RequiredBody | None = None
    aggregations: dict[str, Any] | None = None


class ArchivesBody(WithQueryBody):
    """`EntriesArchive`: a search returning archives."""

    pagination: PaginationBody | None = None
    required: Any = "*"


class RawBody(WithQueryBody):
    """`EntriesRaw` / `EntriesArchiveDownload`: a search whose files are zipped."""

    files: FilesBody | None = None


class RawDirBody(WithQueryBody):
    """`EntriesRawDir`: a search listing the entries' files."""

    pagination: PaginationBody | None = None


class ArchiveRequestBody(BaseModel):
    """`EntryArchiveRequest`: the `required` spec for one archive."""

    required: Any = "*"


# --------------------------------------------------------------------------------------------
# searches, from bodies and from URL parameters


@dataclass(frozen=True)
class Search:
    """A validated search request: whose entries, which ones, and which page of them."""

    owner: str
    node: Node | None
    # downloads take every match: their searches carry the default pagination
    pagination: EntryPagination


def _owner(owner: Owner | None) -> str:
    return (owner or Owner.public).value


def _pagination(store: Store, body: PaginationBody | None) -> EntryPagination:
    body = body or PaginationBody()
    return entry_pagination(
        store,
        page_size=body.page_size,
        order_by=body.order_by,
        order=body.order.value if body.order else "asc",
        page_after_value=body.page_after_value,
        page=body.page,
        page_offset=body.page_offset,
    )


def _checked_search(
    store: Store, owner: Owner | None, raw_query: Any, pagination: PaginationBody | None
) -> Search:
    # the query is checked before the pagination, as NOMAD's models are
    node = parse_query(store, raw_query)
    return Search(_owner(owner), node, _pagination(store, pagination))


# GET parameters that are not search quantities
_RESERVED = frozenset(
    (
        "owner", "json_query", "q", "page_size", "order_by", "order", "page_after_value",
        "page", "page_offset", "include", "exclude", "compress", "glob_pattern", "re_pattern",
        "include_files", "signature_token",
    )
)  # fmt: skip


def _url_query(request: Request, store: Store, json_query: str | None, q: list[str]) -> Any:
    """A query from URL parameters the way NOMAD's `QueryParameters` builds it."""
    params: dict[str, list[str]] = {}
    for key in request.query_params:
        if key not in _RESERVED:
            params[key] = request.query_params.getlist(key)
    for item in q:
        fragments = item.split("__")
        if len(fragments) == 1 or len(fragments) > 3:
            raise NomadError(
                422,
                [{"loc": ["query", "q"], "msg": "wrong format, use <quantity>[__<op>]__<value>"}],
            )
        name_op, value = "__".join(fragments[:-1]), fragments[-1]
        name = name_op.split("__", 1)[0]
        if quantity(store, name) is None:
            raise NomadError(
                422, [{"loc": ["query", item], "msg": f"{name} is not a entries quantity"}]
            )
        params.setdefault(name_op, []).append(value)
    query: dict[str, Any] = {}
    for key, values in params.items():
        name, _, op = key.partition("__")
        known = quantity(store, name)
        if known is None:
            continue
        op = op or ("any" if known.scalar else "all")
        if op in ("all", "any", "none"):
            query[name] = {op: values}
        elif op in ("gt", "gte", "lt", "lte"):
            if len(values) > 1:
                msg = f"operator {op} does not support multiple values"
                raise NomadError(422, [{"loc": ["query", key], "msg": msg}])
            query[name] = {op: values[0]}
        else:
            raise NomadError(422, [{"loc": ["query", key], "msg": f"operator {op} is unknown"}])
    if json_query is not None:
        try:
            parsed = json.loads(json_query)
            query.update(**parsed)
        except (ValueError, TypeError) as error:
            raise NomadError(
                422, [{"loc": ["json_query"], "msg": "cannot parse json_query"}]
            ) from error
    return query


ListParam = Annotated[list[str] | None, Query()]


@dataclass(frozen=True)
class UrlQuery:
    """The owner and query URL parameters of a GET search, read but not yet checked.

    Checking waits for `search()`, so that FastAPI's own 422s for malformed parameters come
    first, as they do in NOMAD.
    """

    request: Request
    owner: Owner
    json_query: str | None
    q: list[str]

    def search(self, store: Store, pagination: PaginationBody | None = None) -> Search:
        """The validated search these parameters describe."""
        raw_query = _url_query(self.request, store, self.json_query, self.q)
        return _checked_search(store, self.owner, raw_query, pagination)


def url_query(
    request: Request,
    owner: Annotated[Owner, Query()] = Owner.public,
    json_query: str | None = None,
    q: Annotated[list[str], Query()] = [],  # noqa: B006 (FastAPI copies defaults)
) -> UrlQuery:
    """NOMAD's search URL parameters: `owner`, `json_query`, `q` (and quantity=value pairs)."""
    return UrlQuery(request, owner, json_query, q)


@dataclass(frozen=True)
class UrlSearch:
    """The search and pagination URL parameters of a paginated GET search, not yet checked."""

    query: UrlQuery
    pagination: PaginationBody

    def search(self, store: Store) -> Search:
        """The validated search these parameters describe."""
        return self.query.search(store, self.pagination)


def url_search(
    query: Annotated[UrlQuery, Depends(url_query)],
    page_size: int | None = 10,
    order_by: str | None = None,
    order: Direction | None = Direction.asc,
    page_after_value: str | None = None,
    page: int | None = None,
    page_offset: int | None = None,
) -> UrlSearch:
    """The search URL parameters plus NOMAD's `MetadataPagination` ones."""
    pagination = PaginationBody(
        page_size=page_size,
        order_by=order_by,
        order=order,
        page_after_value=page_after_value,
        page=page,
        page_offset=page_offset,
    )
    return UrlSearch(query, pagination)


UrlQueryParams = Annotated[UrlQuery, Depends(url_query)]
UrlSearchParams = Annotated[UrlSearch, Depends(url_search)]


# --------------------------------------------------------------------------------------------
# shared pieces


def _query_json(node: Node | None) -> dict[str, Any]:
    return {} if node is None else {"query": node.echo()}


def _page_json(request: Search, page: SearchPage, data: list[Any], **extra: Any) -> dict[str, Any]:
    """A search answer: the request echoed (`extra` after the pagination), then the data."""
    return {
        "owner": request.owner,
        **_query_json(request.node),
        "pagination": page.pagination_json(request.pagination),
        **extra,
        "data": data,
    }


def _paged(store: Store, user: UserRecord | None, request: Search) -> SearchPage:
    """One page of a search by a route that refuses `owner=all`."""
    if request.owner == "all":
        raise forbidden(OWNER_ALL, store.api_version)
    return search(store, user, request.owner, request.node, request.pagination)


def _visible_entry(
    store: Store,
    entry_id: str,
    user: UserRecord | None,
    missing: str,
    admits: Callable[[UploadRecord, UserRecord | None], bool] = can_read,
) -> tuple[EntryRecord, UploadRecord]:
    """An entry whose upload `admits` the user (default: owner `visible`), else 404 `missing`."""
    with store.lock:
        entry = store.entries.get(entry_id)
        upload = store.uploads.get(entry.upload_id) if entry is not None else None
        if entry is None or upload is None or not admits(upload, user):
            raise NomadError(404, missing)
        return entry, upload


def _url_with(request: Request, **changes: str | None) -> str:
    parts = urlparse(str(request.url))
    params = [(key, value) for key, value in parse_qsl(parts.query) if key not in changes]
    params.extend((key, value) for key, value in changes.items() if value is not None)
    return urlunparse(parts._replace(query=urlencode(params)))


def _page_urls(request: Request, pagination: dict[str, Any]) -> dict[str, str]:
    """The `*_page_url` links of a GET search answer, from the answer's `pagination`."""
    urls = {
        "page_url": str(request.url),
        "first_page_url": _url_with(request, page=None, page_after_value=None, page_offset=None),
    }
    next_page_after_value = pagination.get("next_page_after_value")
    if next_page_after_value is not None:
        urls["next_page_url"] = _url_with(
            request, page=None, page_offset=None, page_after_value=next_page_after_value
        )
    page = pagination.get("page")
    if page is not None and page > 1:
        urls["prev_page_url"] = _url_with(request, page=str(page - 1))
    return urls


# --------------------------------------------------------------------------------------------
# metadata search


def _metadata_page(
    store: Store, user: UserRecord | None, request: Search, required: RequiredBody | None
) -> dict[str, Any]:
    page = search(store, user, request.owner, request.node, request.pagination)
    if required is None:
        return _page_json(request, page, [metadata for _, metadata in page.entries])
    keep = ("entry_id", request.pagination.order_by)
    data = [
        project_metadata(metadata, required.include, required.exclude, keep)
        for _, metadata in page.entries
    ]
    return _page_json(request, page, data, required=required.model_dump(exclude_none=True))


@router.post("/entries/query", response_model=None)
def post_entries_query(body: MetadataBody, store: StoreDep, user: OptionalUser) -> Response:
    """Search entries: `Metadata` body in, `MetadataResponse` out."""
    request = _checked_search(store, body.owner, body.query, body.pagination)
    return json_response(_metadata_page(store, user, request, body.required), store.api_version)


@router.get("/entries", response_model=None)
def get_entries(
    request: Request,
    store: StoreDep,
    user: OptionalUser,
    params: UrlSearchParams,
    include: ListParam = None,
    exclude: ListParam = None,
) -> Response:
    """Search entries with URL parameters."""
    checked = params.search(store)
    required = RequiredBody(include=include, exclude=exclude) if include or exclude else None
    data = _metadata_page(store, user, checked, required)
    data["pagination"].update(_page_urls(request, data["pagination"]))
    return json_response(data, store.api_version)


# --------------------------------------------------------------------------------------------
# archives


@router.get("/entries/{entry_id}/archive")
def get_entry_archive(entry_id: str, store: StoreDep, user: OptionalUser) -> dict[str, Any]:
    """The whole archive of one entry."""
    return _one_archive(store, entry_id, user, "*")


@router.post("/entries/{entry_id}/archive/query")
def post_entry_archive_query(
    entry_id: str, body: ArchiveRequestBody, store: StoreDep, user: OptionalUser
) -> dict[str, Any]:
    """Parts of one entry's archive, chosen by `required`."""
    validate_required(store, body.required)
    return _one_archive(store, entry_id, user, body.required)


def _one_archive(
    store: Store, entry_id: str, user: UserRecord | None, required: Any
) -> dict[str, Any]:
    entry, _ = _visible_entry(store, entry_id, user, ARCHIVE_NOT_VISIBLE)
    with store.lock:
        if not has_archive(entry):
            raise NomadError(404, NO_ARCHIVE)
        return {
            "entry_id": entry_id,
            "required": required,
            "data": archive_item(store, entry, required),
        }


@router.get("/entries/{entry_id}/archive/download")
def download_entry_archive(entry_id: str, store: StoreDep, user: DownloadUser) -> Response:
    """The bare archive JSON as an attachment."""
    entry, _ = _visible_entry(store, entry_id, user, ARCHIVE_NOT_VISIBLE)
    with store.lock:
        if not has_archive(entry):
            raise NomadError(404, NO_ARCHIVE)
        content = json.dumps(full_archive(store, entry)).encode("utf-8")
    suffix = ".archive.json" if store.api_version == "2.0" else ".json"
    return Response(
        content, media_type="application/json", headers=attachment(f"{entry_id}{suffix}")
    )


@router.post("/entries/archive/query")
def post_entries_archive_query(
    body: ArchivesBody, store: StoreDep, user: OptionalUser
) -> dict[str, Any]:
    """Archives of a page of search results."""
    request = _checked_search(store, body.owner, body.query, body.pagination)
    validate_required(store, body.required)
    return _archives_page(store, user, request, body.required)


@router.get("/entries/archive")
def get_entries_archive(
    store: StoreDep, user: OptionalUser, params: UrlSearchParams
) -> dict[str, Any]:
    """Whole archives of a page of search results, searched with URL parameters."""
    return _archives_page(store, user, params.search(store), "*")


def _archives_page(
    store: Store, user: UserRecord | None, request: Search, required: Any
) -> dict[str, Any]:
    page = _paged(store, user, request)
    with store.lock:
        data = [
            archive_item(store, entry, required) for entry, _ in page.entries if has_archive(entry)
        ]
    return _page_json(request, page, data, required=required)


@router.post("/entries/archive/download/query")
def post_entries_archive_download(body: RawBody, store: StoreDep, user: DownloadUser) -> Response:
    """A zip of `<upload_id>/<entry_id>.json` archives plus `manifest.json`."""
    return _archives_zip(store, user, _checked_search(store, body.owner, body.query, None))


@router.get("/entries/archive/download")
def get_entries_archive_download(
    store: StoreDep, user: DownloadUser, params: UrlQueryParams
) -> Response:
    """A zip of archives of all entries matching URL parameters."""
    return _archives_zip(store, user, params.search(store))


def _archives_zip(store: Store, user: UserRecord | None, request: Search) -> Response:
    entries = _all_matching(store, user, request)
    workdir = Path(tempfile.mkdtemp(dir=store.root))
    members: list[tuple[str, Path]] = []
    manifest = []
    with store.lock:
        for entry in entries:
            if not has_archive(entry):
                continue
            path = workdir / f"{entry.entry_id}.json"
            path.write_text(json.dumps(full_archive(store, entry)), encoding="utf-8")
            members.append((f"{entry.upload_id}/{entry.entry_id}.json", path))
            manifest.append(_manifest_item(entry))
    return _zip_response(workdir, members, manifest, "archives.zip")


# --------------------------------------------------------------------------------------------
# raw files


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


def _manifest_item(entry: EntryRecord) -> dict[str, Any]:
    return {"entry_id": entry.entry_id, "upload_id": entry.upload_id, "mainfile": entry.mainfile}


def _zip_response(
    workdir: Path, members: list[tuple[str, Path]], manifest: list[Any], filename: str
) -> StreamingResponse:
    manifest_path = workdir / "manifest.json"
    manifest_path.write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    return StreamingResponse(
        iter_zip([*members, ("manifest.json", manifest_path)]),
        media_type="application/zip",
        headers=attachment(filename),
        background=BackgroundTask(shutil.rmtree, workdir, ignore_errors=True),
    )


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
    entry, upload = _visible_entry(store, entry_id, user, NOT_VISIBLE)
    chosen = _filtered(_entry_dir_files(upload, entry), files)
    workdir = Path(tempfile.mkdtemp(dir=store.root))
    return _zip_response(workdir, chosen, [_manifest_item(entry)], "raw_files.zip")


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
    entry, upload = _visible_entry(store, entry_id, user, NOT_VISIBLE)
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


@router.get("/entries/{entry_id}/rawdir")
def get_entry_rawdir(entry_id: str, store: StoreDep, user: OptionalUser) -> dict[str, Any]:
    """The files of the mainfile's directory with their sizes."""
    entry, upload = _visible_entry(store, entry_id, user, NOT_VISIBLE)
    return {"entry_id": entry_id, "data": _rawdir_item(upload, entry)}


@router.post("/entries/rawdir/query")
def post_entries_rawdir(body: RawDirBody, store: StoreDep, user: OptionalUser) -> dict[str, Any]:
    """File listings of a page of search results."""
    request = _checked_search(store, body.owner, body.query, body.pagination)
    return _rawdir_page(store, user, request)


@router.get("/entries/rawdir")
def get_entries_rawdir(
    store: StoreDep, user: OptionalUser, params: UrlSearchParams
) -> dict[str, Any]:
    """File listings of a page of search results, searched with URL parameters."""
    return _rawdir_page(store, user, params.search(store))


def _rawdir_page(store: Store, user: UserRecord | None, request: Search) -> dict[str, Any]:
    page = _paged(store, user, request)
    with store.lock:
        data = [_rawdir_item(store.uploads[e.upload_id], e) for e, _ in page.entries]
    return _page_json(request, page, data)


@router.post("/entries/raw/query")
def post_entries_raw(body: RawBody, store: StoreDep, user: DownloadUser) -> Response:
    """A zip of the raw files of all matching entries, as `<upload_id>/<path>`."""
    request = _checked_search(store, body.owner, body.query, None)
    return _raw_zip(store, user, request, body.files or FilesBody())


@router.get("/entries/raw")
def get_entries_raw(
    store: StoreDep, user: DownloadUser, params: UrlQueryParams, files: FilesParams
) -> Response:
    """A zip of the raw files of all entries matching URL parameters."""
    return _raw_zip(store, user, params.search(store), files)


def _raw_zip(store: Store, user: UserRecord | None, request: Search, chosen: FilesBody) -> Response:
    entries = _all_matching(store, user, request)
    members: dict[str, Path] = {}
    with store.lock:
        for entry in entries:
            upload = store.uploads[entry.upload_id]
            for relative, file in _filtered(_entry_dir_files(upload, entry), chosen):
                members.setdefault(f"{entry.upload_id}/{relative}", file)
        manifest = [_manifest_item(entry) for entry in entries]
    workdir = Path(tempfile.mkdtemp(dir=store.root))
    return _zip_response(workdir, list(members.items()), manifest, "raw_files.zip")


def _all_matching(store: Store, user: UserRecord | None, request: Search) -> list[EntryRecord]:
    """Every entry of a download query, within `services.max_entry_download`."""
    first = _paged(store, user, replace(request, pagination=EntryPagination(page_size=0)))
    limit = store.config.max_entry_download
    if first.total > limit:
        word = "exceeded" if store.api_version == "2.0" else "exeeded"
        raise NomadError(
            400,
            f"The limit of maximum number of entries in a single download ({limit}) has been "
            f"{word} ({first.total}).",
        )
    with store.lock:
        matches = matching_entries(store, user, request.owner, compile_query(store, request.node))
        return sorted((entry for entry, _ in matches), key=lambda entry: entry.entry_id)


# registered last: `/entries/{entry_id}` would otherwise swallow `/entries/raw` and friends
@router.get("/entries/{entry_id}")
def get_entry(
    entry_id: str,
    store: StoreDep,
    user: OptionalUser,
    include: ListParam = None,
    exclude: ListParam = None,
) -> dict[str, Any]:
    """One entry's metadata; searched with owner `all`, so embargoed metadata is visible."""
    entry, _ = _visible_entry(store, entry_id, user, NOT_VISIBLE, partial(owner_admits, "all"))
    metadata = entry_metadata(store, entry)
    required = RequiredBody(include=include, exclude=exclude)
    return {
        "entry_id": entry_id,
        "required": required.model_dump(exclude_none=True),
        "data": project_metadata(metadata, include, exclude),
    }

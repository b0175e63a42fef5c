"""Routes of the stand-in NOMAD API: the raw files of an upload (`raw`, `rawdir`).

Included by `routes/uploads.py`. Every path goes through `_files.safe_relative_path` and
`resolve_inside`, so no request reads or writes outside the upload's directory.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Annotated, Any

import anyio
from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import JSONResponse, Response, StreamingResponse

from .._archive import archive_json
from .._deps import OptionalUser, RequiredUser, StoreDep
from .._errors import NomadError, forbidden
from .._files import (
    BadPathError,
    BadPatternError,
    iter_file,
    iter_zip,
    list_dir,
    merge_tree,
    remove_path,
    resolve_inside,
    safe_relative_path,
    select_files,
    walk_files,
)
from .._pagination import Direction, PageRequest, paginate_list, pagination_params
from .._processing import Job, processor_for
from .._receiving import Received, receive_files, unpack
from .._responses import attachment
from .._signature import DownloadUser
from .._state import EntryRecord, Store, UploadRecord
from .._upload_access import (
    BLOCKED,
    BUSY,
    WAIT_TIMEOUT,
    may_queue,
    readable_upload,
    upload_answer,
    upload_response,
    writable_upload,
)

router = APIRouter()

NOT_FOUND = "Not found. Invalid path?"
BAD_PATH = "Bad path provided."

_plain_pages = pagination_params(order_by_choices=())


def rawdir_pages(
    store: StoreDep,
    page_size: Annotated[int | None, Query()] = 10,
    page_after_value: Annotated[str | None, Query()] = None,
    page: Annotated[int | None, Query()] = None,
    page_offset: Annotated[int | None, Query()] = None,
) -> PageRequest:
    """Pagination of `rawdir`: NOMAD offers neither `order_by` nor `order` there."""
    return _plain_pages(
        store=store,
        page_size=page_size,
        order_by=None,
        order=Direction.asc,
        page_after_value=page_after_value,
        page=page,
        page_offset=page_offset,
    )


# --------------------------------------------------------------------------------------------
# reading


@router.get("/uploads/{upload_id}/raw")
def get_upload_raw_zip(upload_id: str, store: StoreDep, user: DownloadUser) -> Response:
    """The raw files of a published upload as one zip."""
    upload = readable_upload(store, upload_id, user)
    if not upload.published:
        raise NomadError(
            400,
            "Cannot download raw files .zip from non published uploads. Use '/{upload_id}/raw/'"
            " instead\nto recursively create and download a .zip file with all files.",
        )
    members = [(path, upload.files_dir / path) for path in walk_files(upload.files_dir)]
    return StreamingResponse(iter_zip(members), media_type="application/zip")


@router.get("/uploads/{upload_id}/raw/{path:path}")
def get_upload_raw_path(
    upload_id: str,
    path: str,
    store: StoreDep,
    user: DownloadUser,
    offset: int = 0,
    length: int = -1,
    decompress: bool = False,
    ignore_mime_type: bool = False,
    compress: bool = False,
    glob_pattern: str | None = None,
    re_pattern: str | None = None,
    include_files: Annotated[list[str] | None, Query()] = None,
) -> Response:
    """A file's bytes (optionally a window), or a directory (or file) as a zip stream."""
    if compress and (offset != 0 or length != -1):
        raise NomadError(400, "Cannot specify `offset` or `length` when `compress` is true")
    upload = readable_upload(store, upload_id, user)
    relative, target = _existing(upload, path)
    if target.is_file():
        name = PurePosixPath(relative).name
        if compress:
            stream = iter_zip([(name, target)])
            return _download(stream, name + ".zip", "application/zip")
        if offset < 0:
            raise NomadError(400, "Invalid offset provided.")
        if length <= 0 and length != -1:
            raise NomadError(
                400,
                "Invalid length provided. Should be greater than 0, or -1 if the remainder\n"
                "of the file should be read.",
            )
        whole = offset == 0 and length == -1
        media_type = "application/octet-stream"
        if whole and not ignore_mime_type:
            media_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
        stream = iter_file(target, offset, length, decompress=decompress)
        return _download(stream, name, media_type)
    if not compress:
        raise NomadError(400, "Path is a directory, `compress` must be set to true")
    try:
        chosen = select_files(
            walk_files(upload.files_dir, relative),
            glob_pattern=glob_pattern,
            re_pattern=re_pattern,
            include_files=include_files,
        )
    except BadPatternError as error:
        raise NomadError(400, f"Bad re_pattern: {error}") from error
    prefix = len(relative) + 1 if relative else 0
    members = [(item[prefix:], upload.files_dir / item) for item in chosen]
    zip_name = (PurePosixPath(relative).name if relative else upload.upload_id) + ".zip"
    return _download(iter_zip(members), zip_name, "application/zip")


def _inside(upload: UploadRecord, path: str, refusal: NomadError) -> tuple[str, Path]:
    """`path` normalised, and where it is in the upload's directory; `refusal` if it leaves it."""
    try:
        relative = safe_relative_path(path)
        return relative, resolve_inside(upload.files_dir, relative)
    except BadPathError as error:
        raise refusal from error


def _existing(upload: UploadRecord, path: str) -> tuple[str, Path]:
    relative, target = _inside(upload, path, NomadError(404, NOT_FOUND))
    if not target.exists():
        raise NomadError(404, NOT_FOUND)
    return relative, target


def _download(stream: Iterator[bytes], file_name: str, media_type: str) -> StreamingResponse:
    return StreamingResponse(stream, media_type=media_type, headers=attachment(file_name))


@router.get("/uploads/{upload_id}/rawdir/{path:path}")
def get_upload_rawdir(
    request: Request,
    upload_id: str,
    path: str,
    store: StoreDep,
    user: OptionalUser,
    pagination: Annotated[PageRequest, Depends(rawdir_pages)],
    include_entry_info: bool = False,
) -> dict[str, Any]:
    """Metadata of a file, or a page of a directory's content."""
    upload = readable_upload(store, upload_id, user)
    relative, target = _existing(upload, path)
    with store.lock:
        access = "unpublished"
        if upload.published:
            access = "embargoed" if upload.embargo_length else "public"
        mainfiles = {e.mainfile: e for e in store.entries_of(upload)} if include_entry_info else {}
    answer: dict[str, Any] = {"path": path.rstrip("/"), "access": access}
    if target.is_file():
        answer["file_metadata"] = _with_entry(
            {"name": PurePosixPath(relative).name, "size": target.stat().st_size},
            mainfiles.get(relative),
        )
        return answer
    listing = list_dir(upload.files_dir, relative)
    page, pagination_json = paginate_list(listing, pagination, request)
    content = [
        _with_entry(
            {"name": item.name, "size": item.size, "is_file": item.is_file},
            mainfiles.get(item.path) if item.is_file else None,
        )
        for item in page
    ]
    answer["directory_metadata"] = {
        "name": PurePosixPath(relative).name,
        "size": sum(item.size for item in listing),
        "content": content,
    }
    answer["pagination"] = pagination_json
    return answer


def _with_entry(metadata: dict[str, Any], entry: EntryRecord | None) -> dict[str, Any]:
    if entry is not None:
        metadata["entry_id"] = entry.entry_id
        metadata["parser_name"] = entry.parser_name
    return metadata


# --------------------------------------------------------------------------------------------
# changing


@router.put("/uploads/{upload_id}/raw/{path:path}")
async def put_upload_raw_path(
    request: Request,
    upload_id: str,
    path: str,
    store: StoreDep,
    user: RequiredUser,
    file_name: str | None = None,
    local_path: str | None = None,
    overwrite_if_exists: bool = True,
    wait_for_processing: bool = False,
    include_archive: bool = False,
    entry_hash: str | None = None,
    auto_decompress: bool = True,
    trigger_processing: bool = True,
) -> Response:
    """Add files into a directory of an unpublished upload, then reprocess it."""
    in_20 = store.api_version == "2.0"
    if not in_20:
        auto_decompress = trigger_processing = True  # parameters NOMAD 1.3 did not have
    if include_archive and not wait_for_processing:
        raise NomadError(400, "`include_archive` requires `wait_for_processing`.")
    if wait_for_processing and not trigger_processing:
        raise NomadError(
            400, "`trigger_processing` must be true when `wait_for_processing` is set.`"
        )
    upload = writable_upload(store, upload_id, user)
    if local_path is not None:
        raise forbidden("You are not authorized to access this path.", store.api_version)
    directory, target = _inside(upload, path, NomadError(400, BAD_PATH))

    received = await receive_files(request, store, file_name)
    try:
        if not received.files:
            raise NomadError(
                400,
                "Either an upload file or the query parameters for moving/copying a file should"
                " be provided.",
            )
        if entry_hash is not None:
            # the stand-in keeps no entry hashes, so no hash can match
            raise NomadError(409, "The provided hash did not match the current file.")
        await unpack(received, auto_decompress=auto_decompress)
        if not overwrite_if_exists:
            _refuse_overwrite(target, received)
        if wait_for_processing and (len(received.files) != 1 or received.unpacked):
            raise NomadError(
                400,
                "`wait_for_processing` can only be used with single files, and not with"
                " compressed files.",
            )
        with store.lock:
            if upload.upload_id not in store.uploads:
                raise NomadError(404, "The specified upload_id was not found.")
            if not may_queue(store, upload, "process"):
                raise NomadError(400, BUSY if wait_for_processing and not in_20 else BLOCKED)
            merge_tree(received.content, target)
            job = None
            if trigger_processing:
                job = processor_for(store).submit(upload, Job(upload_id, "process"))
    finally:
        received.discard()

    if not wait_for_processing or job is None:
        with store.lock:
            answer = upload_response(store, upload, keep_nulls=True)
        return upload_answer(request, {**answer, "processing": None})
    await anyio.to_thread.run_sync(job.wait, WAIT_TIMEOUT)
    return JSONResponse(_processing_answer(store, upload, directory, received, include_archive))


def _refuse_overwrite(target: Path, received: Received) -> None:
    # like NOMAD, only plain files are checked; archives merge into what exists
    for path in received.files:
        if path.name not in received.unpacked and (target / path.name).exists():
            raise NomadError(
                409, "The provided path already exists and overwrite_if_exists is set to False."
            )


def _processing_answer(
    store: Store, upload: UploadRecord, directory: str, received: Received, include_archive: bool
) -> dict[str, Any]:
    mainfile = PurePosixPath(directory, received.files[0].name).as_posix()
    with store.lock:
        entry = store.entry_by_mainfile(upload, mainfile)
        archive = None
        if entry is not None and include_archive and entry.process_status == "SUCCESS":
            archive = archive_json(store, entry, "*")
        return {
            **upload_response(store, upload, keep_nulls=True),
            "processing": {
                "upload_id": upload.upload_id,
                "path": mainfile,
                "entry_id": entry.entry_id if entry else None,
                "parser_name": entry.parser_name if entry else None,
                "entry": entry.to_json(store.api_version, None) if entry else None,
                "archive": archive,
            },
        }


@router.delete("/uploads/{upload_id}/raw/{path:path}")
def delete_upload_raw_path(
    upload_id: str,
    path: str,
    store: StoreDep,
    user: RequiredUser,
    trigger_processing: bool = True,
) -> dict[str, Any]:
    """Delete a file or directory (`""`: everything) of an unpublished upload; reprocess."""
    upload = writable_upload(store, upload_id, user)
    relative, target = _inside(upload, path, NomadError(400, BAD_PATH))
    if not target.exists():
        raise NomadError(404, "No file or folder with that path found.")
    with store.lock:
        if not may_queue(store, upload, "process"):
            raise NomadError(400, BLOCKED)
        if relative:
            remove_path(target)
        else:
            for child in list(target.iterdir()):
                remove_path(child)
        if trigger_processing or store.api_version == "1.3":
            processor_for(store).submit(upload, Job(upload_id, "process"))
        return upload_response(store, upload)

"""Receiving the files of `POST /uploads` and `PUT /uploads/{id}/raw/{path}`.

Both accept NOMAD's two content methods: multipart `file` field(s), or the request body as one
file named by `file_name`. Bytes are streamed to a staging directory under the store root
(multipart parts are spooled by Starlette, then copied chunk-wise), then unpacked there when they
are zip/tar, so a broken archive is refused before anything of the upload changes.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

import anyio
from fastapi import Request
from starlette.datastructures import UploadFile

from ._errors import NomadError
from ._files import (
    CHUNK_SIZE,
    BadArchiveError,
    extract_archive,
    is_archive_name,
    is_safe_basename,
    new_staging_dir,
    sniff_archive_suffix,
    write_stream,
)
from ._state import Store

BAD_ARCHIVE = "Cannot extract file. Bad file format or file extension?"
IO_FAILED = "Some IO went wrong, upload probably aborted/disrupted."


@dataclass
class Received:
    """Files that arrived with a request, in a private staging directory."""

    staging: Path
    # "form" (multipart) or "body" (streamed); None when no file came
    method: str | None = None
    files: list[Path] = field(default_factory=list)
    # files unpacked into `content/`: archive name -> relative paths it held
    unpacked: dict[str, list[str]] = field(default_factory=dict)

    @property
    def content(self) -> Path:
        """The directory whose tree is merged into the target directory of the upload."""
        return self.staging / "content"

    @property
    def single_name(self) -> str | None:
        """The file name when exactly one file came (NOMAD's default `upload_name`)."""
        return self.files[0].name if len(self.files) == 1 else None

    def discard(self) -> None:
        """Remove everything staged."""
        shutil.rmtree(self.staging, ignore_errors=True)


async def receive_files(request: Request, store: Store, file_name: str | None) -> Received:
    """Stream the request's files to a new staging directory (the caller must `discard` it)."""
    received = Received(staging=new_staging_dir(store.root))
    incoming = received.staging / "incoming"
    incoming.mkdir()
    try:
        if request.headers.get("content-type", "").startswith("multipart/form-data"):
            await _receive_form(request, incoming, received)
        else:
            await _receive_body(request, incoming, file_name, received)
    except NomadError:
        received.discard()
        raise
    except Exception as error:  # a broken connection or malformed multipart body
        received.discard()
        raise NomadError(400, IO_FAILED) from error
    return received


async def _receive_form(request: Request, incoming: Path, received: Received) -> None:
    form = await request.form()
    try:
        parts = [part for part in form.getlist("file") if isinstance(part, UploadFile)]
        for part in parts:
            name = part.filename or ""
            if not is_safe_basename(name):
                raise NomadError(400, "Bad file name provided.")
            target = incoming / name
            await write_stream(_read_part(part), target)
            received.files.append(target)
    finally:
        await form.close()
    if received.files:
        received.method = "form"


async def _read_part(part: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await part.read(CHUNK_SIZE):
        yield chunk


async def _receive_body(
    request: Request, incoming: Path, file_name: str | None, received: Received
) -> None:
    if file_name is not None and not is_safe_basename(file_name):
        raise NomadError(400, "Bad file name provided.")
    target = incoming / (file_name or "upload")
    if await write_stream(request.stream(), target) == 0:
        target.unlink()
        return
    if not file_name:
        suffix = sniff_archive_suffix(target)
        if suffix is None:
            raise NomadError(
                400, "No file name provided, and the file does not look like a zip or tar file."
            )
        target = target.rename(target.with_name("upload" + suffix))
    received.files.append(target)
    received.method = "body"


async def unpack(received: Received, *, auto_decompress: bool) -> None:
    """Lay the received files out in `received.content`, unpacking zip/tar files (in a thread)."""
    await anyio.to_thread.run_sync(_unpack, received, auto_decompress)


def _unpack(received: Received, auto_decompress: bool) -> None:
    received.content.mkdir(exist_ok=True)
    for path in received.files:
        if auto_decompress and is_archive_name(path.name):
            try:
                received.unpacked[path.name] = extract_archive(path, received.content)
            except BadArchiveError as error:
                raise NomadError(400, BAD_ARCHIVE) from error
        else:
            path.replace(received.content / path.name)

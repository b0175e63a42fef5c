"""Moving files: upload sources streamed from disk, downloads streamed to disk atomically.

Memory never grows with file size: uploads read the file in chunks (a directory is zipped to a
temporary file first, a file object without a path is spooled to one), and downloads write chunks
to a temporary `.part` file next to the target that is renamed only once the body is complete. A
failed download leaves nothing behind and never clobbers an existing file unless asked.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import zipfile
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import IO, Any, Union

import httpx

from ._http import RequestPipeline
from ._ops import Close, FileBody, Op, ReadChunk, Sleep
from ._retry import retry_delay
from ._types import ProgressCallback
from .errors import ConfigurationError, transport_error

UploadSource = Union[str, "os.PathLike[str]", IO[bytes]]
"""What `uploads.create` accepts: a file path, a directory path, or a binary file object."""

# `process.max_upload_size` in NOMAD's configuration; larger uploads are refused by its proxy
MAX_UPLOAD_SIZE = 32 * 1024**3


@contextlib.contextmanager
def upload_body(
    source: UploadSource, *, file_name: str | None, on_progress: ProgressCallback | None
) -> Iterator[tuple[FileBody, str | None]]:
    """A streamable body and the file name NOMAD should record, for any upload source.

    A file object without a name gets none: NOMAD then recognises a zip or tar by its content
    (and refuses anything else with a message asking for a file name).

    Temporary files made on the way (a zipped directory, a spooled file object) are removed when
    the block ends.
    """
    with contextlib.ExitStack() as cleanup:
        name: str | None
        if isinstance(source, (str, os.PathLike)):
            path = Path(source)
            if not path.exists():
                raise FileNotFoundError(f"nothing to upload at {path}: no such file or directory")
            if path.is_dir():
                name = file_name or f"{path.resolve().name or 'upload'}.zip"
                path = cleanup.enter_context(_zipped_directory(path))
            else:
                name = file_name or path.name
        else:
            named = getattr(source, "name", None)
            name = file_name or (Path(named).name if isinstance(named, str) and named else None)
            path = cleanup.enter_context(_spooled(source))
        size = path.stat().st_size
        if size > MAX_UPLOAD_SIZE:
            raise ConfigurationError(
                f"{name or 'the upload'} is {size / 1024**3:.1f} GiB; NOMAD accepts uploads up "
                "to 32 GiB. Split the data into several uploads."
            )
        yield FileBody(path, on_progress), name


def download(
    pipeline: RequestPipeline,
    path: str,
    target: str | os.PathLike[str],
    *,
    params: Mapping[str, Any] | None = None,
    overwrite: bool = False,
    on_progress: ProgressCallback | None = None,
) -> Op[Path]:
    """Stream `GET path` into the file `target`; returns its path.

    Writes to a temporary file beside the target and renames it on success, so the target is
    either complete or untouched. An interrupted body is fetched again under the retry policy.
    """
    destination = Path(target)
    if destination.is_dir():
        raise IsADirectoryError(
            f"{destination} is a directory; give the path of the file to write, such as "
            f"{destination / 'download.zip'}"
        )
    if destination.exists() and not overwrite:
        raise FileExistsError(
            f"{destination} exists already; pass overwrite=True to replace it, or choose "
            "another path"
        )
    destination.parent.mkdir(parents=True, exist_ok=True)
    attempt = 0
    while True:
        response = yield from pipeline.request("GET", path, params=params, stream=True)
        part = _part_file(destination)
        try:
            total = int(response.headers.get("Content-Length", 0) or 0)
            done = 0
            with part.open("wb") as file:
                while chunk := (yield ReadChunk(response)):
                    file.write(chunk)
                    done += len(chunk)
                    if on_progress is not None:
                        on_progress(done, total)
            part.replace(destination)
        except GeneratorExit:
            part.unlink(missing_ok=True)
            raise
        except httpx.TransportError as error:
            part.unlink(missing_ok=True)
            yield Close(response)
            attempt += 1
            delay = retry_delay(
                pipeline.options.retry, attempt, idempotent=True, method="GET", error=error
            )
            if delay is None:
                raise transport_error("GET", pipeline.url(path), error) from error
            yield Sleep(delay)
            continue
        except BaseException:
            part.unlink(missing_ok=True)
            yield Close(response)
            raise
        yield Close(response)
        return destination


def _part_file(destination: Path) -> Path:
    handle, name = tempfile.mkstemp(
        dir=destination.parent, prefix=f".{destination.name}.", suffix=".part"
    )
    os.close(handle)
    return Path(name)


@contextlib.contextmanager
def _zipped_directory(directory: Path) -> Iterator[Path]:
    """The directory's files in a temporary zip (paths relative to the directory)."""
    handle, name = tempfile.mkstemp(prefix="nomadclient-", suffix=".zip")
    os.close(handle)
    archive = Path(name)
    try:
        with zipfile.ZipFile(archive, "w", compression=zipfile.ZIP_DEFLATED) as zipped:
            for file in sorted(directory.rglob("*")):
                if file.is_file():
                    zipped.write(file, file.relative_to(directory).as_posix())
        yield archive
    finally:
        archive.unlink(missing_ok=True)


@contextlib.contextmanager
def _spooled(source: IO[bytes]) -> Iterator[Path]:
    """A file object's remaining bytes copied to a temporary file, chunk by chunk."""
    handle, name = tempfile.mkstemp(prefix="nomadclient-", suffix=".upload")
    spool = Path(name)
    try:
        with os.fdopen(handle, "wb") as file:
            shutil.copyfileobj(source, file, 1024 * 1024)
        yield spool
    finally:
        spool.unlink(missing_ok=True)

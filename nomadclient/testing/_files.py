"""Raw files of stand-in uploads: safe paths, receiving streams, unpacking archives, zipping.

Everything that touches an upload's directory goes through here, so that no request can read
or write outside of it: paths are checked segment by segment, archive members that would land
outside the target or are links are refused, and directory listings never follow symlinks.
"""

from __future__ import annotations

import bz2
import fnmatch
import functools
import gzip
import lzma
import re
import shutil
import stat
import tarfile
import uuid
import zipfile
from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import IO, cast

CHUNK_SIZE = 1 << 16

ARCHIVE_SUFFIXES = (".zip", ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tar.xz", ".txz")


class BadPathError(ValueError):
    """A path that would leave the upload directory or is otherwise not acceptable."""


class BadArchiveError(ValueError):
    """A zip/tar file that cannot be unpacked safely."""


class BadPatternError(ValueError):
    """A download filter's `re_pattern` that is not a regular expression."""


# --------------------------------------------------------------------------------------------
# paths


def is_safe_basename(name: str) -> bool:
    """A plain file name: no separators, not `.`/`..`, not empty (NOMAD's rule for file names)."""
    return bool(name) and name not in (".", "..") and "/" not in name and "\\" not in name


def safe_relative_path(path: str) -> str:
    """`path` normalised to `a/b/c` (no trailing slash; `""` for the root), or BadPathError.

    Absolute paths, `..` segments, backslashes and NUL bytes are refused.
    """
    if path.startswith("/") or "\\" in path or "\x00" in path:
        raise BadPathError(path)
    parts = [part for part in path.split("/") if part not in ("", ".")]
    if any(part == ".." for part in parts):
        raise BadPathError(path)
    return "/".join(parts)


def resolve_inside(root: Path, relative: str) -> Path:
    """The filesystem path of `relative` inside `root`; BadPathError if it would leave `root`.

    `relative` must come from `safe_relative_path`; the resolve check also catches symlinks
    that point out of the upload.
    """
    candidate = root / relative
    resolved_root = root.resolve()
    resolved = candidate.resolve()
    if resolved != resolved_root and resolved_root not in resolved.parents:
        raise BadPathError(relative)
    return candidate


def is_archive_name(name: str) -> bool:
    """Whether a file name says zip or tar (the extensions NOMAD unpacks)."""
    return name.lower().endswith(ARCHIVE_SUFFIXES)


def sniff_archive_suffix(path: Path) -> str | None:
    """`.zip` or `.tar` when the file's content is one, else None (for nameless raw bodies)."""
    if zipfile.is_zipfile(path):
        return ".zip"
    try:
        if tarfile.is_tarfile(path):
            return ".tar"
    except OSError:
        return None
    return None


# --------------------------------------------------------------------------------------------
# receiving files


def new_staging_dir(root: Path) -> Path:
    """A fresh private directory under the store root for bytes that are still arriving."""
    path = root / "staging" / uuid.uuid4().hex
    path.mkdir(parents=True)
    return path


async def write_stream(chunks: AsyncIterator[bytes], target: Path) -> int:
    """Write an async byte stream to `target` chunk by chunk; returns the byte count."""
    written = 0
    with target.open("wb") as sink:
        async for chunk in chunks:
            if chunk:
                sink.write(chunk)
                written += len(chunk)
    return written


# --------------------------------------------------------------------------------------------
# unpacking


def extract_archive(archive: Path, target: Path) -> list[str]:
    """Unpack a zip or tar file into `target`; returns the relative paths of the files written.

    Members are copied one by one (never `extractall`): absolute names, `..` segments, links
    and device files are refused, so nothing lands outside `target`.
    """
    target.mkdir(parents=True, exist_ok=True)
    try:
        if archive.name.lower().endswith(".zip"):
            with zipfile.ZipFile(archive) as zip_bundle:
                return _write_members(_zip_members(zip_bundle), target)
        with tarfile.open(archive) as tar_bundle:
            return _write_members(_tar_members(tar_bundle), target)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError, lzma.LZMAError) as error:
        raise BadArchiveError(str(error)) from error


# (name in the archive, whether it is a directory, how to open its content)
_Member = tuple[str, bool, Callable[[], IO[bytes]]]


def _zip_members(bundle: zipfile.ZipFile) -> Iterator[_Member]:
    for info in bundle.infolist():
        if stat.S_ISLNK(info.external_attr >> 16):
            raise BadArchiveError(f"link in archive: {info.filename}")
        yield info.filename, info.is_dir(), functools.partial(bundle.open, info)


def _tar_members(bundle: tarfile.TarFile) -> Iterator[_Member]:
    for member in bundle:
        if not (member.isfile() or member.isdir()):
            raise BadArchiveError(f"link or special file in archive: {member.name}")
        yield member.name, member.isdir(), functools.partial(_open_tar_member, bundle, member)


def _open_tar_member(bundle: tarfile.TarFile, member: tarfile.TarInfo) -> IO[bytes]:
    source = bundle.extractfile(member)
    if source is None:
        raise BadArchiveError(f"unreadable member: {member.name}")
    return source


def _write_members(members: Iterable[_Member], target: Path) -> list[str]:
    written: list[str] = []
    for name, is_dir, open_member in members:
        relative = _member_path(name)
        if not relative:
            continue
        destination = target / relative
        if is_dir:
            destination.mkdir(parents=True, exist_ok=True)
            continue
        destination.parent.mkdir(parents=True, exist_ok=True)
        with open_member() as source, destination.open("wb") as sink:
            shutil.copyfileobj(source, sink, CHUNK_SIZE)
        written.append(relative)
    return written


def _member_path(name: str) -> str:
    try:
        return safe_relative_path(name)
    except BadPathError as error:
        raise BadArchiveError(f"unsafe member path: {name}") from error


# --------------------------------------------------------------------------------------------
# placing received files into an upload


def merge_tree(source: Path, target: Path) -> None:
    """Move everything under `source` into `target`, replacing files that exist already."""
    target.mkdir(parents=True, exist_ok=True)
    for child in source.iterdir():
        destination = target / child.name
        if child.is_dir() and not child.is_symlink():
            if destination.exists() and not destination.is_dir():
                destination.unlink()
            merge_tree(child, destination)
        else:
            if destination.is_dir() and not destination.is_symlink():
                shutil.rmtree(destination)
            child.replace(destination)


def remove_path(path: Path) -> None:
    """Delete a file or a whole directory."""
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink()


# --------------------------------------------------------------------------------------------
# reading


@dataclass(frozen=True)
class DirEntry:
    """A file or directory inside an upload, as `rawdir` lists it."""

    name: str
    path: str
    is_file: bool
    size: int


def list_dir(root: Path, relative: str) -> list[DirEntry]:
    """The direct children of a directory, sorted by name, with recursive sizes."""
    directory = root / relative
    entries = []
    for child in sorted(directory.iterdir(), key=lambda item: item.name):
        if child.is_symlink():
            continue
        is_file = child.is_file()
        size = child.stat().st_size if is_file else tree_size(child)
        entries.append(DirEntry(child.name, _join(relative, child.name), is_file, size))
    return entries


def tree_size(directory: Path) -> int:
    """Total size of the regular files below a directory."""
    files = (path for path in directory.rglob("*") if path.is_file() and not path.is_symlink())
    return sum(path.stat().st_size for path in files)


def mainfile_dir_files(files_dir: Path, mainfile: str) -> list[tuple[str, Path]]:
    """`(upload-relative path, file)` of the regular files next to a mainfile, sorted by name.

    Raises OSError when the directory is gone (e.g. deleted since processing).
    """
    parent = PurePosixPath(mainfile).parent.as_posix()
    relative = "" if parent == "." else parent
    children = sorted((files_dir / relative).iterdir(), key=lambda path: path.name)
    return [
        (_join(relative, child.name), child)
        for child in children
        if child.is_file() and not child.is_symlink()
    ]


def walk_files(root: Path, relative: str = "") -> list[str]:
    """All regular files below `relative`, as sorted upload-relative paths."""
    start = root / relative
    if start.is_file():
        return [relative]
    found = []
    for path in start.rglob("*"):
        if path.is_file() and not path.is_symlink():
            found.append(path.relative_to(root).as_posix())
    return sorted(found)


def iter_file(
    path: Path, offset: int = 0, length: int = -1, *, decompress: bool = False
) -> Iterator[bytes]:
    """Stream a file (optionally a window of it, optionally decompressed) in chunks."""
    with _open_for_reading(path, decompress) as source:
        if offset:
            source.seek(offset)
        remaining = length
        while remaining != 0:
            size = CHUNK_SIZE if remaining < 0 else min(CHUNK_SIZE, remaining)
            chunk = source.read(size)
            if not chunk:
                return
            if remaining > 0:
                remaining -= len(chunk)
            yield chunk


def _open_for_reading(path: Path, decompress: bool) -> IO[bytes]:
    if decompress:
        suffix = path.suffix.lower()
        if suffix == ".gz":
            return cast(IO[bytes], gzip.open(path, "rb"))
        if suffix == ".bz2":
            return cast(IO[bytes], bz2.open(path, "rb"))
        if suffix == ".xz":
            return cast(IO[bytes], lzma.open(path, "rb"))
    return path.open("rb")


def select_files(
    paths: list[str],
    *,
    glob_pattern: str | None = None,
    re_pattern: str | None = None,
    include_files: list[str] | None = None,
) -> list[str]:
    """The paths whose file names pass NOMAD's download filters; BadPatternError for a bad regex."""
    try:
        regex = re.compile(re_pattern) if re_pattern else None
    except re.error as error:
        raise BadPatternError(str(error)) from error
    selected = []
    for path in paths:
        name = PurePosixPath(path).name
        if glob_pattern and not fnmatch.fnmatch(name, glob_pattern):
            continue
        if regex and not regex.search(path):
            continue
        if include_files and name not in include_files:
            continue
        selected.append(path)
    return selected


class _ZipSink:
    """A write-only file object whose written bytes are collected for streaming."""

    def __init__(self) -> None:
        self._buffer = bytearray()
        self._position = 0

    def write(self, data: bytes) -> int:
        self._buffer.extend(data)
        self._position += len(data)
        return len(data)

    def tell(self) -> int:
        return self._position

    def flush(self) -> None:
        """Nothing to flush: bytes are handed out by `take`."""

    def close(self) -> None:
        """Nothing to release."""

    def take(self) -> bytes:
        data = bytes(self._buffer)
        self._buffer.clear()
        return data


def iter_zip(members: list[tuple[str, Path]]) -> Iterator[bytes]:
    """Stream a zip of `(name in zip, file)` pairs without building it in memory or on disk."""
    sink = _ZipSink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_DEFLATED) as bundle:
        for name, path in members:
            with path.open("rb") as source, bundle.open(name, "w", force_zip64=True) as target:
                while chunk := source.read(CHUNK_SIZE):
                    target.write(chunk)
                    if data := sink.take():
                        yield data
            if data := sink.take():
                yield data
    if data := sink.take():
        yield data


def _join(directory: str, name: str) -> str:
    return f"{directory}/{name}" if directory else name

"""Uploads: create from files, wait for processing, edit metadata, publish, list, delete."""

from __future__ import annotations

import builtins
import contextlib
import os
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Generic, TypedDict, TypeVar

from typing_extensions import Unpack

from .._http import RequestPipeline
from .._ops import Blocking, Op, Sleep
from .._pagination import AsyncPageIterator, Page, PageIterator
from .._transfer import UploadSource, download, upload_body
from .._types import NotGiven, ProgressCallback, is_given
from ..errors import ProcessingFailed, ProcessingTimeout
from ..models import AsyncEntry, AsyncUpload, Entry, Upload
from ._common import factory, file_path, page_of, segment

if TYPE_CHECKING:
    from ..client import AsyncNomadClient, NomadClient
    from ..models import DatasetFields, User

U = TypeVar("U")
E = TypeVar("E")

CHECK_CREATED = "list your uploads (client.uploads.list()) to see whether it was created"

# polling starts at the caller's interval and grows by this factor up to MAX_POLL_INTERVAL
POLL_GROWTH = 1.5
MAX_POLL_INTERVAL = 10.0


class UploadOps(Generic[U, E]):
    """The uploads operations, as sans-IO generators producing `U` uploads and `E` entries."""

    def __init__(
        self,
        pipeline: RequestPipeline,
        make_upload: Callable[[dict[str, Any]], U],
        make_entry: Callable[[dict[str, Any]], E],
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._pipeline = pipeline
        self._make_upload = make_upload
        self._make_entry = make_entry
        self._clock = clock

    def _upload_answer(self, method: str, path: str, **kwargs: Any) -> Op[U]:
        answer = yield from self._pipeline.json(method, path, **kwargs)
        return self._make_upload(answer["data"])

    def get(self, upload_id: str) -> Op[U]:
        """`GET /uploads/{upload_id}`."""
        return self._upload_answer("GET", f"uploads/{segment(upload_id)}")

    def create(
        self,
        source: UploadSource | None,
        *,
        upload_name: str | None,
        embargo_length: int | None,
        publish_directly: bool | None,
        file_name: str | None,
        on_progress: ProgressCallback | None,
    ) -> Op[U]:
        """`POST /uploads` with the file streamed as the body (never retried once sent)."""
        params: dict[str, Any] = {
            "upload_name": upload_name,
            "embargo_length": embargo_length,
            "publish_directly": publish_directly,
        }
        # NOMAD answers JSON, and so the new upload's id, only to exactly this Accept header
        headers = {"Accept": "application/json"}
        if source is None:
            return (
                yield from self._upload_answer(
                    "POST",
                    "uploads",
                    params=params,
                    headers=headers,
                    auth="required",
                    how_to_check=CHECK_CREATED,
                )
            )
        # zipping a directory or spooling a file object can take a while: off the event loop
        temporary_files = contextlib.ExitStack()
        body, name = yield Blocking(
            lambda: temporary_files.enter_context(
                upload_body(source, file_name=file_name, on_progress=on_progress)
            )
        )
        with temporary_files:
            return (
                yield from self._upload_answer(
                    "POST",
                    "uploads",
                    params={**params, "file_name": name},
                    headers=headers,
                    body=body,
                    auth="required",
                    how_to_check=CHECK_CREATED,
                )
            )

    def wait_until_processed(
        self, upload_id: str, *, timeout: float, poll_interval: float
    ) -> Op[U]:
        """Poll the upload, with growing intervals, until NOMAD has finished processing it."""
        deadline = self._clock() + timeout
        interval = poll_interval
        while True:
            answer = yield from self._pipeline.json("GET", f"uploads/{segment(upload_id)}")
            data = answer["data"]
            if not data.get("process_running", False):
                upload = self._make_upload(data)
                if data.get("process_status") == "FAILURE":
                    raise ProcessingFailed(
                        upload_id=upload_id, errors=data.get("errors", []), upload=upload
                    )
                return upload
            remaining = deadline - self._clock()
            if remaining <= 0:
                raise ProcessingTimeout(
                    upload_id=upload_id, last_status=data.get("process_status"), timeout=timeout
                )
            yield Sleep(min(interval, remaining))
            interval = min(interval * POLL_GROWTH, MAX_POLL_INTERVAL)

    def edit(self, upload_id: str, metadata: dict[str, Any]) -> Op[U]:
        """`POST /uploads/{upload_id}/edit` with upload- and entry-level metadata."""
        return self._upload_answer(
            "POST",
            f"uploads/{segment(upload_id)}/edit",
            json={"metadata": metadata},
            auth="required",
            how_to_check="get the upload (client.uploads.get) and compare its metadata",
        )

    def publish(self, upload_id: str, embargo_length: int | None) -> Op[U]:
        """`POST /uploads/{upload_id}/action/publish`."""
        return self._upload_answer(
            "POST",
            f"uploads/{segment(upload_id)}/action/publish",
            params={"embargo_length": embargo_length},
            auth="required",
            how_to_check="get the upload (client.uploads.get) and look at `published`",
        )

    def process(self, upload_id: str) -> Op[U]:
        """`POST /uploads/{upload_id}/action/process`: process the files again."""
        return self._upload_answer(
            "POST",
            f"uploads/{segment(upload_id)}/action/process",
            auth="required",
            how_to_check="get the upload (client.uploads.get) and look at `process_status`",
        )

    def delete(self, upload_id: str) -> Op[U]:
        """`DELETE /uploads/{upload_id}`."""
        return self._upload_answer("DELETE", f"uploads/{segment(upload_id)}", auth="required")

    def page(self, params: dict[str, Any], cursor: str | None) -> Op[Page[U]]:
        """One page of `GET /uploads`."""
        answer = yield from self._pipeline.json(
            "GET", "uploads", params={**params, "page_after_value": cursor}, auth="required"
        )
        return page_of(answer, self._make_upload)

    def entries_page(self, upload_id: str, page_size: int, cursor: str | None) -> Op[Page[E]]:
        """One page of `GET /uploads/{upload_id}/entries`, metadata merged into each entry."""
        answer = yield from self._pipeline.json(
            "GET",
            f"uploads/{segment(upload_id)}/entries",
            params={"page_size": page_size, "page_after_value": cursor},
        )
        return page_of(answer, lambda item: self._make_entry(_flatten_entry(item)))

    def download_raw(
        self,
        upload_id: str,
        target: str | os.PathLike[str],
        *,
        path: str,
        compress: bool,
        overwrite: bool,
        on_progress: ProgressCallback | None,
    ) -> Op[Path]:
        """Stream raw files to `target`: one file, or a zip of a directory (`""` = all)."""
        return download(
            self._pipeline,
            f"uploads/{segment(upload_id)}/raw/{file_path(path)}",
            target,
            params={"compress": compress or not path},
            overwrite=overwrite,
            on_progress=on_progress,
        )


class UploadEdit(TypedDict, total=False):
    """The metadata `upload.edit()` changes; every key is optional (see `edit_metadata`)."""

    upload_name: str | NotGiven | None
    description: str | NotGiven | None
    comment: str | NotGiven | None
    references: Sequence[str] | NotGiven | None
    datasets: Sequence[str | DatasetFields] | NotGiven
    coauthors: Sequence[str | User] | NotGiven | None
    reviewers: Sequence[str | User] | NotGiven | None
    embargo_length: int | NotGiven | None
    external_id: str | NotGiven | None
    external_db: str | NotGiven | None


SCALAR_FIELDS = ("upload_name", "description", "comment", "external_id", "external_db")
LIST_FIELDS = ("references", "coauthors", "reviewers")


def edit_metadata(changes: UploadEdit) -> dict[str, Any]:
    """NOMAD's `metadata` edit object from keyword arguments.

    Left out (or `NOT_GIVEN`) = unchanged; None clears a field (NOMAD clears scalars with `""`
    and lists with an empty `set`; an embargo of None lifts it). A list replaces the field's
    values, except `datasets`, to which NOMAD only adds. Datasets and users may be given as
    objects or as ids (users also by username or e-mail).
    """
    given: dict[str, Any] = {name: value for name, value in changes.items() if is_given(value)}
    unknown = sorted(set(given) - set(UploadEdit.__annotations__))
    if unknown:
        raise TypeError(
            f"cannot edit {', '.join(unknown)}: the editable fields are "
            f"{', '.join(UploadEdit.__annotations__)}"
        )
    metadata: dict[str, Any] = {}
    for name in SCALAR_FIELDS:
        if name in given:
            metadata[name] = "" if given[name] is None else given[name]
    for name in LIST_FIELDS:
        if name in given:
            metadata[name] = {"set": [_ref(value) for value in given[name] or []]}
    if "datasets" in given:
        if given["datasets"] is None or isinstance(given["datasets"], str):
            raise TypeError(
                "datasets takes a list of datasets (or their ids) to add; NOMAD removes an "
                "upload's entries from a dataset only when the dataset is deleted"
            )
        metadata["datasets"] = {"add": [_ref(value) for value in given["datasets"]]}
    if "embargo_length" in given:
        metadata["embargo_length"] = given["embargo_length"] or 0
    return metadata


def _ref(value: Any) -> str:
    """An id from an object (`dataset_id`, `user_id`) or the value itself."""
    for attribute in ("dataset_id", "user_id"):
        ref = getattr(value, attribute, None)
        if ref:
            return str(ref)
    return str(value)


def _flatten_entry(item: dict[str, Any]) -> dict[str, Any]:
    """An `EntryProcData` with its search metadata merged in: one shape for `Entry`."""
    metadata = item.get("entry_metadata") or {}
    flat = {key: value for key, value in item.items() if key != "entry_metadata"}
    return {**metadata, **flat}


class Uploads:
    """`client.uploads`: your uploads, from files on disk to published data."""

    def __init__(self, client: NomadClient) -> None:
        self._client = client
        self._ops: UploadOps[Upload, Entry] = UploadOps(
            client._pipeline, factory(Upload, self), factory(Entry, client.entries)
        )

    def create(
        self,
        source: UploadSource | None = None,
        *,
        upload_name: str | None = None,
        embargo_length: int | None = None,
        publish_directly: bool | None = None,
        file_name: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> Upload:
        """Create an upload from a file, a directory (zipped on the fly) or a binary file object.

        The file is streamed; NOMAD unpacks zip and tar files and starts processing at once.
        Creation is never retried: if the connection breaks after sending, `OutcomeUnknown`
        says how to check whether the upload exists. Without `source`, an empty upload.
        """
        return self._client._run(
            self._ops.create(
                source,
                upload_name=upload_name,
                embargo_length=embargo_length,
                publish_directly=publish_directly,
                file_name=file_name,
                on_progress=on_progress,
            )
        )

    def get(self, upload_id: str) -> Upload:
        """An upload by id."""
        return self._client._run(self._ops.get(upload_id))

    def list(
        self,
        *,
        is_published: bool | None = None,
        is_processing: bool | None = None,
        upload_name: str | None = None,
        roles: Iterable[str] | None = None,
        order_by: str | None = None,
        order: str | None = None,
        page_size: int = 50,
        limit: int | None = None,
    ) -> PageIterator[Upload]:
        """Your uploads (as main author, coauthor or reviewer), lazily, over all pages."""
        params = _list_params(
            is_published, is_processing, upload_name, roles, order_by, order, page_size
        )
        return PageIterator(lambda cursor: self._ops.page(params, cursor), self._client._run, limit)

    def wait_until_processed(
        self, upload_id: str, *, timeout: float = 600, poll_interval: float = 0.5
    ) -> Upload:
        """Poll until NOMAD has processed the upload; `ProcessingFailed` or `ProcessingTimeout`."""
        return self._client._run(
            self._ops.wait_until_processed(upload_id, timeout=timeout, poll_interval=poll_interval)
        )

    def edit(self, upload_id: str, **changes: Unpack[UploadEdit]) -> Upload:
        """Edit an upload's metadata: left-out fields stay, None clears (see `edit_metadata`)."""
        return self._client._run(self._ops.edit(upload_id, edit_metadata(changes)))

    def publish(self, upload_id: str, *, embargo_length: int | None = None) -> Upload:
        """Publish an upload (optionally under embargo for `embargo_length` months)."""
        return self._client._run(self._ops.publish(upload_id, embargo_length))

    def process(self, upload_id: str) -> Upload:
        """Process an upload's files again."""
        return self._client._run(self._ops.process(upload_id))

    def delete(self, upload_id: str) -> Upload:
        """Delete an unpublished upload."""
        return self._client._run(self._ops.delete(upload_id))

    def entries(self, upload_id: str, *, page_size: int = 50) -> PageIterator[Entry]:
        """The entries of an upload, with their processing state, lazily over all pages."""
        return PageIterator(
            lambda cursor: self._ops.entries_page(upload_id, page_size, cursor), self._client._run
        )

    def download_raw(
        self,
        upload_id: str,
        target: str | os.PathLike[str],
        *,
        path: str = "",
        compress: bool = False,
        overwrite: bool = False,
        on_progress: ProgressCallback | None = None,
    ) -> Path:
        """Download raw files: `path` names a file, or a directory zipped (`""`: everything)."""
        return self._client._run(
            self._ops.download_raw(
                upload_id,
                target,
                path=path,
                compress=compress,
                overwrite=overwrite,
                on_progress=on_progress,
            )
        )

    def resolve_users(self, user_ids: Sequence[str]) -> builtins.list[User]:
        """Users by id, batched and cached (how uploads name their authors)."""
        return self._client.users.get_many(user_ids)


class AsyncUploads:
    """`client.uploads` of `AsyncNomadClient`; see `Uploads` for the behaviour."""

    def __init__(self, client: AsyncNomadClient) -> None:
        self._client = client
        self._ops: UploadOps[AsyncUpload, AsyncEntry] = UploadOps(
            client._pipeline, factory(AsyncUpload, self), factory(AsyncEntry, client.entries)
        )

    async def create(
        self,
        source: UploadSource | None = None,
        *,
        upload_name: str | None = None,
        embargo_length: int | None = None,
        publish_directly: bool | None = None,
        file_name: str | None = None,
        on_progress: ProgressCallback | None = None,
    ) -> AsyncUpload:
        """Create an upload from a file, a directory or a binary file object (streamed)."""
        return await self._client._run(
            self._ops.create(
                source,
                upload_name=upload_name,
                embargo_length=embargo_length,
                publish_directly=publish_directly,
                file_name=file_name,
                on_progress=on_progress,
            )
        )

    async def get(self, upload_id: str) -> AsyncUpload:
        """An upload by id."""
        return await self._client._run(self._ops.get(upload_id))

    def list(
        self,
        *,
        is_published: bool | None = None,
        is_processing: bool | None = None,
        upload_name: str | None = None,
        roles: Iterable[str] | None = None,
        order_by: str | None = None,
        order: str | None = None,
        page_size: int = 50,
        limit: int | None = None,
    ) -> AsyncPageIterator[AsyncUpload]:
        """Your uploads, lazily, over all pages (`async for`)."""
        params = _list_params(
            is_published, is_processing, upload_name, roles, order_by, order, page_size
        )
        return AsyncPageIterator(
            lambda cursor: self._ops.page(params, cursor), self._client._run, limit
        )

    async def wait_until_processed(
        self, upload_id: str, *, timeout: float = 600, poll_interval: float = 0.5
    ) -> AsyncUpload:
        """Poll until NOMAD has processed the upload; `ProcessingFailed` or `ProcessingTimeout`."""
        return await self._client._run(
            self._ops.wait_until_processed(upload_id, timeout=timeout, poll_interval=poll_interval)
        )

    async def edit(self, upload_id: str, **changes: Unpack[UploadEdit]) -> AsyncUpload:
        """Edit an upload's metadata: left-out fields stay, None clears (see `edit_metadata`)."""
        return await self._client._run(self._ops.edit(upload_id, edit_metadata(changes)))

    async def publish(self, upload_id: str, *, embargo_length: int | None = None) -> AsyncUpload:
        """Publish an upload (optionally under embargo for `embargo_length` months)."""
        return await self._client._run(self._ops.publish(upload_id, embargo_length))

    async def process(self, upload_id: str) -> AsyncUpload:
        """Process an upload's files again."""
        return await self._client._run(self._ops.process(upload_id))

    async def delete(self, upload_id: str) -> AsyncUpload:
        """Delete an unpublished upload."""
        return await self._client._run(self._ops.delete(upload_id))

    def entries(self, upload_id: str, *, page_size: int = 50) -> AsyncPageIterator[AsyncEntry]:
        """The entries of an upload, lazily over all pages (`async for`)."""
        return AsyncPageIterator(
            lambda cursor: self._ops.entries_page(upload_id, page_size, cursor), self._client._run
        )

    async def download_raw(
        self,
        upload_id: str,
        target: str | os.PathLike[str],
        *,
        path: str = "",
        compress: bool = False,
        overwrite: bool = False,
        on_progress: ProgressCallback | None = None,
    ) -> Path:
        """Download raw files: `path` names a file, or a directory zipped (`""`: everything)."""
        return await self._client._run(
            self._ops.download_raw(
                upload_id,
                target,
                path=path,
                compress=compress,
                overwrite=overwrite,
                on_progress=on_progress,
            )
        )

    async def resolve_users(self, user_ids: Sequence[str]) -> builtins.list[User]:
        """Users by id, batched and cached (how uploads name their authors)."""
        return await self._client.users.get_many(user_ids)


def _list_params(
    is_published: bool | None,
    is_processing: bool | None,
    upload_name: str | None,
    roles: Iterable[str] | None,
    order_by: str | None,
    order: str | None,
    page_size: int,
) -> dict[str, Any]:
    return {
        "is_published": is_published,
        "is_processing": is_processing,
        "upload_name": upload_name,
        "roles": list(roles) if roles is not None else None,
        "order_by": order_by,
        "order": order,
        "page_size": page_size,
    }


if TYPE_CHECKING:
    from ..models._protocols import AsyncUploadManager, UploadManager

    def _conforms(
        manager: Uploads, async_manager: AsyncUploads
    ) -> tuple[UploadManager, AsyncUploadManager]:
        """Lets mypy check that the managers give the domain objects what they call."""
        return manager, async_manager

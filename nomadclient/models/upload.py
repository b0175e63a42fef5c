"""Uploads: NOMAD's `UploadProcData`, with sync (`Upload`) and async (`AsyncUpload`) behaviour."""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable, Sequence
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from .._types import NOT_GIVEN, NotGiven, ProgressCallback, StrPath
from ._base import NOMAD_NAME, NomadModel, live, require
from ._protocols import AsyncUploadManager, UploadManager

if TYPE_CHECKING:
    from .dataset import DatasetFields
    from .entry import AsyncEntry, Entry
    from .user import User

PROCESSING_STATES = frozenset({"PENDING", "RUNNING", "WAITING_FOR_RESULT"})
"""The `process_status` values of an upload that NOMAD is still working on."""


@attrs.frozen(kw_only=True)
class UploadFields(NomadModel):
    """The fields of an upload (NOMAD's `UploadProcData`), shared by `Upload` and `AsyncUpload`.

    Users are ids (`main_author`, `coauthors`, ...); `main_author_user()` and `coauthor_users()`
    resolve them. `writers` and `viewers` are sets on the server: their order means nothing.
    `description`, `doi` (`{"id": ...}`) and `included_entries` exist from NOMAD 2.0 on.
    `entry_count` is NOMAD's `entries` (the name of the `entries()` method on the leaves).
    """

    _ID_FIELD: ClassVar[str] = "upload_id"
    _COLLECTION: ClassVar[str] = "uploads"

    upload_id: str
    upload_name: str | None = None
    description: str | None = None
    process_running: bool | None = None
    current_process: str | None = None
    process_status: str | None = None
    last_status_message: str | None = None
    errors: list[str] = attrs.field(factory=list)
    warnings: list[str] = attrs.field(factory=list)
    complete_time: datetime | None = None
    upload_create_time: datetime | None = None
    main_author: str | None = None
    coauthors: list[str] = attrs.field(factory=list)
    coauthor_groups: list[str] = attrs.field(factory=list)
    reviewers: list[str] = attrs.field(factory=list)
    reviewer_groups: list[str] = attrs.field(factory=list)
    writers: list[str] = attrs.field(factory=list)
    writer_groups: list[str] = attrs.field(factory=list)
    viewers: list[str] = attrs.field(factory=list)
    viewer_groups: list[str] = attrs.field(factory=list)
    published: bool | None = None
    published_to: list[str] = attrs.field(factory=list)
    publish_time: datetime | None = None
    with_embargo: bool | None = None
    embargo_length: int | None = None
    license: str | None = None
    doi: dict[str, Any] | None = None
    included_entries: dict[str, Any] | None = None
    entry_count: int | None = attrs.field(default=None, metadata={NOMAD_NAME: "entries"})
    upload_files_server_path: str | None = None

    @property
    def is_processing(self) -> bool:
        """Whether NOMAD is still working on the upload (processing, editing, publishing)."""
        return self.process_status in PROCESSING_STATES

    @property
    def is_done(self) -> bool:
        """Whether NOMAD's last process on the upload has ended (in success or failure)."""
        return self.process_status is not None and not self.is_processing


@attrs.frozen(kw_only=True)
class Upload(UploadFields):
    """An upload from a `NomadClient`: its fields, and methods that act on it in NOMAD.

    Methods return new objects and never change this one; `refresh()` fetches the current state.
    """

    _manager: UploadManager | None = attrs.field(
        default=None, init=False, eq=False, repr=False, hash=False
    )

    def refresh(self) -> Upload:
        """The upload as NOMAD has it now."""
        return live(self, self._manager).get(self.upload_id)

    def wait_until_processed(self, timeout: float = 600, poll_interval: float = 0.5) -> Upload:
        """Poll until NOMAD has finished processing; the final state, or a timeout error."""
        return live(self, self._manager).wait_until_processed(
            self.upload_id, timeout=timeout, poll_interval=poll_interval
        )

    def edit(
        self,
        *,
        upload_name: str | NotGiven | None = NOT_GIVEN,
        description: str | NotGiven | None = NOT_GIVEN,
        comment: str | NotGiven | None = NOT_GIVEN,
        references: Sequence[str] | NotGiven | None = NOT_GIVEN,
        datasets: Sequence[str | DatasetFields] | NotGiven = NOT_GIVEN,
        coauthors: Sequence[str | User] | NotGiven | None = NOT_GIVEN,
        reviewers: Sequence[str | User] | NotGiven | None = NOT_GIVEN,
        embargo_length: int | NotGiven | None = NOT_GIVEN,
        external_id: str | NotGiven | None = NOT_GIVEN,
        external_db: str | NotGiven | None = NOT_GIVEN,
    ) -> Upload:
        """Change the upload's metadata: fields left out stay as they are, `None` clears one."""
        return live(self, self._manager).edit(
            self.upload_id,
            upload_name=upload_name,
            description=description,
            comment=comment,
            references=references,
            datasets=datasets,
            coauthors=coauthors,
            reviewers=reviewers,
            embargo_length=embargo_length,
            external_id=external_id,
            external_db=external_db,
        )

    def publish(self, embargo_length: int | None = None) -> Upload:
        """Publish the upload, optionally under an embargo of `embargo_length` months."""
        return live(self, self._manager).publish(self.upload_id, embargo_length=embargo_length)

    def delete(self) -> Upload:
        """Delete the upload; the upload's last state."""
        return live(self, self._manager).delete(self.upload_id)

    def process(self) -> Upload:
        """Have NOMAD process the upload's files again."""
        return live(self, self._manager).process(self.upload_id)

    def entries(self) -> Iterable[Entry]:
        """The upload's entries, fetched page by page as the iteration goes."""
        return live(self, self._manager).entries(self.upload_id)

    def download_raw(
        self,
        target: StrPath,
        *,
        path: str = "",
        overwrite: bool = False,
        on_progress: ProgressCallback | None = None,
    ) -> Path:
        """Download the raw file `path` of the upload, or a directory zipped (`""`: all of it)."""
        return live(self, self._manager).download_raw(
            self.upload_id, target, path=path, overwrite=overwrite, on_progress=on_progress
        )

    def main_author_user(self) -> User:
        """The main author's account, through the client's user cache."""
        author = require(self, "main_author", self.main_author)
        return live(self, self._manager).resolve_users([author])[0]

    def coauthor_users(self) -> list[User]:
        """The coauthors' accounts, resolved in one batched call."""
        return live(self, self._manager).resolve_users(self.coauthors)


@attrs.frozen(kw_only=True)
class AsyncUpload(UploadFields):
    """An upload from an `AsyncNomadClient`: `Upload`'s methods, to be awaited."""

    _manager: AsyncUploadManager | None = attrs.field(
        default=None, init=False, eq=False, repr=False, hash=False
    )

    async def refresh(self) -> AsyncUpload:
        """The upload as NOMAD has it now."""
        return await live(self, self._manager).get(self.upload_id)

    async def wait_until_processed(
        self, timeout: float = 600, poll_interval: float = 0.5
    ) -> AsyncUpload:
        """Poll until NOMAD has finished processing; the final state, or a timeout error."""
        return await live(self, self._manager).wait_until_processed(
            self.upload_id, timeout=timeout, poll_interval=poll_interval
        )

    async def edit(
        self,
        *,
        upload_name: str | NotGiven | None = NOT_GIVEN,
        description: str | NotGiven | None = NOT_GIVEN,
        comment: str | NotGiven | None = NOT_GIVEN,
        references: Sequence[str] | NotGiven | None = NOT_GIVEN,
        datasets: Sequence[str | DatasetFields] | NotGiven = NOT_GIVEN,
        coauthors: Sequence[str | User] | NotGiven | None = NOT_GIVEN,
        reviewers: Sequence[str | User] | NotGiven | None = NOT_GIVEN,
        embargo_length: int | NotGiven | None = NOT_GIVEN,
        external_id: str | NotGiven | None = NOT_GIVEN,
        external_db: str | NotGiven | None = NOT_GIVEN,
    ) -> AsyncUpload:
        """Change the upload's metadata: fields left out stay as they are, `None` clears one."""
        return await live(self, self._manager).edit(
            self.upload_id,
            upload_name=upload_name,
            description=description,
            comment=comment,
            references=references,
            datasets=datasets,
            coauthors=coauthors,
            reviewers=reviewers,
            embargo_length=embargo_length,
            external_id=external_id,
            external_db=external_db,
        )

    async def publish(self, embargo_length: int | None = None) -> AsyncUpload:
        """Publish the upload, optionally under an embargo of `embargo_length` months."""
        return await live(self, self._manager).publish(
            self.upload_id, embargo_length=embargo_length
        )

    async def delete(self) -> AsyncUpload:
        """Delete the upload; the upload's last state."""
        return await live(self, self._manager).delete(self.upload_id)

    async def process(self) -> AsyncUpload:
        """Have NOMAD process the upload's files again."""
        return await live(self, self._manager).process(self.upload_id)

    def entries(self) -> AsyncIterable[AsyncEntry]:
        """The upload's entries, fetched page by page as the `async for` goes."""
        return live(self, self._manager).entries(self.upload_id)

    async def download_raw(
        self,
        target: StrPath,
        *,
        path: str = "",
        overwrite: bool = False,
        on_progress: ProgressCallback | None = None,
    ) -> Path:
        """Download the raw file `path` of the upload, or a directory zipped (`""`: all of it)."""
        return await live(self, self._manager).download_raw(
            self.upload_id, target, path=path, overwrite=overwrite, on_progress=on_progress
        )

    async def main_author_user(self) -> User:
        """The main author's account, through the client's user cache."""
        author = require(self, "main_author", self.main_author)
        return (await live(self, self._manager).resolve_users([author]))[0]

    async def coauthor_users(self) -> list[User]:
        """The coauthors' accounts, resolved in one batched call."""
        return await live(self, self._manager).resolve_users(self.coauthors)

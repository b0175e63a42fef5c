"""Entries: NOMAD's entry metadata, with sync (`Entry`) and async (`AsyncEntry`) behaviour."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from .._types import ProgressCallback, StrPath
from ._base import NomadModel, live, require
from ._protocols import AsyncEntryManager, EntryManager
from .dataset import DatasetRef
from .user import UserRef

if TYPE_CHECKING:
    from .upload import AsyncUpload, Upload


@attrs.frozen(kw_only=True)
class EntryFields(NomadModel):
    """The fields of an entry, shared by `Entry` and `AsyncEntry`.

    One shape for both places NOMAD describes entries: the search index (`/entries/{entry_id}`,
    `/entries/query`) and an upload's processing records (`/uploads/{upload_id}/entries`, whose
    `entry_metadata` is merged into the record). A search that asked for some fields only
    leaves the others at their defaults. `results` and `optimade` stay plain dicts; search
    internals (`calc_id`, `quantities`, `sections`, ...) stay in `extra`.
    """

    _ID_FIELD: ClassVar[str] = "entry_id"
    _COLLECTION: ClassVar[str] = "entries"

    entry_id: str
    upload_id: str | None = None
    upload_name: str | None = None
    mainfile: str | None = None
    mainfile_key: str | None = None
    parser_name: str | None = None
    entry_name: str | None = None
    entry_type: str | None = None
    published: bool | None = None
    publish_time: datetime | None = None
    with_embargo: bool | None = None
    license: str | None = None
    upload_create_time: datetime | None = None
    entry_create_time: datetime | None = None
    last_processing_time: datetime | None = None
    processed: bool | None = None
    processing_errors: list[str] = attrs.field(factory=list)
    process_running: bool | None = None
    current_process: str | None = None
    process_status: str | None = None
    last_status_message: str | None = None
    complete_time: datetime | None = None
    errors: list[str] = attrs.field(factory=list)
    warnings: list[str] = attrs.field(factory=list)
    comment: str | None = None
    description: str | None = None
    references: list[str] = attrs.field(factory=list)
    external_id: str | None = None
    external_db: str | None = None
    origin: str | None = None
    main_author: UserRef | None = None
    authors: list[UserRef] = attrs.field(factory=list)
    writers: list[UserRef] = attrs.field(factory=list)
    writer_groups: list[str] = attrs.field(factory=list)
    viewers: list[UserRef] = attrs.field(factory=list)
    viewer_groups: list[str] = attrs.field(factory=list)
    datasets: list[DatasetRef] = attrs.field(factory=list)
    files: list[str] = attrs.field(factory=list)
    nomad_version: str | None = None
    nomad_commit: str | None = None
    results: dict[str, Any] | None = None
    optimade: dict[str, Any] | None = None


@attrs.frozen(kw_only=True)
class Entry(EntryFields):
    """An entry from a `NomadClient`: its fields, and methods to read its data from NOMAD."""

    _manager: EntryManager | None = attrs.field(
        default=None, init=False, eq=False, repr=False, hash=False
    )

    def refresh(self) -> Entry:
        """The entry's full metadata as NOMAD has it now."""
        return live(self, self._manager).get(self.entry_id)

    def archive(self, required: Mapping[str, Any] | str | None = None) -> dict[str, Any]:
        """The entry's archive, whole or only the sections `required` names."""
        return live(self, self._manager).archive(self.entry_id, required=required)

    def download_raw(
        self,
        target: StrPath,
        *,
        overwrite: bool = False,
        on_progress: ProgressCallback | None = None,
    ) -> Path:
        """Download the raw files of the entry's directory to `target` (a zip file)."""
        return live(self, self._manager).download_raw(
            self.entry_id, target, overwrite=overwrite, on_progress=on_progress
        )

    def download_archive(
        self,
        target: StrPath,
        *,
        overwrite: bool = False,
        on_progress: ProgressCallback | None = None,
    ) -> Path:
        """Download the entry's archive to `target` (a JSON file)."""
        return live(self, self._manager).download_archive(
            self.entry_id, target, overwrite=overwrite, on_progress=on_progress
        )

    def upload(self) -> Upload:
        """The upload the entry belongs to."""
        upload_id = require(self, "upload_id", self.upload_id)
        return live(self, self._manager).get_upload(upload_id)


@attrs.frozen(kw_only=True)
class AsyncEntry(EntryFields):
    """An entry from an `AsyncNomadClient`: `Entry`'s methods, to be awaited."""

    _manager: AsyncEntryManager | None = attrs.field(
        default=None, init=False, eq=False, repr=False, hash=False
    )

    async def refresh(self) -> AsyncEntry:
        """The entry's full metadata as NOMAD has it now."""
        return await live(self, self._manager).get(self.entry_id)

    async def archive(self, required: Mapping[str, Any] | str | None = None) -> dict[str, Any]:
        """The entry's archive, whole or only the sections `required` names."""
        return await live(self, self._manager).archive(self.entry_id, required=required)

    async def download_raw(
        self,
        target: StrPath,
        *,
        overwrite: bool = False,
        on_progress: ProgressCallback | None = None,
    ) -> Path:
        """Download the raw files of the entry's directory to `target` (a zip file)."""
        return await live(self, self._manager).download_raw(
            self.entry_id, target, overwrite=overwrite, on_progress=on_progress
        )

    async def download_archive(
        self,
        target: StrPath,
        *,
        overwrite: bool = False,
        on_progress: ProgressCallback | None = None,
    ) -> Path:
        """Download the entry's archive to `target` (a JSON file)."""
        return await live(self, self._manager).download_archive(
            self.entry_id, target, overwrite=overwrite, on_progress=on_progress
        )

    async def upload(self) -> AsyncUpload:
        """The upload the entry belongs to."""
        upload_id = require(self, "upload_id", self.upload_id)
        return await live(self, self._manager).get_upload(upload_id)

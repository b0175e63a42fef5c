"""What the domain objects need from the managers that made them, one protocol per manager.

The objects' behaviour methods are one-line delegations to these methods; the managers in
`nomadclient.resources` satisfy the protocols, and mypy checks both sides against them. Keyword
parameters are listed without defaults: the objects always pass them, the managers choose the
defaults.
"""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from .._types import NotGiven, ProgressCallback, StrPath

if TYPE_CHECKING:
    from .dataset import AsyncDataset, Dataset, DatasetFields
    from .entry import AsyncEntry, Entry
    from .upload import AsyncUpload, Upload
    from .user import User


class UploadManager(Protocol):
    """The uploads manager of a `NomadClient`, as `Upload` uses it."""

    def get(self, upload_id: str) -> Upload: ...

    def wait_until_processed(
        self, upload_id: str, *, timeout: float, poll_interval: float
    ) -> Upload: ...

    def edit(
        self,
        upload_id: str,
        *,
        upload_name: str | NotGiven | None,
        description: str | NotGiven | None,
        comment: str | NotGiven | None,
        references: Sequence[str] | NotGiven | None,
        datasets: Sequence[str | DatasetFields] | NotGiven,
        coauthors: Sequence[str | User] | NotGiven | None,
        reviewers: Sequence[str | User] | NotGiven | None,
        embargo_length: int | NotGiven | None,
        external_id: str | NotGiven | None,
        external_db: str | NotGiven | None,
    ) -> Upload: ...

    def publish(self, upload_id: str, *, embargo_length: int | None) -> Upload: ...

    def delete(self, upload_id: str) -> Upload: ...

    def process(self, upload_id: str) -> Upload: ...

    def entries(self, upload_id: str) -> Iterable[Entry]: ...

    def download_raw(
        self,
        upload_id: str,
        target: StrPath,
        *,
        path: str,
        overwrite: bool,
        on_progress: ProgressCallback | None,
    ) -> Path: ...

    def resolve_users(self, user_ids: Sequence[str]) -> list[User]: ...


class AsyncUploadManager(Protocol):
    """The uploads manager of an `AsyncNomadClient`, as `AsyncUpload` uses it."""

    async def get(self, upload_id: str) -> AsyncUpload: ...

    async def wait_until_processed(
        self, upload_id: str, *, timeout: float, poll_interval: float
    ) -> AsyncUpload: ...

    async def edit(
        self,
        upload_id: str,
        *,
        upload_name: str | NotGiven | None,
        description: str | NotGiven | None,
        comment: str | NotGiven | None,
        references: Sequence[str] | NotGiven | None,
        datasets: Sequence[str | DatasetFields] | NotGiven,
        coauthors: Sequence[str | User] | NotGiven | None,
        reviewers: Sequence[str | User] | NotGiven | None,
        embargo_length: int | NotGiven | None,
        external_id: str | NotGiven | None,
        external_db: str | NotGiven | None,
    ) -> AsyncUpload: ...

    async def publish(self, upload_id: str, *, embargo_length: int | None) -> AsyncUpload: ...

    async def delete(self, upload_id: str) -> AsyncUpload: ...

    async def process(self, upload_id: str) -> AsyncUpload: ...

    def entries(self, upload_id: str) -> AsyncIterable[AsyncEntry]: ...

    async def download_raw(
        self,
        upload_id: str,
        target: StrPath,
        *,
        path: str,
        overwrite: bool,
        on_progress: ProgressCallback | None,
    ) -> Path: ...

    async def resolve_users(self, user_ids: Sequence[str]) -> list[User]: ...


class EntryManager(Protocol):
    """The entries manager of a `NomadClient`, as `Entry` uses it."""

    def get(self, entry_id: str) -> Entry: ...

    def archive(
        self, entry_id: str, *, required: Mapping[str, Any] | str | None
    ) -> dict[str, Any]: ...

    def download_raw(
        self,
        entry_id: str,
        target: StrPath,
        *,
        overwrite: bool,
        on_progress: ProgressCallback | None,
    ) -> Path: ...

    def download_archive(
        self,
        entry_id: str,
        target: StrPath,
        *,
        overwrite: bool,
        on_progress: ProgressCallback | None,
    ) -> Path: ...

    def get_upload(self, upload_id: str) -> Upload: ...


class AsyncEntryManager(Protocol):
    """The entries manager of an `AsyncNomadClient`, as `AsyncEntry` uses it."""

    async def get(self, entry_id: str) -> AsyncEntry: ...

    async def archive(
        self, entry_id: str, *, required: Mapping[str, Any] | str | None
    ) -> dict[str, Any]: ...

    async def download_raw(
        self,
        entry_id: str,
        target: StrPath,
        *,
        overwrite: bool,
        on_progress: ProgressCallback | None,
    ) -> Path: ...

    async def download_archive(
        self,
        entry_id: str,
        target: StrPath,
        *,
        overwrite: bool,
        on_progress: ProgressCallback | None,
    ) -> Path: ...

    async def get_upload(self, upload_id: str) -> AsyncUpload: ...


class DatasetManager(Protocol):
    """The datasets manager of a `NomadClient`, as `Dataset` uses it."""

    def get(self, dataset_id: str) -> Dataset: ...

    def delete(self, dataset_id: str) -> Dataset: ...

    def assign_doi(self, dataset_id: str) -> Dataset: ...

    def entries(self, dataset_id: str) -> Iterable[Entry]: ...


class AsyncDatasetManager(Protocol):
    """The datasets manager of an `AsyncNomadClient`, as `AsyncDataset` uses it."""

    async def get(self, dataset_id: str) -> AsyncDataset: ...

    async def delete(self, dataset_id: str) -> AsyncDataset: ...

    async def assign_doi(self, dataset_id: str) -> AsyncDataset: ...

    def entries(self, dataset_id: str) -> AsyncIterable[AsyncEntry]: ...

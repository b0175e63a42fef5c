"""Datasets: NOMAD's `Dataset`, with sync (`Dataset`) and async (`AsyncDataset`) behaviour."""

from __future__ import annotations

from collections.abc import AsyncIterable, Iterable
from datetime import datetime
from typing import TYPE_CHECKING, Any, ClassVar

import attrs

from ._base import NOMAD_NAME, NomadModel, live
from ._protocols import AsyncDatasetManager, DatasetManager

if TYPE_CHECKING:
    from .entry import AsyncEntry, Entry


@attrs.frozen(kw_only=True)
class DatasetFields(NomadModel):
    """The fields of a dataset, shared by `Dataset` and `AsyncDataset`.

    `user_id` is the creator; `dataset_type` is `"owned"` (entries chosen by their authors) or
    `"foreign"` (a stored `query`); `doi` is set once a DOI was assigned, and then the dataset
    can no longer be deleted or shrunk. `entry_ids` is NOMAD's `entries` (the name of the
    `entries()` method on the leaves).
    """

    _ID_FIELD: ClassVar[str] = "dataset_id"
    _COLLECTION: ClassVar[str] = "datasets"

    dataset_id: str
    dataset_name: str | None = None
    user_id: str | None = None
    doi: str | None = None
    pid: str | None = None
    dataset_create_time: datetime | None = None
    dataset_modified_time: datetime | None = None
    dataset_type: str | None = None
    query: dict[str, Any] | None = None
    entry_ids: list[str] = attrs.field(factory=list, metadata={NOMAD_NAME: "entries"})


@attrs.frozen(kw_only=True)
class Dataset(DatasetFields):
    """A dataset from a `NomadClient`: its fields, and methods that act on it in NOMAD."""

    _manager: DatasetManager | None = attrs.field(
        default=None, init=False, eq=False, repr=False, hash=False
    )

    def refresh(self) -> Dataset:
        """The dataset as NOMAD has it now."""
        return live(self, self._manager).get(self.dataset_id)

    def delete(self) -> Dataset:
        """Delete the dataset (its entries stay, without it); the deleted dataset."""
        return live(self, self._manager).delete(self.dataset_id)

    def assign_doi(self) -> Dataset:
        """Have NOMAD register a DOI for the dataset; the dataset with its `doi`."""
        return live(self, self._manager).assign_doi(self.dataset_id)

    def entries(self) -> Iterable[Entry]:
        """The dataset's entries, fetched page by page as the iteration goes."""
        return live(self, self._manager).entries(self.dataset_id)


@attrs.frozen(kw_only=True)
class AsyncDataset(DatasetFields):
    """A dataset from an `AsyncNomadClient`: `Dataset`'s methods, to be awaited."""

    _manager: AsyncDatasetManager | None = attrs.field(
        default=None, init=False, eq=False, repr=False, hash=False
    )

    async def refresh(self) -> AsyncDataset:
        """The dataset as NOMAD has it now."""
        return await live(self, self._manager).get(self.dataset_id)

    async def delete(self) -> AsyncDataset:
        """Delete the dataset (its entries stay, without it); the deleted dataset."""
        return await live(self, self._manager).delete(self.dataset_id)

    async def assign_doi(self) -> AsyncDataset:
        """Have NOMAD register a DOI for the dataset; the dataset with its `doi`."""
        return await live(self, self._manager).assign_doi(self.dataset_id)

    def entries(self) -> AsyncIterable[AsyncEntry]:
        """The dataset's entries, fetched page by page as the `async for` goes."""
        return live(self, self._manager).entries(self.dataset_id)


@attrs.frozen(kw_only=True)
class DatasetRef(NomadModel):
    """A dataset as entry metadata lists it; the rest of NOMAD's dataset document is in `extra`."""

    _ID_FIELD: ClassVar[str] = "dataset_id"

    dataset_id: str
    dataset_name: str | None = None
    doi: str | None = None

"""Datasets: named, citable collections of entries, with DOIs."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from .._http import RequestPipeline
from .._ops import Op
from .._pagination import AsyncPageIterator, Page, PageIterator
from ..models import AsyncDataset, AsyncEntry, Dataset, Entry
from ._common import factory, page_of, segment

if TYPE_CHECKING:
    from ..client import AsyncNomadClient, NomadClient

D = TypeVar("D")


class DatasetOps(Generic[D]):
    """The datasets operations, as sans-IO generators producing `D` datasets."""

    def __init__(self, pipeline: RequestPipeline, make_dataset: Callable[[dict[str, Any]], D]):
        self._pipeline = pipeline
        self._make_dataset = make_dataset

    def _dataset_answer(self, method: str, path: str, **kwargs: Any) -> Op[D]:
        answer = yield from self._pipeline.json(method, path, **kwargs)
        return self._make_dataset(answer["data"])

    def create(
        self,
        dataset_name: str,
        *,
        dataset_type: str,
        entries: Iterable[str] | None,
        query: Mapping[str, Any] | None,
    ) -> Op[D]:
        """`POST /datasets` (never retried once sent)."""
        body: dict[str, Any] = {"dataset_name": dataset_name, "dataset_type": dataset_type}
        if entries is not None:
            body["entries"] = list(entries)
        if query is not None:
            body["query"] = dict(query)
        return self._dataset_answer(
            "POST",
            "datasets",
            json=body,
            auth="required",
            how_to_check=f"look for it with client.datasets.list(dataset_name={dataset_name!r})",
        )

    def get(self, dataset_id: str) -> Op[D]:
        """`GET /datasets/{dataset_id}`."""
        return self._dataset_answer("GET", f"datasets/{segment(dataset_id)}")

    def delete(self, dataset_id: str) -> Op[D]:
        """`DELETE /datasets/{dataset_id}`."""
        return self._dataset_answer("DELETE", f"datasets/{segment(dataset_id)}", auth="required")

    def assign_doi(self, dataset_id: str) -> Op[D]:
        """`POST /datasets/{dataset_id}/action/doi`."""
        return self._dataset_answer(
            "POST",
            f"datasets/{segment(dataset_id)}/action/doi",
            auth="required",
            how_to_check="get the dataset (client.datasets.get) and look at `doi`",
        )

    def page(self, params: dict[str, Any], cursor: str | None) -> Op[Page[D]]:
        """One page of `GET /datasets`."""
        answer = yield from self._pipeline.json(
            "GET", "datasets", params={**params, "page_after_value": cursor}
        )
        return page_of(answer, self._make_dataset)


def _list_params(
    user_id: str | Iterable[str] | None,
    dataset_name: str | None,
    prefix: str | None,
    dataset_type: str | None,
    doi: str | None,
    order_by: str | None,
    order: str | None,
    page_size: int,
) -> dict[str, Any]:
    return {
        "user_id": [user_id] if isinstance(user_id, str) else user_id,
        "dataset_name": dataset_name,
        "prefix": prefix,
        "dataset_type": dataset_type,
        "doi": doi,
        "order_by": order_by,
        "order": order,
        "page_size": page_size,
    }


class Datasets:
    """`client.datasets`: create, find, delete datasets and get DOIs for them."""

    def __init__(self, client: NomadClient) -> None:
        self._client = client
        self._ops: DatasetOps[Dataset] = DatasetOps(client._pipeline, factory(Dataset, self))

    def create(
        self,
        dataset_name: str,
        *,
        dataset_type: str = "owned",
        entries: Iterable[str] | None = None,
        query: Mapping[str, Any] | None = None,
    ) -> Dataset:
        """A new dataset; `entries` or `query` select your own entries to put in it."""
        return self._client._run(
            self._ops.create(dataset_name, dataset_type=dataset_type, entries=entries, query=query)
        )

    def get(self, dataset_id: str) -> Dataset:
        """A dataset by id."""
        return self._client._run(self._ops.get(dataset_id))

    def list(
        self,
        *,
        user_id: str | Iterable[str] | None = None,
        dataset_name: str | None = None,
        prefix: str | None = None,
        dataset_type: str | None = None,
        doi: str | None = None,
        order_by: str | None = None,
        order: str | None = None,
        page_size: int = 50,
        limit: int | None = None,
    ) -> PageIterator[Dataset]:
        """Datasets matching the filters, lazily over all pages (all users' unless `user_id`)."""
        params = _list_params(
            user_id, dataset_name, prefix, dataset_type, doi, order_by, order, page_size
        )
        return PageIterator(lambda cursor: self._ops.page(params, cursor), self._client._run, limit)

    def delete(self, dataset_id: str) -> Dataset:
        """Delete a dataset you created (not possible once it has a DOI)."""
        return self._client._run(self._ops.delete(dataset_id))

    def assign_doi(self, dataset_id: str) -> Dataset:
        """Ask NOMAD to register a DOI for the dataset (its entries must be published)."""
        return self._client._run(self._ops.assign_doi(dataset_id))

    def entries(self, dataset_id: str, **options: Any) -> PageIterator[Entry]:
        """The dataset's entries (`client.entries.query` options apply)."""
        return self._client.entries.query({"datasets.dataset_id": dataset_id}, **options)


class AsyncDatasets:
    """`client.datasets` of `AsyncNomadClient`; see `Datasets` for the behaviour."""

    def __init__(self, client: AsyncNomadClient) -> None:
        self._client = client
        self._ops: DatasetOps[AsyncDataset] = DatasetOps(
            client._pipeline, factory(AsyncDataset, self)
        )

    async def create(
        self,
        dataset_name: str,
        *,
        dataset_type: str = "owned",
        entries: Iterable[str] | None = None,
        query: Mapping[str, Any] | None = None,
    ) -> AsyncDataset:
        """A new dataset; `entries` or `query` select your own entries to put in it."""
        return await self._client._run(
            self._ops.create(dataset_name, dataset_type=dataset_type, entries=entries, query=query)
        )

    async def get(self, dataset_id: str) -> AsyncDataset:
        """A dataset by id."""
        return await self._client._run(self._ops.get(dataset_id))

    def list(
        self,
        *,
        user_id: str | Iterable[str] | None = None,
        dataset_name: str | None = None,
        prefix: str | None = None,
        dataset_type: str | None = None,
        doi: str | None = None,
        order_by: str | None = None,
        order: str | None = None,
        page_size: int = 50,
        limit: int | None = None,
    ) -> AsyncPageIterator[AsyncDataset]:
        """Datasets matching the filters, lazily over all pages (`async for`)."""
        params = _list_params(
            user_id, dataset_name, prefix, dataset_type, doi, order_by, order, page_size
        )
        return AsyncPageIterator(
            lambda cursor: self._ops.page(params, cursor), self._client._run, limit
        )

    async def delete(self, dataset_id: str) -> AsyncDataset:
        """Delete a dataset you created (not possible once it has a DOI)."""
        return await self._client._run(self._ops.delete(dataset_id))

    async def assign_doi(self, dataset_id: str) -> AsyncDataset:
        """Ask NOMAD to register a DOI for the dataset (its entries must be published)."""
        return await self._client._run(self._ops.assign_doi(dataset_id))

    def entries(self, dataset_id: str, **options: Any) -> AsyncPageIterator[AsyncEntry]:
        """The dataset's entries (`client.entries.query` options apply)."""
        return self._client.entries.query({"datasets.dataset_id": dataset_id}, **options)


if TYPE_CHECKING:
    from ..models._protocols import AsyncDatasetManager, DatasetManager

    def _conforms(
        manager: Datasets, async_manager: AsyncDatasets
    ) -> tuple[DatasetManager, AsyncDatasetManager]:
        """Lets mypy check that the managers give the domain objects what they call."""
        return manager, async_manager

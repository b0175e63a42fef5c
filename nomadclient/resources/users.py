"""Users: who am I, look-ups by id and by name, and a per-client cache for batched resolution."""

from __future__ import annotations

import threading
from collections.abc import Iterable
from typing import TYPE_CHECKING

from .._http import RequestPipeline
from .._ops import Op
from ..errors import NotFound
from ..models import User, structure

if TYPE_CHECKING:
    from ..client import AsyncNomadClient, NomadClient

# user ids per `GET /users` request: keeps URLs far below proxies' length limits
BATCH_SIZE = 50


class UserCache:
    """Users already fetched by id, shared by a client and its siblings."""

    def __init__(self) -> None:
        self._users: dict[str, User] = {}
        self._lock = threading.Lock()

    def get(self, user_id: str) -> User | None:
        """The cached user, or None."""
        with self._lock:
            return self._users.get(user_id)

    def add(self, users: Iterable[User]) -> None:
        """Remember users that have an id."""
        with self._lock:
            for user in users:
                if user.user_id:
                    self._users[user.user_id] = user


class UserOps:
    """The users operations, as sans-IO generators."""

    def __init__(self, pipeline: RequestPipeline, cache: UserCache) -> None:
        self._pipeline = pipeline
        self._cache = cache

    def me(self) -> Op[User]:
        """`GET /users/me`."""
        data = yield from self._pipeline.json("GET", "users/me", auth="required")
        return structure(data, User)

    def get(self, user_id: str) -> Op[User]:
        """A user by id, answered from the cache when possible.

        Asks `GET /users?user_id=`: NOMAD's `GET /users/{user_id}` answers an unknown id with a
        500, which would look like a server failure and be retried.
        """
        found = yield from self.get_many([user_id])
        if not found:
            raise NotFound(
                f"NOMAD knows no user with id {user_id!r}. Check the id; "
                "client.users.search(name) finds users by name.",
                status_code=404,
                detail="User does not exist",
                method="GET",
                url=self._pipeline.url("users"),
            )
        return found[0]

    def search(self, prefix: str) -> Op[list[User]]:
        """`GET /users?prefix=`: users whose name, username or e-mail starts with `prefix`."""
        data = yield from self._pipeline.json("GET", "users", params={"prefix": prefix})
        users = [structure(item, User) for item in data.get("data", [])]
        self._cache.add(users)
        return users

    def get_many(self, user_ids: Iterable[str]) -> Op[list[User]]:
        """Users by id in the given order, fetching the uncached ones in batched requests.

        Ids NOMAD does not know are left out, as NOMAD does.
        """
        wanted = list(dict.fromkeys(user_ids))
        missing = [user_id for user_id in wanted if self._cache.get(user_id) is None]
        for start in range(0, len(missing), BATCH_SIZE):
            batch = missing[start : start + BATCH_SIZE]
            data = yield from self._pipeline.json("GET", "users", params={"user_id": batch})
            self._cache.add(structure(item, User) for item in data.get("data", []))
        found = (self._cache.get(user_id) for user_id in wanted)
        return [user for user in found if user is not None]


class Users:
    """`client.users`: the people behind uploads and entries."""

    def __init__(self, client: NomadClient, cache: UserCache) -> None:
        self._client = client
        self._ops = UserOps(client._pipeline, cache)

    def me(self) -> User:
        """The logged-in user (needs credentials)."""
        return self._client._run(self._ops.me())

    def get(self, user_id: str) -> User:
        """A user by id (public fields only; cached per client)."""
        return self._client._run(self._ops.get(user_id))

    def search(self, prefix: str) -> list[User]:
        """Users whose name, username or e-mail starts with `prefix`."""
        return self._client._run(self._ops.search(prefix))

    def get_many(self, user_ids: Iterable[str]) -> list[User]:
        """Several users by id, in batched requests; unknown ids are left out."""
        return self._client._run(self._ops.get_many(user_ids))


class AsyncUsers:
    """`client.users` of `AsyncNomadClient`."""

    def __init__(self, client: AsyncNomadClient, cache: UserCache) -> None:
        self._client = client
        self._ops = UserOps(client._pipeline, cache)

    async def me(self) -> User:
        """The logged-in user (needs credentials)."""
        return await self._client._run(self._ops.me())

    async def get(self, user_id: str) -> User:
        """A user by id (public fields only; cached per client)."""
        return await self._client._run(self._ops.get(user_id))

    async def search(self, prefix: str) -> list[User]:
        """Users whose name, username or e-mail starts with `prefix`."""
        return await self._client._run(self._ops.search(prefix))

    async def get_many(self, user_ids: Iterable[str]) -> list[User]:
        """Several users by id, in batched requests; unknown ids are left out."""
        return await self._client._run(self._ops.get_many(user_ids))

"""The stand-in's in-memory state: users, uploads, entries and datasets, behind one lock.

Every route reads and writes through a `Store`. Records are plain dataclasses; what NOMAD serves
(JSON shapes, null omission, datetime formats) is built from them by the `*_json` helpers here so
that every route renders an object the same way.
"""

from __future__ import annotations

import base64
import hashlib
import shutil
import tempfile
import threading
import uuid
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Literal

ApiVersion = Literal["2.0", "1.3"]

# the NOMAD release each API version stands for (`/info` and entries' `nomad_version`)
NOMAD_VERSIONS: dict[ApiVersion, str] = {"2.0": "2.0.0", "1.3": "1.3.10"}

PROCESS_RUNNING_STATES = frozenset({"PENDING", "RUNNING", "WAITING_FOR_RESULT"})


# --------------------------------------------------------------------------------------------
# ids and times, by NOMAD's rules


def create_uuid() -> str:
    """A 22-character URL-safe id, NOMAD's rule for upload and dataset ids."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes).decode("ascii")[:22]


def entry_id_for(upload_id: str, mainfile: str, mainfile_key: str | None = None) -> str:
    """NOMAD's deterministic entry id: 28 chars of url-safe base64(sha512(upload_id+mainfile))."""
    digest = hashlib.sha512()
    digest.update(upload_id.encode("utf-8"))
    digest.update(mainfile.encode("utf-8"))
    if mainfile_key:
        digest.update(mainfile_key.encode("utf-8"))
    return base64.urlsafe_b64encode(digest.digest()).decode("ascii")[:28]


def utcnow() -> datetime:
    """The current time, tz-aware UTC."""
    return datetime.now(timezone.utc)


def format_mongo_time(value: datetime | None, api_version: ApiVersion) -> str | None:
    """Upload/processing datetimes: 2.0 writes ISO with `Z`, 1.3 a naive ISO string."""
    if value is None:
        return None
    naive = value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="microseconds")
    return naive if api_version == "1.3" else naive + "Z"


def format_index_time(value: datetime | None) -> str | None:
    """Search-index datetimes keep an explicit offset: `2023-04-11T15:35:34.340124+00:00`."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).isoformat(timespec="microseconds")


def format_naive_time(value: datetime | None) -> str | None:
    """Dataset datetimes are read from Mongo without an offset in both versions."""
    if value is None:
        return None
    return value.astimezone(timezone.utc).replace(tzinfo=None).isoformat(timespec="microseconds")


def omit_none(data: dict[str, Any]) -> dict[str, Any]:
    """Drop top-level null fields, as NOMAD's `exclude_none` serialization does."""
    return {key: value for key, value in data.items() if value is not None}


# --------------------------------------------------------------------------------------------
# records


@dataclass
class UserRecord:
    """A user account known to the stand-in (NOMAD keeps these in Keycloak)."""

    user_id: str
    username: str
    password: str = field(repr=False)
    first_name: str
    last_name: str
    email: str
    affiliation: str | None = None
    affiliation_address: str | None = None
    created: datetime = field(default_factory=utcnow)
    is_admin: bool = False

    @property
    def name(self) -> str:
        """NOMAD derives `name` as "first last"."""
        return f"{self.first_name} {self.last_name}".strip()

    def _profile(self, *, email: bool) -> dict[str, Any]:
        """The identity fields every rendering of a user has, in NOMAD's order."""
        data: dict[str, Any] = {
            "name": self.name,
            "first_name": self.first_name,
            "last_name": self.last_name,
        }
        if email:
            data["email"] = self.email
        data.update(
            affiliation=self.affiliation,
            affiliation_address=self.affiliation_address,
            user_id=self.user_id,
            username=self.username,
        )
        return data

    def public_json(self) -> dict[str, Any]:
        """`PublicUserInfo`, as `GET /users/{user_id}` serves it (nulls omitted)."""
        return omit_none(self._profile(email=False))

    def full_json(self, api_version: ApiVersion) -> dict[str, Any]:
        """The full `User`, as `GET /users/me` serves it: nulls kept, e-mail included."""
        return {
            **self._profile(email=True),
            # Keycloak times: 2.0 renders them with `Z`, 1.3 kept the `+00:00` offset
            "created": (
                format_mongo_time(self.created, api_version)
                if api_version == "2.0"
                else format_index_time(self.created)
            ),
            "repo_user_id": None,
            "is_admin": self.is_admin,
            "is_oasis_admin": False,
        }

    def listed_json(self, api_version: ApiVersion) -> dict[str, Any]:
        """A `User` in `GET /users` results: e-mail stripped, nulls omitted."""
        data = self.full_json(api_version)
        del data["email"]
        return omit_none(data)

    def ref_json(self) -> dict[str, str]:
        """`{user_id, name}`, how entry metadata names authors, writers and viewers."""
        return {"user_id": self.user_id, "name": self.name}


@dataclass
class UploadRecord:
    """One upload: its metadata, its processing state and the directory of its raw files."""

    upload_id: str
    main_author: str
    files_dir: Path
    upload_name: str | None = None
    description: str | None = None
    upload_create_time: datetime = field(default_factory=utcnow)
    coauthors: list[str] = field(default_factory=list)
    reviewers: list[str] = field(default_factory=list)
    published: bool = False
    publish_time: datetime | None = None
    embargo_length: int = 0
    license: str = "CC BY 4.0"
    external_db: str | None = None
    # processing, as NOMAD's `ProcessStatus` fields
    process_status: str = "READY"
    current_process: str | None = None
    last_status_message: str | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    complete_time: datetime | None = None
    # entry ids in mainfile order
    entry_ids: list[str] = field(default_factory=list)
    # bumped whenever anything above changes, so derived caches (entry metadata) can expire
    version: int = 0

    @property
    def process_running(self) -> bool:
        """True exactly while `process_status` is PENDING, RUNNING or WAITING_FOR_RESULT."""
        return self.process_status in PROCESS_RUNNING_STATES

    @property
    def with_embargo(self) -> bool:
        """NOMAD's `with_embargo`: an embargo length above zero."""
        return self.embargo_length > 0

    @property
    def writers(self) -> list[str]:
        """Main author and coauthors."""
        return _unique([self.main_author, *self.coauthors])

    @property
    def viewers(self) -> list[str]:
        """Writers and reviewers."""
        return _unique([*self.writers, *self.reviewers])

    def to_json(self, api_version: ApiVersion, *, keep_nulls: bool = False) -> dict[str, Any]:
        """`UploadProcData` in NOMAD's field order; nulls omitted unless `keep_nulls`."""
        data: dict[str, Any] = {
            **_process_json(self, api_version),
            "upload_id": self.upload_id,
            "upload_name": self.upload_name,
            "upload_create_time": format_mongo_time(self.upload_create_time, api_version),
        }
        if api_version == "2.0":
            data["description"] = self.description
        data.update(
            {
                "main_author": self.main_author,
                "coauthors": list(self.coauthors),
                "coauthor_groups": [],
                "reviewers": list(self.reviewers),
                "reviewer_groups": [],
                "writers": self.writers,
                "writer_groups": [],
                "viewers": self.viewers,
                "viewer_groups": [],
                "published": self.published,
                "published_to": [],
                "publish_time": format_mongo_time(self.publish_time, api_version),
                "with_embargo": self.with_embargo,
                "embargo_length": self.embargo_length,
                "license": self.license,
            }
        )
        if api_version == "2.0":
            data["doi"] = None
            data["included_entries"] = None
        data["entries"] = len(self.entry_ids)
        data["upload_files_server_path"] = str(self.files_dir)
        return data if keep_nulls else omit_none(data)


@dataclass
class EntryRecord:
    """One entry: a mainfile of an upload, its processing state, metadata and archive."""

    entry_id: str
    upload_id: str
    mainfile: str
    parser_name: str = "parsers/archive"
    entry_create_time: datetime = field(default_factory=utcnow)
    process_status: str = "PENDING"
    current_process: str | None = None
    last_status_message: str | None = None
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    complete_time: datetime | None = None
    # entry-level editable metadata
    comment: str | None = None
    references: list[str] = field(default_factory=list)
    external_id: str | None = None
    dataset_ids: list[str] = field(default_factory=list)
    # what processing read from the mainfile: the archive sections other than `metadata`,
    # and the `results` it derived (None when processing failed)
    archive: dict[str, Any] | None = None
    results: dict[str, Any] | None = None
    # synthetic entries made by `Store.populate` carry precomputed metadata
    static_metadata: dict[str, Any] | None = None

    @property
    def process_running(self) -> bool:
        """True exactly while `process_status` is PENDING, RUNNING or WAITING_FOR_RESULT."""
        return self.process_status in PROCESS_RUNNING_STATES

    def to_json(
        self, api_version: ApiVersion, entry_metadata: dict[str, Any] | None
    ) -> dict[str, Any]:
        """`EntryProcData` with the given search metadata, nulls omitted."""
        return omit_none(
            {
                **_process_json(self, api_version),
                "entry_id": self.entry_id,
                "entry_create_time": format_mongo_time(self.entry_create_time, api_version),
                "mainfile": self.mainfile,
                "mainfile_key": None,
                "upload_id": self.upload_id,
                "parser_name": self.parser_name,
                "entry_metadata": entry_metadata,
            }
        )


def _process_json(record: UploadRecord | EntryRecord, api_version: ApiVersion) -> dict[str, Any]:
    """NOMAD's `ProcessStatus` fields, which uploads and entries both start with."""
    return {
        "process_running": record.process_running,
        "current_process": record.current_process,
        "process_status": record.process_status,
        "last_status_message": record.last_status_message,
        "errors": list(record.errors),
        "warnings": list(record.warnings),
        "complete_time": format_mongo_time(record.complete_time, api_version),
    }


@dataclass
class DatasetRecord:
    """A dataset: a named, citable collection of entries."""

    dataset_id: str
    dataset_name: str
    user_id: str
    dataset_type: str = "owned"
    doi: str | None = None
    query: dict[str, Any] | None = None
    entries: list[str] | None = None
    dataset_create_time: datetime = field(default_factory=utcnow)
    dataset_modified_time: datetime = field(default_factory=utcnow)

    def to_json(self) -> dict[str, Any]:
        """The `Dataset` model, nulls omitted."""
        return omit_none(
            {
                "dataset_id": self.dataset_id,
                "dataset_name": self.dataset_name,
                "user_id": self.user_id,
                "doi": self.doi,
                "dataset_create_time": format_naive_time(self.dataset_create_time),
                "dataset_modified_time": format_naive_time(self.dataset_modified_time),
                "dataset_type": self.dataset_type,
                "query": self.query,
                "entries": self.entries,
            }
        )

    def index_json(self) -> dict[str, Any]:
        """The dataset as entry metadata embeds it: no owner, query or entries; index times."""
        data = {
            key: value
            for key, value in self.to_json().items()
            if key not in ("user_id", "query", "entries")
        }
        data["dataset_create_time"] = format_index_time(self.dataset_create_time)
        data["dataset_modified_time"] = format_index_time(self.dataset_modified_time)
        return data


# --------------------------------------------------------------------------------------------
# configuration and the store


@dataclass(frozen=True)
class StandInConfig:
    """How the stand-in behaves. Defaults mirror NOMAD's default configuration."""

    api_version: ApiVersion = "2.0"
    # seconds each processing step takes; NOMAD takes seconds, tests want it short
    processing_delay: float = 0.05
    # lifetime of access tokens from POST /auth/token, like a Keycloak realm's
    token_lifetime: int = 300
    # `services.upload_limit`: unpublished uploads per non-admin user
    upload_limit: int = 10
    # NOMAD answers 403 on DOI requests when DataCite is not configured
    datacite_enabled: bool = False
    # `services.max_entry_download`
    max_entry_download: int = 50_000
    # Elasticsearch's result window: page_size and page windows beyond it are rejected
    max_result_window: int = 10_000


class Store:
    """All state of one stand-in server. Hold `store.lock` while reading or writing records."""

    def __init__(self, config: StandInConfig, root: Path | None = None) -> None:
        self.config = config
        self.lock = threading.RLock()
        self._owns_root = root is None
        self.root = Path(tempfile.mkdtemp(prefix="nomad-standin-")) if root is None else root
        self.users: dict[str, UserRecord] = {}
        self.uploads: dict[str, UploadRecord] = {}
        self.entries: dict[str, EntryRecord] = {}
        self.datasets: dict[str, DatasetRecord] = {}
        # bumped on every change to uploads, entries or datasets; search caches key on it
        self.generation = 0
        # HMAC key for the tokens this server signs; new per server, like a new Keycloak realm
        self.secret = uuid.uuid4().bytes + uuid.uuid4().bytes
        # run by `close()` before files are removed, e.g. to stop background workers
        self._close_hooks: list[Callable[[], None]] = []

    @property
    def api_version(self) -> ApiVersion:
        """The NOMAD version this store emulates."""
        return self.config.api_version

    def touch(self, upload: UploadRecord | None = None) -> None:
        """Record that state changed (call with the lock held)."""
        self.generation += 1
        if upload is not None:
            upload.version += 1

    # users ------------------------------------------------------------------------------

    def add_user(
        self,
        username: str,
        password: str,
        *,
        first_name: str | None = None,
        last_name: str | None = None,
        email: str | None = None,
        affiliation: str | None = None,
        is_admin: bool = False,
        user_id: str | None = None,
    ) -> UserRecord:
        """Create a user account; the id is a Keycloak-style UUID unless given."""
        with self.lock:
            if any(user.username == username for user in self.users.values()):
                raise ValueError(f"a user named {username!r} exists already")
            user = UserRecord(
                user_id=user_id or str(uuid.uuid4()),
                username=username,
                password=password,
                first_name=first_name if first_name is not None else username.capitalize(),
                last_name=last_name if last_name is not None else "Tester",
                email=email or f"{username}@example.org",
                affiliation=affiliation,
                is_admin=is_admin,
            )
            self.users[user.user_id] = user
            return user

    def find_user(self, reference: str) -> UserRecord | None:
        """A user by id, username or e-mail: how NOMAD resolves user references in edits."""
        with self.lock:
            user = self.users.get(reference)
            if user is not None:
                return user
            for candidate in self.users.values():
                if reference in (candidate.username, candidate.email):
                    return candidate
            return None

    # uploads and visibility ----------------------------------------------------------------

    def upload_dir(self, upload_id: str) -> Path:
        """Where an upload's raw files are kept (`raw/` of the upload's own directory)."""
        return self.root / "uploads" / upload_id / "raw"

    def new_upload_dir(self, upload_id: str) -> Path:
        """The directory that holds an upload's raw files, created."""
        path = self.upload_dir(upload_id)
        path.mkdir(parents=True, exist_ok=True)
        return path

    def entries_of(self, upload: UploadRecord) -> list[EntryRecord]:
        """An upload's entries, in mainfile order."""
        return [self.entries[entry_id] for entry_id in upload.entry_ids if entry_id in self.entries]

    def entry_by_mainfile(self, upload: UploadRecord, mainfile: str) -> EntryRecord | None:
        """The upload's entry for a mainfile, if processing made one."""
        matches = (entry for entry in self.entries_of(upload) if entry.mainfile == mainfile)
        return next(matches, None)

    def unpublished_upload_count(self, user_id: str) -> int:
        """How many unpublished uploads the user is main author of (NOMAD's upload limit)."""
        return sum(
            1
            for upload in self.uploads.values()
            if upload.main_author == user_id and not upload.published
        )

    def on_close(self, hook: Callable[[], None]) -> None:
        """Run `hook` when the store closes (background workers stop there)."""
        self._close_hooks.append(hook)

    def close(self) -> None:
        """Stop what runs on the store's behalf, then remove every file this store wrote."""
        for hook in self._close_hooks:
            hook()
        self._close_hooks.clear()
        if self._owns_root:
            shutil.rmtree(self.root, ignore_errors=True)


def is_public(upload: UploadRecord) -> bool:
    """Published without embargo: visible to everyone, anonymous callers included."""
    return upload.published and not upload.with_embargo


def can_read(upload: UploadRecord, user: UserRecord | None) -> bool:
    """NOMAD's read rule: viewers, admins, and everyone for public uploads."""
    if is_public(upload):
        return True
    if user is None:
        return False
    return user.is_admin or user.user_id in upload.viewers


def can_write(upload: UploadRecord, user: UserRecord | None) -> bool:
    """NOMAD's write rule: writers (main author and coauthors) and admins."""
    if user is None:
        return False
    return user.is_admin or user.user_id in upload.writers


def _unique(values: Iterable[str]) -> list[str]:
    return list(dict.fromkeys(values))

"""Background processing of stand-in uploads, in the way NOMAD's workers do it.

Each upload has a *lane*: a queue of jobs (process, publish, edit, delete) that one thread
works through in order, so that jobs of one upload never overlap while many uploads progress at
once. A job walks the upload through PENDING → RUNNING → (WAITING_FOR_RESULT →) SUCCESS or
FAILURE, taking `config.processing_delay` seconds per step. The store lock is only held to
change records, never while waiting. `Processor.close` (hooked to `Store.close`) interrupts
every job and joins every thread.

Processing itself: every `*.archive.json` file becomes an entry (parser `parsers/archive`),
its sections other than `metadata` are the entry's archive; an unreadable file fails that entry
but not the upload, as a parser error does in NOMAD.
"""

from __future__ import annotations

import json
import shutil
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from ._files import walk_files
from ._per_store import PerStore
from ._state import ApiVersion, EntryRecord, Store, UploadRecord, entry_id_for, utcnow

JobKind = Literal["process", "publish", "edit", "delete"]

ARCHIVE_SUFFIX = ".archive.json"
ARCHIVE_PARSER = "parsers/archive"

# NOMAD's process names: 2.0 runs Temporal workflows, 1.3 ran Celery tasks
_PROCESS_NAMES: dict[ApiVersion, dict[JobKind, str]] = {
    "2.0": {
        "process": "_process_upload",
        "publish": "_publish_upload",
        "edit": "_edit_metadata",
        "delete": "delete_upload",
    },
    "1.3": {
        "process": "process_upload",
        "publish": "publish_upload",
        "edit": "edit_upload_metadata",
        "delete": "delete_upload",
    },
}

# processes that NOMAD 1.3 queues behind a running one instead of refusing
QUEUEABLE_KINDS: frozenset[JobKind] = frozenset({"process", "edit"})


def process_name(store: Store, kind: JobKind) -> str:
    """The `current_process` name NOMAD uses for a kind of job in the emulated version."""
    return _PROCESS_NAMES[store.api_version][kind]


def running_kind(store: Store, upload: UploadRecord) -> JobKind | None:
    """The kind of job an upload is busy with, None when it is idle (call with the lock held)."""
    if not upload.process_running:
        return None
    for kind, name in _PROCESS_NAMES[store.api_version].items():
        if name == upload.current_process:
            return kind
    return "process"


class _Interrupted(Exception):
    """The job was cancelled (a delete pre-empts it) or the server is stopping."""


@dataclass
class Job:
    """One unit of work on one upload; `wait()` blocks until it has finished."""

    upload_id: str
    kind: JobKind
    # publish: the embargo to set; process: publish afterwards (publish_directly)
    embargo_length: int | None = None
    publish_after: bool = False
    # edit: applies the verified edit to the records (called with the lock held)
    apply: Callable[[], None] | None = None
    done: threading.Event = field(default_factory=threading.Event)
    cancelled: threading.Event = field(default_factory=threading.Event)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the job has finished (or was cancelled); False on timeout."""
        return self.done.wait(timeout)


@dataclass
class _ParsedMainfile:
    mainfile: str
    archive: dict[str, Any] | None = None
    error: str | None = None


class Processor:
    """The worker lanes of one store."""

    def __init__(self, store: Store) -> None:
        self._store = store
        self._condition = threading.Condition()
        self._queues: dict[str, deque[Job]] = {}
        self._running: dict[str, Job] = {}
        self._threads: dict[str, threading.Thread] = {}
        self._stopping = threading.Event()

    # submitting ---------------------------------------------------------------------------

    def submit(self, upload: UploadRecord, job: Job) -> Job:
        """Queue a job for an upload (call with the store lock held).

        If the upload's lane is idle the upload is marked PENDING right away, as NOMAD does
        when it schedules a process; a queued job marks it when it starts.
        """
        with self._condition:
            if self._stopping.is_set():
                job.cancelled.set()
                job.done.set()
                return job
            if job.kind == "delete":
                self._cancel_all(upload.upload_id)
            queue = self._queues.setdefault(upload.upload_id, deque())
            idle = not queue and upload.upload_id not in self._running
            queue.append(job)
            if idle:
                self._mark_pending(upload, job.kind)
            if upload.upload_id not in self._threads:
                thread = threading.Thread(
                    target=self._run_lane,
                    args=(upload.upload_id,),
                    name=f"nomad-standin-upload-{upload.upload_id}",
                    daemon=True,
                )
                self._threads[upload.upload_id] = thread
                thread.start()
        return job

    def is_busy(self, upload_id: str) -> bool:
        """Whether a job of the upload runs or waits."""
        with self._condition:
            return upload_id in self._running or bool(self._queues.get(upload_id))

    def close(self) -> None:
        """Interrupt every job and wait for every lane thread to end."""
        with self._condition:
            self._stopping.set()
            for upload_id in list(self._queues):
                self._cancel_all(upload_id)
            threads = list(self._threads.values())
            self._condition.notify_all()
        for thread in threads:
            thread.join(timeout=10)

    def _cancel_all(self, upload_id: str) -> None:
        for job in self._queues.pop(upload_id, deque()):
            job.cancelled.set()
            job.done.set()
        running = self._running.get(upload_id)
        if running is not None:
            running.cancelled.set()

    def _mark_pending(self, upload: UploadRecord, kind: JobKind) -> None:
        name = process_name(self._store, kind)
        upload.process_status = "PENDING"
        upload.current_process = name
        in_13 = self._store.api_version == "1.3"
        upload.last_status_message = f"Pending: {name}" if in_13 else None
        self._store.touch(upload)

    # the lane -----------------------------------------------------------------------------

    def _run_lane(self, upload_id: str) -> None:
        while True:
            with self._condition:
                queue = self._queues.get(upload_id)
                if not queue or self._stopping.is_set():
                    self._queues.pop(upload_id, None)
                    self._threads.pop(upload_id, None)
                    return
                job = queue.popleft()
                self._running[upload_id] = job
            try:
                self._execute(job)
            except _Interrupted:
                pass
            finally:
                with self._condition:
                    self._running.pop(upload_id, None)
                job.done.set()

    def _execute(self, job: Job) -> None:
        store = self._store
        with store.lock:
            upload = store.uploads.get(job.upload_id)
            if upload is None:
                return
            self._set_state(upload, job.kind, "RUNNING", _PROGRESS_MESSAGES[job.kind])
            upload.errors = []
            upload.warnings = []
        try:
            if job.kind == "process":
                self._process(job, upload)
            elif job.kind == "publish":
                self._publish(job, upload, job.embargo_length)
            elif job.kind == "edit":
                self._edit(job, upload)
            else:
                self._delete(job, upload)
        except _Interrupted:
            raise
        except Exception as error:  # a bug in a job must fail the upload, not the worker
            with store.lock:
                self._finish(upload, job.kind, failure=str(error) or type(error).__name__)

    def _pause(self, job: Job) -> None:
        if self._stopping.wait(self._store.config.processing_delay) or job.cancelled.is_set():
            raise _Interrupted

    # jobs ---------------------------------------------------------------------------------

    def _process(self, job: Job, upload: UploadRecord) -> None:
        store = self._store
        self._pause(job)
        parsed = _parse_mainfiles(upload.files_dir)
        with store.lock:
            self._check_alive(job)
            entries = self._reconcile_entries(upload, parsed)
            for entry in entries:
                entry.process_status = "RUNNING"
                entry.current_process = "process_entry"
                entry.last_status_message = None
            message = "Parsing level 0" if store.api_version == "2.0" else "Waiting for results"
            self._set_state(upload, "process", "WAITING_FOR_RESULT", message)
        self._pause(job)
        with store.lock:
            self._check_alive(job)
            by_mainfile = {item.mainfile: item for item in parsed}
            for entry in entries:
                _apply_parse_result(entry, by_mainfile[entry.mainfile], store.api_version)
            self._finish(upload, "process")
            publish = job.publish_after and bool(upload.entry_ids) and not upload.published
            if publish:
                self._set_state(upload, "publish", "RUNNING", _PROGRESS_MESSAGES["publish"])
        if publish:
            self._publish(job, upload, None)

    def _publish(self, job: Job, upload: UploadRecord, embargo_length: int | None) -> None:
        self._pause(job)
        with self._store.lock:
            self._check_alive(job)
            if embargo_length is not None:
                upload.embargo_length = embargo_length
            upload.published = True
            # NOMAD stamps the publish time at the end of the publish process
            upload.publish_time = utcnow()
            self._finish(upload, "publish")

    def _edit(self, job: Job, upload: UploadRecord) -> None:
        self._pause(job)
        with self._store.lock:
            self._check_alive(job)
            if job.apply is not None:
                job.apply()
            self._finish(upload, "edit")

    def _delete(self, job: Job, upload: UploadRecord) -> None:
        self._pause(job)
        with self._store.lock:
            for entry_id in upload.entry_ids:
                self._store.entries.pop(entry_id, None)
            self._store.uploads.pop(upload.upload_id, None)
            self._store.touch(upload)
        # the upload directory holds `raw/` and nothing outside the store root
        shutil.rmtree(upload.files_dir.parent, ignore_errors=True)

    # record updates (store lock held) ----------------------------------------------------------

    def _check_alive(self, job: Job) -> None:
        if job.cancelled.is_set() or self._stopping.is_set():
            raise _Interrupted

    def _set_state(self, upload: UploadRecord, kind: JobKind, status: str, message: str) -> None:
        upload.process_status = status
        upload.current_process = process_name(self._store, kind)
        upload.last_status_message = message
        self._store.touch(upload)

    def _finish(self, upload: UploadRecord, kind: JobKind, failure: str | None = None) -> None:
        name = process_name(self._store, kind)
        plain = self._store.api_version == "2.0"  # 2.0 messages do not name the process
        upload.current_process = name
        upload.complete_time = utcnow()
        if failure is None:
            upload.process_status = "SUCCESS"
            upload.last_status_message = (
                "Process completed successfully"
                if plain
                else f"Process {name} completed successfully"
            )
        else:
            upload.process_status = "FAILURE"
            upload.errors = [failure]
            upload.last_status_message = (
                f"Process failed: {failure}" if plain else f"Process {name} failed: {failure}"
            )
        self._store.touch(upload)

    def _reconcile_entries(
        self, upload: UploadRecord, parsed: list[_ParsedMainfile]
    ) -> list[EntryRecord]:
        """Entries for the current mainfiles: ids kept stable, vanished mainfiles dropped."""
        store = self._store
        wanted = {entry_id_for(upload.upload_id, item.mainfile): item.mainfile for item in parsed}
        for entry_id in upload.entry_ids:
            if entry_id not in wanted:
                store.entries.pop(entry_id, None)
        entries = []
        for entry_id, mainfile in wanted.items():
            entry = store.entries.get(entry_id)
            if entry is None:
                entry = EntryRecord(
                    entry_id=entry_id,
                    upload_id=upload.upload_id,
                    mainfile=mainfile,
                    parser_name=ARCHIVE_PARSER,
                )
                store.entries[entry_id] = entry
            entries.append(entry)
        upload.entry_ids = [entry.entry_id for entry in entries]
        return entries


# --------------------------------------------------------------------------------------------
# parsing


def _parse_mainfiles(files_dir: Path) -> list[_ParsedMainfile]:
    """Every `*.archive.json` below the upload root, read, in mainfile order."""
    if not files_dir.is_dir():
        return []
    mainfiles = [path for path in walk_files(files_dir) if path.endswith(ARCHIVE_SUFFIX)]
    return [_parse_mainfile(files_dir, mainfile) for mainfile in mainfiles]


def _parse_mainfile(files_dir: Path, mainfile: str) -> _ParsedMainfile:
    try:
        with (files_dir / mainfile).open("rb") as source:
            data = json.load(source)
    except (OSError, UnicodeDecodeError, ValueError) as error:
        return _ParsedMainfile(mainfile, error=f"could not parse the archive file: {error}")
    if not isinstance(data, dict):
        return _ParsedMainfile(mainfile, error="could not parse the archive file: not an object")
    return _ParsedMainfile(mainfile, archive=data)


def _apply_parse_result(
    entry: EntryRecord, parsed: _ParsedMainfile, api_version: ApiVersion
) -> None:
    entry.complete_time = utcnow()
    entry.current_process = "process_entry"
    if parsed.archive is None:
        entry.process_status = "FAILURE"
        entry.errors = [parsed.error or "could not parse the archive file"]
        entry.archive = None
        entry.results = None
        entry.last_status_message = (
            "Process failed" if api_version == "2.0" else "Process process_entry failed"
        )
        return
    sections = {key: value for key, value in parsed.archive.items() if key != "metadata"}
    results = sections.get("results")
    entry.archive = sections
    entry.results = results if isinstance(results, dict) else None
    metadata = parsed.archive.get("metadata")
    if isinstance(metadata, dict):
        if isinstance(metadata.get("comment"), str):
            entry.comment = metadata["comment"]
        references = metadata.get("references")
        if isinstance(references, list) and all(isinstance(ref, str) for ref in references):
            entry.references = list(references)
    entry.process_status = "SUCCESS"
    entry.errors = []
    entry.last_status_message = (
        "Process completed successfully"
        if api_version == "2.0"
        else "Process process_entry completed successfully"
    )


# `last_status_message` while a job runs
_PROGRESS_MESSAGES: dict[JobKind, str] = {
    "process": "Matching",
    "publish": "Publishing",
    "edit": "Editing metadata",
    "delete": "Deleting upload",
}


# --------------------------------------------------------------------------------------------
# one processor per store


def _start_processor(store: Store) -> Processor:
    processor = Processor(store)
    store.on_close(processor.close)
    return processor


_PROCESSORS: PerStore[Processor] = PerStore(_start_processor)


def processor_for(store: Store) -> Processor:
    """The store's processor, created on first use and closed together with the store."""
    return _PROCESSORS.of(store)

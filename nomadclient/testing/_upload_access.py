"""Who may read or change an upload, with NOMAD's answers per version, and the upload wrappers."""

from __future__ import annotations

from typing import Any

from fastapi import Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response

from ._errors import NomadError, forbidden
from ._processing import QUEUEABLE_KINDS, JobKind, running_kind
from ._state import Store, UploadRecord, UserRecord, can_write

# a blocking route gives up waiting after this long; the job itself carries on
WAIT_TIMEOUT = 60.0

BUSY = "The upload is currently being processed, operation not allowed."
BLOCKED = "The upload is currently blocked by another process."


def find_upload(store: Store, upload_id: str) -> UploadRecord:
    """The upload, or 404 "The specified upload_id was not found." (call with the lock held)."""
    upload = store.uploads.get(upload_id)
    if upload is None:
        raise NomadError(404, "The specified upload_id was not found.")
    return upload


def readable_upload(store: Store, upload_id: str, user: UserRecord | None) -> UploadRecord:
    """NOMAD's read check: viewers and admins, everyone once published without embargo."""
    with store.lock:
        upload = find_upload(store, upload_id)
        if user is not None and (user.is_admin or user.user_id in upload.viewers):
            return upload
        if not upload.published:
            if user is None:
                raise NomadError(401, "You need to log in to access the specified upload.")
            raise forbidden("You do not have access to the specified upload.", store.api_version)
        if upload.with_embargo:
            raise forbidden(
                "You do not have access to the specified upload - published with embargo.",
                store.api_version,
            )
        return upload


def writable_upload(
    store: Store,
    upload_id: str,
    user: UserRecord,
    *,
    include_published: bool = False,
    published_requires_admin: bool = True,
    only_main_author: bool = False,
) -> UploadRecord:
    """NOMAD's write check, in NOMAD's order of questions."""
    with store.lock:
        upload = find_upload(store, upload_id)
        version = store.api_version
        if not can_write(upload, user):
            raise forbidden("You do not have write access to the specified upload.", version)
        if only_main_author and not user.is_admin and upload.main_author != user.user_id:
            raise forbidden("Only main author has permissions for this operation.", version)
        if not upload.published:
            return upload
        if not include_published:
            raise NomadError(
                400 if version == "2.0" else 401,
                "Upload is already published, operation not possible.",
            )
        if published_requires_admin and not user.is_admin:
            raise forbidden(
                "Upload is already published, only admins can perform this operation.", version
            )
        return upload


def may_queue(store: Store, upload: UploadRecord, kind: JobKind) -> bool:
    """Whether a job of `kind` may start now or wait its turn (call with the lock held).

    NOMAD 2.0 runs one workflow per upload and refuses a second; 1.3 queued its non-blocking
    processes (processing, metadata edits) behind a running non-blocking one.
    """
    running = running_kind(store, upload)
    if running is None:
        return True
    return store.api_version == "1.3" and kind in QUEUEABLE_KINDS and running in QUEUEABLE_KINDS


def upload_response(
    store: Store, upload: UploadRecord, *, keep_nulls: bool = False
) -> dict[str, Any]:
    """`UploadProcDataResponse`: `{"upload_id", "data"}`, nulls omitted unless `keep_nulls`."""
    return {
        "upload_id": upload.upload_id,
        "data": upload.to_json(store.api_version, keep_nulls=keep_nulls),
    }


def blocks(store: Store, wait_for_processing: bool) -> bool:
    """Whether a route waits for its job: NOMAD 2.0's do unless told not to, 1.3's never did."""
    return store.api_version == "2.0" and wait_for_processing


def upload_answer(request: Request, body: dict[str, Any]) -> Response:
    """NOMAD's quirk: JSON only for `Accept: application/json` exactly, else a thank-you text."""
    if request.headers.get("accept") == "application/json":
        return JSONResponse(body)
    gui_url = f"{request.url.scheme}://{request.url.netloc}/gui"
    return PlainTextResponse(
        "\nThanks for uploading your data to nomad.\n"
        f"Go back to {gui_url} and press\n"
        "reload to see the progress on your upload\n"
        "and publish your data."
    )

"""The exceptions nomadclient raises: one tree, to be caught at any level.

```
NomadError
├── ConfigurationError
│   ├── MissingCredentials
│   └── InsecureTransportError
├── APIError                      the server answered with an error status
│   ├── BadRequest (400)  Unauthorized (401)  Forbidden (403)  NotFound (404)  Conflict (409)
│   ├── ValidationError (422)  RateLimited (429, 503)  ServerError (other 5xx)
├── TransportError                no answer: connection failure, timeout
│   └── OutcomeUnknown            a state-changing request was sent, its answer was lost
├── ProcessingError
│   ├── ProcessingFailed
│   └── ProcessingTimeout
└── DetachedObjectError
```

No message or repr contains a token or a password: URLs are redacted before they are stored.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import httpx

from ._redact import redact_text, redact_url
from ._retry import parse_retry_after

__all__ = [
    "APIError",
    "BadRequest",
    "ConfigurationError",
    "Conflict",
    "DetachedObjectError",
    "Forbidden",
    "InsecureTransportError",
    "MissingCredentials",
    "NomadError",
    "NotFound",
    "OutcomeUnknown",
    "ProcessingError",
    "ProcessingFailed",
    "ProcessingTimeout",
    "RateLimited",
    "ServerError",
    "TransportError",
    "Unauthorized",
    "ValidationError",
    "error_from_httpx_response",
    "error_from_response",
    "transport_error",
]


class NomadError(Exception):
    """Base class of every error nomadclient raises."""

    def __reduce__(self) -> tuple[Any, ...]:
        # Keyword-only constructors do not survive the default pickling of exceptions, and
        # errors cross process boundaries in parallel downloads.
        state = dict(self.__dict__)
        if "response" in state:
            state["response"] = None
        return (_restore_error, (type(self), self.args, state))


def _restore_error(cls: type[NomadError], args: tuple[Any, ...], state: dict[str, Any]) -> Any:
    error = cls.__new__(cls)
    Exception.__init__(error, *args)
    error.__dict__.update(state)
    return error


# --- configuration -----------------------------------------------------------------------------


class ConfigurationError(NomadError):
    """The client was set up with values it cannot use (URL, options, credentials)."""


class MissingCredentials(ConfigurationError):
    """The operation needs a login and no credentials were found.

    `looked` lists every place searched, in order; the message says how to fill each one.
    """

    def __init__(self, message: str, *, api_url: str, looked: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.api_url = api_url
        self.looked = tuple(looked)


class InsecureTransportError(ConfigurationError):
    """Credentials would travel unencrypted: plain `http://` to a host that is not loopback."""


# --- answers with an error status --------------------------------------------------------------


class APIError(NomadError):
    """NOMAD answered with an error status.

    `detail` is NOMAD's `detail` as sent: a string, the list of a 422's items, or the dict of an
    unexpected 500 (`reason`, `exception`, ...); the response body text when it was not JSON.
    `url` has any token redacted. `response` is the `httpx.Response`, if there was one.
    """

    def __init__(
        self,
        message: str,
        *,
        status_code: int,
        detail: Any,
        method: str,
        url: str,
        response: httpx.Response | None = None,
    ) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.detail = detail
        self.method = method.upper()
        self.url = redact_url(url)
        self.response = response

    @property
    def message(self) -> str:
        """What happened and what to do about it."""
        return str(self.args[0]) if self.args else ""

    def __repr__(self) -> str:
        return (
            f"{type(self).__name__}(status_code={self.status_code!r}, method={self.method!r}, "
            f"url={self.url!r}, message={self.message!r})"
        )


class BadRequest(APIError):
    """400: NOMAD refused the request by one of its rules (e.g. the upload is processing)."""


class Unauthorized(APIError):
    """401: no login, or the credentials or token are wrong or expired."""


class Forbidden(APIError):
    """403: logged in, but not allowed to do this.

    NOMAD 1.3 answers most permission failures with 401; those are raised as `Forbidden` too,
    with `status_code` 401.
    """


class NotFound(APIError):
    """404: no such object visible to the caller, or no such route on this server."""


class Conflict(APIError):
    """409: a file exists already, or changed since it was read."""


class ValidationError(APIError):
    """422: NOMAD rejected the request's content; `errors` holds NOMAD's items (`loc`, `msg`)."""

    def __init__(self, message: str, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        detail = kwargs.get("detail")
        self.errors: list[Any] = list(detail) if isinstance(detail, list) else []


class RateLimited(APIError):
    """429, or 503 (how NOMAD's proxy throttles): too many requests; `retry_after` in seconds."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(APIError):
    """A 5xx: NOMAD or a proxy in front of it failed while handling the request."""


# --- no answer ---------------------------------------------------------------------------------


class TransportError(NomadError):
    """No answer came: the connection failed or timed out. The httpx error is the `__cause__`."""

    def __init__(self, message: str, *, method: str, url: str) -> None:
        super().__init__(message)
        self.method = method.upper()
        self.url = redact_url(url)


class OutcomeUnknown(TransportError):
    """A state-changing request was sent and its answer was lost; it was deliberately NOT retried.

    NOMAD may or may not have carried it out: check before trying again.
    """


# --- processing --------------------------------------------------------------------------------


class ProcessingError(NomadError):
    """An upload's processing did not end in success in the time given."""


class ProcessingFailed(ProcessingError):
    """An upload's processing ended in FAILURE; `errors` are NOMAD's, `upload` the last state."""

    def __init__(self, *, upload_id: str, errors: Sequence[str] = (), upload: Any = None) -> None:
        self.upload_id = upload_id
        self.errors = list(errors)
        self.upload = upload
        reasons = "; ".join(self.errors) if self.errors else "NOMAD gave no reason"
        super().__init__(
            f"Processing of upload {upload_id} failed: {reasons}. The entries' own errors are "
            f"listed by client.uploads.get({upload_id!r}) and its entries; fix the files and "
            "process the upload again."
        )


class ProcessingTimeout(ProcessingError):
    """An upload was still processing when the wait ended; it goes on processing on the server."""

    def __init__(self, *, upload_id: str, last_status: str | None, timeout: float) -> None:
        self.upload_id = upload_id
        self.last_status = last_status
        self.timeout = timeout
        super().__init__(
            f"Upload {upload_id} was still {last_status or 'processing'} after {timeout:g} s. "
            "It keeps processing on the server: wait again with a longer timeout, or look later "
            f"with client.uploads.get({upload_id!r})."
        )


class DetachedObjectError(NomadError):
    """A domain object made by `nomadclient.structure()` has no client to send requests with."""

    def __init__(self, *, kind: str, object_id: str | None = None, manager: str) -> None:
        self.kind = kind
        self.object_id = object_id
        ident = repr(object_id) if object_id else "<id>"
        super().__init__(
            f"This {kind} was built by nomadclient.structure() and has no client to talk to "
            f"NOMAD. Get a connected one with client.{manager}.get({ident})."
        )


# --- building errors from answers --------------------------------------------------------------

_MAX_ITEMS_SHOWN = 20
_MAX_TEXT_SHOWN = 500

_ADVICE = {
    401: (
        "Log in (give the client a username and password or a token, e.g. through NOMAD_TOKEN), "
        "or check the credentials or token given: tokens expire."
    ),
    403: (
        "You are logged in but not allowed to do this: only the authors of unpublished or "
        "embargoed data (and the people they share it with) may see it, only writers may change "
        "it. Ask its main author to add you, or log in as another user."
    ),
    404: (
        "Check the id; unpublished data is only visible to its authors and to the people it is "
        "shared with, so log in as one of them."
    ),
    409: (
        "The file on the server exists already or changed since you read it: read it again, or "
        "allow overwriting."
    ),
    422: "Fix the values named above (the location says where) and send the request again.",
}

_CLASS_BY_STATUS: dict[int, type[APIError]] = {
    401: Unauthorized,
    403: Forbidden,
    404: NotFound,
    409: Conflict,
}

# Hints for 400s, by a phrase of NOMAD's message (case-insensitive).
_BAD_REQUEST_HINTS = (
    (
        ("being processed", "blocked by another process"),
        "The upload is busy with another operation: wait until its processing has finished, "
        "then try again.",
    ),
    (
        ("limit of unpublished uploads",),
        "Publish or delete some of your unpublished uploads first: NOMAD limits how many a user "
        "may keep unpublished.",
    ),
    (
        ("page out of range",),
        "Ask for an existing page, or iterate with page_after_value instead of page numbers.",
    ),
    (("already published",), "Published uploads cannot be changed this way any more."),
)
_BAD_REQUEST_ADVICE = "NOMAD refused the request; its message says which rule it breaks."

# NOMAD 1.3 answered permission failures with 401; these phrases mark them (2.0 sends 403).
_PERMISSION_PHRASES = (
    "do not have",
    "only main author",
    "only admins",
    "only be used by the admin",
    "can only be edited by",
    "not authorized",
    "not allowed",
    "not enabled",
    "unknown user",
)


def error_from_response(
    method: str,
    url: str,
    status: int,
    headers: Mapping[str, str],
    body: bytes | str | None,
    *,
    response: httpx.Response | None = None,
    now: datetime | None = None,
) -> APIError:
    """The `APIError` for an error answer: the class by meaning, a message saying what to do.

    `body` is the raw response body; NOMAD's `detail` is taken from it when it is JSON.
    """
    detail = _detail_of(body)
    url = redact_url(url)
    common: dict[str, Any] = {
        "status_code": status,
        "detail": detail,
        "method": method,
        "url": url,
        "response": response,
    }
    headline = f"{status} {httpx.codes.get_reason_phrase(status) or 'Error'} from "
    headline += f"{method.upper()} {url}"
    described = _describe(detail)

    if status in (429, 503):
        retry_after = parse_retry_after(httpx.Headers(headers).get("retry-after"), now)
        wait = f"wait {retry_after:g} s" if retry_after is not None else "wait a little"
        advice = (
            f"NOMAD is busy or throttling requests: {wait} and try again, and send fewer requests "
            "at once (NOMAD allows about 30 requests per second and 10 concurrent requests)."
        )
        return RateLimited(_compose(headline, described, advice), retry_after=retry_after, **common)
    if status == 422:
        return ValidationError(_compose(headline, described, _ADVICE[422]), **common)
    if status == 400:
        return BadRequest(_compose(headline, described, _bad_request_advice(detail)), **common)
    if status == 401 and _means_forbidden(detail):
        return Forbidden(_compose(headline, described, _ADVICE[403]), **common)
    if status == 404 and detail in (None, "", "Not Found"):
        advice = (
            "This server has no such route: check the API URL (it ends with /api/v1) and "
            "whether this NOMAD version offers the operation."
        )
        return NotFound(_compose(headline, described, advice), **common)
    if status in _CLASS_BY_STATUS:
        error_class = _CLASS_BY_STATUS[status]
        return error_class(_compose(headline, described, _ADVICE[status]), **common)
    if status >= 500:
        return ServerError(_compose(headline, described, _server_error_advice(detail)), **common)
    return APIError(_compose(headline, described, _other_advice(status)), **common)


def error_from_httpx_response(response: httpx.Response, *, now: datetime | None = None) -> APIError:
    """`error_from_response` for an `httpx.Response` whose body has been read."""
    request = response.request
    return error_from_response(
        request.method,
        str(request.url),
        response.status_code,
        response.headers,
        response.content,
        response=response,
        now=now,
    )


def transport_error(
    method: str,
    url: str,
    error: BaseException,
    *,
    outcome_unknown: bool = False,
    how_to_check: str | None = None,
) -> TransportError:
    """The `TransportError` (or `OutcomeUnknown`) for an httpx failure; `error` is its cause.

    `how_to_check` tells the user how to find out whether a lost request took effect, e.g.
    "list your uploads to see whether it was created".
    """
    url = redact_url(url)
    what = _transport_failure(error)
    headline = f"{method.upper()} {url} failed: {what}"
    result: TransportError
    if outcome_unknown:
        check = how_to_check or "look at the object on the server"
        result = OutcomeUnknown(
            f"{headline}. The request was sent but no answer came, so NOMAD may or may not have "
            f"carried it out; it was NOT retried, to avoid doing it twice. Check first: {check}.",
            method=method,
            url=url,
        )
    else:
        result = TransportError(f"{headline}. {_transport_advice(error)}", method=method, url=url)
    result.__cause__ = error
    return result


# --- helpers -----------------------------------------------------------------------------------


def _detail_of(body: bytes | str | None) -> Any:
    if body is None:
        return None
    text = body.decode("utf-8", errors="replace") if isinstance(body, bytes) else body
    if not text.strip():
        return None
    try:
        payload = json.loads(text)
    except ValueError:
        return text.strip()
    if isinstance(payload, dict) and "detail" in payload:
        return payload["detail"]
    return payload


def _describe(detail: Any) -> str:
    """NOMAD's detail as readable text (verbatim messages, no tracebacks, no echoed input)."""
    if detail is None:
        return "(the server sent no details)"
    if isinstance(detail, str):
        if detail.lstrip().startswith("<"):
            return "(an HTML error page, probably from a proxy in front of NOMAD)"
        return _shorten(detail)
    if isinstance(detail, list):
        lines = [f"  - {_describe_item(item)}" for item in detail[:_MAX_ITEMS_SHOWN]]
        if len(detail) > _MAX_ITEMS_SHOWN:
            lines.append(f"  ... and {len(detail) - _MAX_ITEMS_SHOWN} more")
        return "NOMAD rejected the request:\n" + "\n".join(lines)
    if isinstance(detail, dict) and ("reason" in detail or "exception" in detail):
        reason = detail.get("reason") or "Unexpected exception"
        exception = detail.get("exception")
        kind = detail.get("exception_class")
        if exception is None:
            return _shorten(str(reason))
        cause = f"{kind}: {exception}" if kind else str(exception)
        return _shorten(f"{reason} ({cause})")
    return _shorten(json.dumps(detail, default=str))


def _describe_item(item: Any) -> str:
    if not isinstance(item, dict):
        return _shorten(str(item))
    message = str(item.get("msg", "invalid value"))
    location = _format_loc(item.get("loc"))
    return _shorten(f"{location}: {message}" if location else message)


def _format_loc(loc: Any) -> str:
    """`["body", "pagination", "page_size"]` → `body.pagination.page_size`.

    NOMAD's search errors nest the location (`[["pagination", "order_by"]]`); several nested
    locations are joined with commas.
    """
    if loc is None:
        return ""
    if not isinstance(loc, list | tuple):
        return str(loc)
    if loc and all(isinstance(part, list | tuple) for part in loc):
        return ", ".join(_format_loc(part) for part in loc)
    return ".".join(_format_loc(part) for part in loc)


def _shorten(text: str) -> str:
    text = redact_text(text)
    if len(text) <= _MAX_TEXT_SHOWN:
        return text
    return text[:_MAX_TEXT_SHOWN] + " ..."


def _compose(headline: str, described: str, advice: str) -> str:
    separator = "\n" if described.startswith("NOMAD rejected") else " "
    return f"{headline}:{separator}{described}\n{advice}"


def _bad_request_advice(detail: Any) -> str:
    text = str(detail).lower()
    for phrases, hint in _BAD_REQUEST_HINTS:
        if any(phrase in text for phrase in phrases):
            return hint
    return _BAD_REQUEST_ADVICE


def _means_forbidden(detail: Any) -> bool:
    text = str(detail).lower() if isinstance(detail, str) else ""
    return any(phrase in text for phrase in _PERMISSION_PHRASES)


def _server_error_advice(detail: Any) -> str:
    if isinstance(detail, dict) and "User does not exist" in str(detail.get("exception")):
        # NOMAD answers an unknown user id with a 500, not a 404.
        return "NOMAD does not know this user id: check the id."
    return (
        "This is a failure on the server side, not in your request: try again later, and if it "
        "persists, report it to the deployment's operators with the time and the URL."
    )


def _other_advice(status: int) -> str:
    if status == 405:
        return "This server does not offer this operation; it may run another NOMAD version."
    if status == 413:
        return "The request is larger than the server accepts; split the upload into parts."
    return "NOMAD did not accept the request."


def _transport_failure(error: BaseException) -> str:
    text = redact_text(str(error)).rstrip(". ")
    name = type(error).__name__
    return f"{name}: {text}" if text else name


def _transport_advice(error: BaseException) -> str:
    if isinstance(error, httpx.ConnectTimeout | httpx.ConnectError):
        return "Check the API URL and the network connection; the server may be down."
    if isinstance(error, httpx.PoolTimeout):
        return "All connections were busy: send fewer requests at once or raise the pool timeout."
    if isinstance(error, httpx.TimeoutException):
        return "The server took too long: try again later or raise the timeout."
    return "The connection broke: try again later."

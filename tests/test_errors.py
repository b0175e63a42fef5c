"""The exception tree and the errors built from NOMAD's answers."""

from __future__ import annotations

import json
import pickle
import socket
from datetime import datetime, timezone
from typing import Any

import httpx
import pytest

from nomadclient import errors
from nomadclient._redact import redact_headers, redact_text
from nomadclient.errors import (
    APIError,
    BadRequest,
    ConfigurationError,
    Conflict,
    DetachedObjectError,
    Forbidden,
    InsecureTransportError,
    MissingCredentials,
    NomadError,
    NotFound,
    OutcomeUnknown,
    ProcessingError,
    ProcessingFailed,
    ProcessingTimeout,
    RateLimited,
    ServerError,
    TransportError,
    Unauthorized,
    ValidationError,
    error_from_httpx_response,
    error_from_response,
    transport_error,
)
from nomadclient.testing import NomadStandIn

API = "https://nomad-lab.eu/prod/v1/test/api/v1"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.eyJ1c2VyIjoiYWxpY2UifQ.c2lnbmF0dXJl"
PASSWORD = "hunter2-is-secret"


def answer(
    status: int,
    detail: Any = None,
    *,
    method: str = "GET",
    url: str = f"{API}/uploads/YXUIZpw5RJyV3LAsFI2MmQ",
    headers: dict[str, str] | None = None,
    body: bytes | str | None = None,
) -> APIError:
    if body is None and detail is not None:
        body = json.dumps({"detail": detail})
    return error_from_response(method, url, status, headers or {}, body)


# --- the tree ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("child", "parent"),
    [
        (ConfigurationError, NomadError),
        (MissingCredentials, ConfigurationError),
        (InsecureTransportError, ConfigurationError),
        (APIError, NomadError),
        (BadRequest, APIError),
        (Unauthorized, APIError),
        (Forbidden, APIError),
        (NotFound, APIError),
        (Conflict, APIError),
        (ValidationError, APIError),
        (RateLimited, APIError),
        (ServerError, APIError),
        (TransportError, NomadError),
        (OutcomeUnknown, TransportError),
        (ProcessingError, NomadError),
        (ProcessingFailed, ProcessingError),
        (ProcessingTimeout, ProcessingError),
        (DetachedObjectError, NomadError),
    ],
)
def test_one_tree_caught_at_any_level(child: type[Exception], parent: type[Exception]) -> None:
    assert issubclass(child, parent)


def test_every_public_name_is_exported() -> None:
    public = {name for name in vars(errors) if not name.startswith("_")}
    exceptions = {name for name in public if isinstance(getattr(errors, name), type)}
    assert exceptions - {"Any", "Mapping", "Sequence", "datetime"} <= set(errors.__all__)


# --- class by meaning --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "detail", "expected"),
    [
        (400, "Upload already published.", BadRequest),
        (401, "Authentication required.", Unauthorized),
        (401, "Could not validate credentials. The given token is invalid.", Unauthorized),
        (401, "You need to log in to access the specified upload.", Unauthorized),
        (403, "You do not have access to the specified upload.", Forbidden),
        (403, "Missing scopes: ['uploads:write']", Forbidden),
        (404, "The specified upload_id was not found.", NotFound),
        (404, "Not Found", NotFound),
        (409, "The provided hash did not match the current file.", Conflict),
        (422, [{"msg": "No matching upload found", "loc": ["upload_id"]}], ValidationError),
        (429, "Too Many Requests", RateLimited),
        (503, None, RateLimited),
        (500, "Internal Server Error", ServerError),
        (502, None, ServerError),
        (504, None, ServerError),
        (507, None, ServerError),
    ],
)
def test_class_follows_the_meaning(status: int, detail: Any, expected: type[APIError]) -> None:
    error = answer(status, detail)
    assert type(error) is expected
    assert error.status_code == status
    assert error.detail == detail


@pytest.mark.parametrize("status", [405, 413, 418, 451])
def test_other_statuses_are_plain_api_errors(status: int) -> None:
    assert type(answer(status, "nope")) is APIError


@pytest.mark.parametrize(
    "detail",
    [
        "You do not have access to the specified upload.",
        "You do not have write access to the specified upload.",
        "Only main author has permissions for this operation.",
        "Upload is already published, only admins can perform this operation.",
        "The dataset can only be edited by the user who created the dataset.",
        "User not authorized to import bundles",
    ],
)
def test_nomad_1_3_permission_failures_are_forbidden_despite_their_401(detail: str) -> None:
    error = answer(401, detail)
    assert isinstance(error, Forbidden)
    assert error.status_code == 401
    assert "You are logged in but not allowed" in str(error)


# --- what the message says ---------------------------------------------------------------------


def test_message_has_what_happened_and_what_to_do() -> None:
    error = answer(404, "The specified upload_id was not found.")
    message = str(error)
    assert message.startswith(
        f"404 Not Found from GET {API}/uploads/YXUIZpw5RJyV3LAsFI2MmQ: "
        "The specified upload_id was not found."
    )
    assert "Check the id; unpublished data is only visible to its authors" in message
    assert error.message == message
    assert error.method == "GET"
    assert error.url == f"{API}/uploads/YXUIZpw5RJyV3LAsFI2MmQ"


@pytest.mark.parametrize(
    ("status", "detail", "advice"),
    [
        (401, "Authentication required.", "check the credentials or token given: tokens expire"),
        (403, "Missing scopes: ['uploads:write']", "You are logged in but not allowed"),
        (404, "Not Found", "This server has no such route: check the API URL"),
        (409, "The provided path already exists", "allow overwriting"),
        (
            400,
            "The upload is currently being processed, operation not allowed.",
            "wait until its processing has finished",
        ),
        (400, "The upload is currently blocked by another process.", "wait until"),
        (400, "Limit of unpublished uploads exceeded for user.", "Publish or delete some"),
        (400, "Page out of range requested.", "page_after_value"),
        (400, "Cannot publish an upload without any resulting entries.", "which rule it breaks"),
        (405, "Method Not Allowed", "another NOMAD version"),
        (413, None, "larger than the server accepts"),
        (502, None, "failure on the server side"),
    ],
)
def test_advice_fits_the_failure(status: int, detail: Any, advice: str) -> None:
    message = str(answer(status, detail))
    assert advice in message
    if detail:
        assert detail in message


def test_validation_items_are_listed_as_loc_and_msg() -> None:
    detail = [
        {
            "type": "invalid_page_size",
            "loc": ["body", "pagination", "page_size"],
            "msg": "page_size must be >= 0",
            "input": -1,
        },
        {"msg": "a quantity can only appear once in a query", "loc": [["name"]]},
        {"msg": "order_by must be scalar", "loc": [["pagination", "order_by"]]},
        {"loc": ["body", "owner"], "msg": "value is not a valid enumeration", "type": "x"},
        {"msg": "No fields to update specified"},
        {"type": "json_invalid", "loc": ["body", 1], "msg": "JSON decode error"},
    ]
    error = answer(422, detail, method="POST", url=f"{API}/entries/query")
    assert isinstance(error, ValidationError)
    assert error.errors == detail
    lines = str(error).splitlines()
    assert lines[0] == f"422 Unprocessable Entity from POST {API}/entries/query:"
    assert lines[2:8] == [
        "  - body.pagination.page_size: page_size must be >= 0",
        "  - name: a quantity can only appear once in a query",
        "  - pagination.order_by: order_by must be scalar",
        "  - body.owner: value is not a valid enumeration",
        "  - No fields to update specified",
        "  - body.1: JSON decode error",
    ]
    assert "Fix the values named above" in lines[-1]


def test_validation_never_echoes_the_rejected_input() -> None:
    detail = [
        {
            "type": "string_pattern_mismatch",
            "loc": ["body", "grant_type"],
            "msg": "bad",
            "input": PASSWORD,
        }
    ]
    error = answer(422, detail, method="POST", url=f"{API}/auth/token")
    assert PASSWORD not in str(error)
    assert PASSWORD not in repr(error)


def test_many_validation_items_are_cut_short() -> None:
    detail = [{"msg": f"problem {n}", "loc": ["body", n]} for n in range(50)]
    message = str(answer(422, detail))
    assert "body.19: problem 19" in message
    assert "problem 20" not in message
    assert "... and 30 more" in message


def test_unexpected_500_shows_reason_and_exception_not_the_traceback() -> None:
    detail = {
        "reason": "Unexpected exception while handling your request",
        "exception": "'User does not exist'",
        "exception_class": "KeyError",
        "exception_traceback": 'Traceback (most recent call last):\n  File "x.py"\nKeyError',
    }
    error = answer(500, detail, url=f"{API}/users/no-such-user")
    message = str(error)
    assert isinstance(error, ServerError)
    assert (
        "Unexpected exception while handling your request (KeyError: 'User does not exist')"
        in message
    )
    assert "Traceback" not in message
    assert "NOMAD does not know this user id" in message
    assert error.detail == detail


def test_other_500_dicts_still_read_well() -> None:
    message = str(answer(500, {"reason": "DataCite is down", "exception": "timeout"}))
    assert "DataCite is down (timeout)" in message
    assert "failure on the server side" in message


@pytest.mark.parametrize(
    ("body", "shown"),
    [
        (b"", "(the server sent no details)"),
        (b"   ", "(the server sent no details)"),
        (b"<html><title>502 Bad Gateway</title></html>", "an HTML error page"),
        (b"upstream connect error", "upstream connect error"),
        (b'["not", "a", "dict"]', "  - not"),
        (b'{"message": "no detail key"}', '{"message": "no detail key"}'),
        (b"\xff\xfe not utf-8", "not utf-8"),
        ("x" * 5000, " ..."),
    ],
)
def test_odd_bodies_never_crash(body: bytes | str, shown: str) -> None:
    error = answer(502, body=body)
    assert isinstance(error, ServerError)
    assert shown in str(error)
    assert len(str(error)) < 1500


def test_rate_limit_reads_retry_after_seconds() -> None:
    error = answer(429, "slow down", headers={"Retry-After": "12"})
    assert isinstance(error, RateLimited)
    assert error.retry_after == 12.0
    assert "wait 12 s and try again" in str(error)


def test_rate_limit_reads_retry_after_dates() -> None:
    now = datetime(2024, 10, 24, 12, 0, tzinfo=timezone.utc)
    error = error_from_response(
        "GET", API, 503, {"retry-after": "Thu, 24 Oct 2024 12:00:45 GMT"}, b"", now=now
    )
    assert isinstance(error, RateLimited)
    assert error.retry_after == 45.0


def test_rate_limit_without_retry_after() -> None:
    error = answer(503, body=b"<html>Service Temporarily Unavailable</html>")
    assert isinstance(error, RateLimited)
    assert error.retry_after is None
    assert "wait a little and try again" in str(error)
    assert "30 requests per second" in str(error)


# --- secrets never show ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    [
        f"{API}/entries/x/raw?signature_token={TOKEN}",
        f"{API}/uploads?token={TOKEN}&file_name=a.zip",
        f"{API}/auth/token?username=alice&password={PASSWORD}",
        f"https://alice:{PASSWORD}@oasis.example.org/api/v1/uploads",
    ],
)
def test_urls_are_redacted_in_attributes_messages_and_reprs(url: str) -> None:
    error = answer(401, "Invalid token.", url=url)
    for text in (error.url, str(error), repr(error)):
        assert TOKEN not in text
        assert PASSWORD not in text
        assert "***" in text


def test_response_is_kept_but_not_in_the_repr() -> None:
    request = httpx.Request("GET", f"{API}/uploads/abc?token={TOKEN}")
    response = httpx.Response(
        404,
        json={"detail": "The specified upload_id was not found."},
        request=request,
        headers={"Set-Cookie": f"Authorization=Bearer {TOKEN}"},
    )
    error = error_from_httpx_response(response)
    assert isinstance(error, NotFound)
    assert error.response is response
    assert "Response" not in repr(error)
    assert TOKEN not in repr(error)
    assert TOKEN not in str(error)
    assert repr(error).startswith("NotFound(status_code=404, method='GET', url=")


def test_errors_survive_pickling_without_the_response() -> None:
    request = httpx.Request("POST", f"{API}/entries/query")
    response = httpx.Response(429, headers={"Retry-After": "3"}, request=request)
    error = error_from_httpx_response(response)
    restored = pickle.loads(pickle.dumps(error))
    assert type(restored) is RateLimited
    assert str(restored) == str(error)
    assert restored.retry_after == 3.0
    assert restored.response is None
    failed = pickle.loads(pickle.dumps(ProcessingFailed(upload_id="u1", errors=["boom"])))
    assert failed.errors == ["boom"]


# --- transport failures ------------------------------------------------------------------------


def test_transport_error_wraps_the_httpx_error() -> None:
    cause = httpx.ConnectError("[Errno 111] Connection refused")
    error = transport_error("get", f"{API}/uploads?token={TOKEN}", cause)
    assert type(error) is TransportError
    assert error.__cause__ is cause
    assert error.method == "GET"
    assert TOKEN not in str(error)
    assert "ConnectError: [Errno 111] Connection refused" in str(error)
    assert "Check the API URL and the network connection" in str(error)


@pytest.mark.parametrize(
    ("cause", "advice"),
    [
        (httpx.ReadTimeout("timed out"), "raise the timeout"),
        (httpx.PoolTimeout("timed out"), "send fewer requests at once"),
        (httpx.RemoteProtocolError("Server disconnected"), "The connection broke"),
    ],
)
def test_transport_advice_fits_the_failure(cause: Exception, advice: str) -> None:
    assert advice in str(transport_error("GET", API, cause))


def test_outcome_unknown_says_it_was_not_retried_and_how_to_check() -> None:
    cause = httpx.ReadTimeout("timed out")
    error = transport_error(
        "POST",
        f"{API}/uploads",
        cause,
        outcome_unknown=True,
        how_to_check="list your uploads to see whether it was created",
    )
    assert isinstance(error, OutcomeUnknown)
    assert error.__cause__ is cause
    message = str(error)
    assert "NOT retried" in message
    assert "may or may not have carried it out" in message
    assert "list your uploads to see whether it was created" in message


def test_transport_error_text_is_scrubbed_of_tokens() -> None:
    cause = httpx.ReadError(f"reset while sending Authorization: Bearer {TOKEN}")
    assert TOKEN not in str(transport_error("GET", API, cause))


def test_a_real_refused_connection() -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}/api/v1/info"
    with pytest.raises(httpx.ConnectError) as caught:
        httpx.get(url, timeout=2)
    error = transport_error("GET", url, caught.value)
    assert "ConnectError" in str(error)
    assert error.url == url


# --- processing and detached objects -----------------------------------------------------------


def test_processing_failed_carries_nomads_errors() -> None:
    upload = {"upload_id": "u1", "process_status": "FAILURE"}
    error = ProcessingFailed(
        upload_id="u1", errors=["no parser matches", "bad file"], upload=upload
    )
    assert error.upload_id == "u1"
    assert error.errors == ["no parser matches", "bad file"]
    assert error.upload is upload
    assert "Processing of upload u1 failed: no parser matches; bad file" in str(error)


def test_processing_failed_without_reasons() -> None:
    assert "NOMAD gave no reason" in str(ProcessingFailed(upload_id="u1"))


def test_processing_timeout_says_how_to_keep_waiting() -> None:
    error = ProcessingTimeout(upload_id="u1", last_status="RUNNING", timeout=30)
    assert (error.upload_id, error.last_status, error.timeout) == ("u1", "RUNNING", 30)
    message = str(error)
    assert "Upload u1 was still RUNNING after 30 s" in message
    assert "keeps processing on the server" in message
    assert "longer timeout" in message


def test_detached_object_says_how_to_get_a_connected_one() -> None:
    error = DetachedObjectError(kind="Upload", object_id="u1", manager="uploads")
    assert "client.uploads.get('u1')" in str(error)
    assert "nomadclient.structure()" in str(error)


# --- real answers from the stand-in server -----------------------------------------------------


def test_real_401_without_login(server: NomadStandIn) -> None:
    response = httpx.get(f"{server.api_url}/users/me")
    error = error_from_httpx_response(response)
    assert isinstance(error, Unauthorized)
    assert error.detail in ("Authentication required.", "Authorization required.")
    assert error.detail in str(error)
    assert "tokens expire" in str(error)


def test_real_wrong_password_is_unauthorized_and_not_shown(server: NomadStandIn) -> None:
    response = httpx.post(
        f"{server.api_url}/auth/token",
        data={"grant_type": "password", "username": "alice", "password": PASSWORD},
    )
    error = error_from_httpx_response(response)
    assert isinstance(error, Unauthorized)
    assert error.detail == "Incorrect username or password"
    assert PASSWORD not in str(error)


def test_real_password_in_a_1_3_query_is_redacted() -> None:
    with NomadStandIn(users={"alice": "right"}, processing_delay=0.01, api_version="1.3") as srv:
        response = httpx.get(
            f"{srv.api_url}/auth/token", params={"username": "alice", "password": PASSWORD}
        )
    error = error_from_httpx_response(response)
    assert isinstance(error, Unauthorized)
    assert "password=***" in error.url
    assert PASSWORD not in str(error)
    assert PASSWORD not in repr(error)


def test_real_422_from_a_missing_form_field(server: NomadStandIn) -> None:
    response = httpx.post(
        f"{server.api_url}/auth/token", data={"grant_type": "password", "password": PASSWORD}
    )
    error = error_from_httpx_response(response)
    assert isinstance(error, ValidationError)
    # 2.0 (pydantic 2) says "Field required", 1.3 (pydantic 1) "field required"
    assert "body.username: field required" in str(error).lower()
    assert PASSWORD not in str(error)


def test_real_unknown_route(server: NomadStandIn) -> None:
    error = error_from_httpx_response(httpx.get(f"{server.api_url}/no/such/route"))
    assert isinstance(error, NotFound)
    assert "check the API URL" in str(error)


def test_real_unknown_user_is_a_500(server: NomadStandIn) -> None:
    response = httpx.get(f"{server.api_url}/users/00000000-0000-0000-0000-000000000000")
    error = error_from_httpx_response(response)
    assert isinstance(error, ServerError)
    assert "User does not exist" in str(error)
    assert "Traceback" not in str(error)


# --- the redaction helpers used by errors and logs ---------------------------------------------


def test_secret_headers_are_masked_for_logs() -> None:
    headers = {
        "Authorization": f"Bearer {TOKEN}",
        "Upload-Token": "abc.def",
        "Cookie": f"Authorization=Bearer%20{TOKEN}",
        "Accept": "application/json",
    }
    assert redact_headers(headers) == {
        "Authorization": "***",
        "Upload-Token": "***",
        "Cookie": "***",
        "Accept": "application/json",
    }


def test_known_secret_values_are_masked_anywhere_in_text() -> None:
    text = f"login as alice with {PASSWORD} then Bearer {TOKEN} on {API}?token={TOKEN}"
    cleaned = redact_text(text, [PASSWORD, None, ""])
    assert PASSWORD not in cleaned
    assert TOKEN not in cleaned
    assert "login as alice" in cleaned

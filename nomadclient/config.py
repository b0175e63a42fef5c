"""Where the client connects and how: deployments, API URLs, timeouts and client options."""

from __future__ import annotations

import configparser
import ipaddress
import math
import os
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import attrs
import httpx
import platformdirs

from ._redact import redact_url
from ._retry import RetryPolicy
from ._version import __version__
from .errors import ConfigurationError

__all__ = [
    "DEFAULT_DEPLOYMENT",
    "DEFAULT_TIMEOUT",
    "DEPLOYMENTS",
    "DEPLOYMENTS_ENV_VAR",
    "URL_ENV_VAR",
    "ClientOptions",
    "deployments_file",
    "is_loopback",
    "make_timeout",
    "resolve_api_url",
    "user_deployments",
]

DEPLOYMENTS: Mapping[str, str] = MappingProxyType(
    {
        "prod": "https://nomad-lab.eu/prod/v1/api/v1",
        "staging": "https://nomad-lab.eu/prod/v1/staging/api/v1",
        "test": "https://nomad-lab.eu/prod/v1/test/api/v1",
        "local": "http://127.0.0.1:8000/api/v1",
    }
)
"""The API base URL of each named deployment."""

DEFAULT_DEPLOYMENT = "test"
"""Used when neither an argument nor `NOMAD_URL` names one: the test deployment is the safe
place to try things, its data is deleted from time to time."""

DEPLOYMENTS_ENV_VAR = "NOMADCLIENT_DEPLOYMENTS"
"""The environment variable that points at your own deployments file (see `deployments_file`)."""

URL_ENV_VAR = "NOMAD_URL"
"""The environment variable that names the deployment or API URL when none is given."""

DEFAULT_TIMEOUT = httpx.Timeout(connect=10.0, read=60.0, write=60.0, pool=10.0)
"""Seconds allowed to connect, to wait for each read, each write, and for a pooled connection."""


def resolve_api_url(url: str | None, environ: Mapping[str, str] | None = None) -> str:
    """The API base URL for a deployment name, an API URL, or None.

    None means the `NOMAD_URL` environment variable, else the `"test"` deployment. Names are
    those of `DEPLOYMENTS` (any case), then your own from `deployments_file()`. A URL must be
    http(s) and end with `/api/v1`; one ending with `/api` gets `/v1` appended, as NOMAD's own
    client does; a trailing slash is dropped.
    """
    origin = "The URL given"
    if url is None:
        env = os.environ if environ is None else environ
        url = env.get(URL_ENV_VAR) or DEFAULT_DEPLOYMENT
        origin = f"The {URL_ENV_VAR} environment variable"
    text = url.strip()
    named = DEPLOYMENTS.get(text.lower())
    if named is not None:
        return named
    if "://" not in text:
        own = user_deployments(environ)
        if text in own:
            return _normalize_url(own[text], f"Deployment {text!r} in {deployments_file(environ)}")
    return _normalize_url(text, origin)


def deployments_file(environ: Mapping[str, str] | None = None) -> Path:
    """Where your own deployment names live: `NOMADCLIENT_DEPLOYMENTS`, else the user config.

    An INI file with one section per name, e.g. for an Oasis:

    ```ini
    [my-oasis]
    url = https://oasis.example.org/nomad-oasis/api/v1
    ```
    """
    env = os.environ if environ is None else environ
    configured = env.get(DEPLOYMENTS_ENV_VAR)
    if configured:
        return Path(configured)
    return platformdirs.user_config_path("nomadclient") / "deployments.ini"


def user_deployments(environ: Mapping[str, str] | None = None) -> dict[str, str]:
    """The deployment names of `deployments_file()` and their URLs (none when it is absent)."""
    path = deployments_file(environ)
    parser = configparser.ConfigParser(interpolation=None)
    try:
        read = parser.read(path, encoding="utf-8")
    except configparser.Error as error:
        raise ConfigurationError(f"{path} is not a valid INI file: {error}") from error
    if not read:
        return {}
    missing = [name for name in parser.sections() if not parser.get(name, "url", fallback="")]
    if missing:
        raise ConfigurationError(
            f"{path}: deployment(s) {', '.join(missing)} have no `url = ...` line"
        )
    return {name: parser.get(name, "url") for name in parser.sections()}


def is_loopback(url: str) -> bool:
    """Whether `url` points at this machine (localhost, 127.0.0.0/8, ::1)."""
    try:
        host = urlsplit(url).hostname
    except ValueError:
        return False
    if not host:
        return False
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def make_timeout(value: float | httpx.Timeout | None) -> httpx.Timeout:
    """An `httpx.Timeout` from seconds (every phase) or a `Timeout`; no part may be unlimited.

    A request without a time limit can hang a pipeline forever, so None is refused.
    """
    if isinstance(value, httpx.Timeout):
        parts = {
            "connect": value.connect,
            "read": value.read,
            "write": value.write,
            "pool": value.pool,
        }
        for name, seconds in parts.items():
            _check_seconds(seconds, f"the {name} timeout")
        return value
    if value is None or isinstance(value, bool) or not isinstance(value, int | float):
        raise ConfigurationError(
            f"A timeout must be a number of seconds or an httpx.Timeout, not {value!r}; "
            "unlimited timeouts are not allowed (a stalled connection would hang forever)."
        )
    _check_seconds(value, "the timeout")
    return httpx.Timeout(float(value))


def _check_seconds(seconds: float | None, what: str) -> None:
    if seconds is None or not (math.isfinite(seconds) and seconds > 0):
        raise ConfigurationError(
            f"{what.capitalize()} must be a finite number of seconds > 0, not {seconds!r}; "
            "unlimited timeouts are not allowed (a stalled connection would hang forever)."
        )


def _api_url(value: str) -> str:
    if not isinstance(value, str):
        raise ConfigurationError(f"api_url must be a deployment name or a URL, not {value!r}.")
    return resolve_api_url(value)


def _user_agent(_: object, __: attrs.Attribute[str], value: str) -> None:
    if not isinstance(value, str) or not value.strip() or "\n" in value or "\r" in value:
        raise ConfigurationError(f"user_agent must be one non-empty line, not {value!r}.")


def _insecure_flag(_: object, __: attrs.Attribute[bool], value: bool) -> None:
    if not isinstance(value, bool):
        raise ConfigurationError(f"allow_insecure_http must be True or False, not {value!r}.")


def _retry_policy(_: object, __: attrs.Attribute[RetryPolicy], value: RetryPolicy) -> None:
    if not isinstance(value, RetryPolicy):
        raise ConfigurationError(f"retry must be a RetryPolicy, not {value!r}.")


@attrs.frozen
class ClientOptions:
    """The settings a client sends its requests with; `evolve()` makes changed copies.

    `max_retries` is a shortcut for `retry.max_retries`, accepted by `evolve()` too.
    """

    api_url: str = attrs.field(converter=_api_url)
    timeout: httpx.Timeout = attrs.field(default=DEFAULT_TIMEOUT, converter=make_timeout)
    retry: RetryPolicy = attrs.field(factory=RetryPolicy, validator=_retry_policy)
    user_agent: str = attrs.field(default=f"nomadclient/{__version__}", validator=_user_agent)
    allow_insecure_http: bool = attrs.field(default=False, validator=_insecure_flag)

    @property
    def max_retries(self) -> int:
        """How often a failed request is retried (`retry.max_retries`)."""
        return self.retry.max_retries

    def evolve(self, **changes: Any) -> ClientOptions:
        """A copy with `changes` applied and validated; unknown names are a ConfigurationError."""
        known = {field.name for field in attrs.fields(ClientOptions)} | {"max_retries"}
        unknown = sorted(set(changes) - known)
        if unknown:
            raise ConfigurationError(
                f"Unknown client option(s): {', '.join(unknown)}; "
                f"known: {', '.join(sorted(known))}."
            )
        if "max_retries" in changes:
            retry = changes.get("retry", self.retry)
            try:
                changes["retry"] = attrs.evolve(retry, max_retries=changes.pop("max_retries"))
            except (TypeError, ValueError) as error:
                raise ConfigurationError(f"Bad max_retries: {error}") from error
        try:
            return attrs.evolve(self, **changes)
        except (TypeError, ValueError) as error:
            raise ConfigurationError(f"Bad client option: {error}") from error


def _normalize_url(text: str, origin: str) -> str:
    names = ", ".join(DEPLOYMENTS) + f", or your own in {deployments_file()}"
    shown = redact_url(text)
    try:
        parts = urlsplit(text)
        port = parts.port  # raises on a malformed port
    except ValueError as error:
        raise ConfigurationError(f"{origin} is not a valid URL ({shown!r}): {error}.") from None
    if parts.scheme.lower() not in ("http", "https"):
        raise ConfigurationError(
            f"{origin} ({shown!r}) is neither a deployment name ({names}) nor an http(s) URL."
        )
    if not parts.hostname:
        raise ConfigurationError(f"{origin} ({shown!r}) has no host name.")
    if parts.username is not None or parts.password is not None:
        raise ConfigurationError(
            f"{origin} ({shown!r}) contains a user name or password; give credentials through "
            "the client's arguments, the environment, a .env file or the keyring instead."
        )
    if parts.query or parts.fragment:
        raise ConfigurationError(f"{origin} ({shown!r}) must not have a query or a fragment.")
    path = parts.path.rstrip("/")
    if path.endswith("/api"):
        path += "/v1"
    if not path.endswith("/api/v1"):
        raise ConfigurationError(
            f"{origin} ({shown!r}) is not an API URL: an API URL ends with /api/v1, "
            f"e.g. {_suggest(parts.scheme, parts.netloc, path)}. Deployment names: {names}."
        )
    host = parts.hostname.lower()
    netloc = f"[{host}]" if ":" in host else host
    if port is not None:
        netloc += f":{port}"
    return urlunsplit((parts.scheme.lower(), netloc, path, "", ""))


def _suggest(scheme: str, netloc: str, path: str) -> str:
    # A GUI address (…/gui/…) is the most common mistake; the API lives next to it.
    root = path.split("/gui", 1)[0] if "/gui" in path else path
    return f"{scheme.lower()}://{netloc.lower()}{root}/api/v1"

"""Finding the user's credentials: arguments, environment, `.env`, then the OS keyring.

`resolve_credentials` returns the first complete set found and says where it came from;
`search_credentials` also reports every place it looked, for a `MissingCredentials` error that
tells the user how to fill each one. `store` and `forget` manage the keyring entry.
Secrets are never logged, printed, or shown in a repr or a message.
"""

from __future__ import annotations

import os
import re
from collections.abc import Mapping, Sequence
from os import PathLike
from pathlib import Path

import attrs
import keyring
import keyring.errors

from ._redact import redact_url
from .config import is_loopback, resolve_api_url
from .errors import ConfigurationError, InsecureTransportError, MissingCredentials

__all__ = [
    "ENV_PASSWORD",
    "ENV_TOKEN",
    "ENV_USERNAME",
    "CheckedPlace",
    "CredentialSearch",
    "Credentials",
    "check_secure_transport",
    "forget",
    "keyring_service",
    "missing_credentials_error",
    "parse_dotenv",
    "resolve_credentials",
    "search_credentials",
    "store",
]

ENV_TOKEN = "NOMAD_TOKEN"  # noqa: S105 - the variable's name, not a token
"""Environment variable (or `.env` key) holding an access token."""
ENV_USERNAME = "NOMAD_USERNAME"
"""Environment variable (or `.env` key) holding the user name or e-mail."""
ENV_PASSWORD = "NOMAD_PASSWORD"  # noqa: S105 - the variable's name, not a password
"""Environment variable (or `.env` key) holding the password."""

DOTENV_NAME = ".env"
_DOTENV_MAX_BYTES = 1 << 20
# The keyring entry, under the deployment's service, that remembers which user `store` saved.
_REMEMBERED_USERNAME_KEY = "nomadclient:username"


def _mask(value: str | None) -> str:
    return "None" if value is None else "'***'"


@attrs.frozen
class Credentials:
    """A token, or a user name and password, and where they were found (`source`)."""

    username: str | None = None
    password: str | None = attrs.field(default=None, repr=_mask)
    token: str | None = attrs.field(default=None, repr=_mask)
    source: str = "arguments"

    def __attrs_post_init__(self) -> None:
        if not self.token and not (self.username and self.password):
            raise ConfigurationError(
                f"Credentials need a token, or a user name and a password (from {self.source})."
            )


@attrs.frozen
class CheckedPlace:
    """One place the resolver looked in: what it found there and how to put credentials there."""

    place: str
    outcome: str
    fix: str

    def __str__(self) -> str:
        return f"{self.place}: {self.outcome}. To use it: {self.fix}"


@attrs.frozen
class CredentialSearch:
    """The result of a search: the credentials `found` (or None) and every place `looked` in."""

    api_url: str
    found: Credentials | None
    looked: tuple[CheckedPlace, ...]

    def require(self) -> Credentials:
        """The credentials found, or `MissingCredentials` naming every place looked in."""
        if self.found is None:
            raise missing_credentials_error(self.api_url, self.looked)
        return self.found


def keyring_service(api_url: str) -> str:
    """The keyring service name for a deployment name or API URL: `nomadclient:<api_url>`."""
    return f"nomadclient:{resolve_api_url(api_url)}"


def resolve_credentials(
    api_url: str,
    *,
    username: str | None = None,
    password: str | None = None,
    token: str | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: str | PathLike[str] | None = None,
) -> Credentials | None:
    """The first credentials found, in order: arguments, environment, `.env`, OS keyring.

    None when there are none. A user name without a password (or the reverse) in one place is a
    `ConfigurationError`; only a user name given as an argument may take its password from the
    keyring.
    """
    return search_credentials(
        api_url, username=username, password=password, token=token, environ=environ, cwd=cwd
    ).found


def search_credentials(
    api_url: str,
    *,
    username: str | None = None,
    password: str | None = None,
    token: str | None = None,
    environ: Mapping[str, str] | None = None,
    cwd: str | PathLike[str] | None = None,
) -> CredentialSearch:
    """Like `resolve_credentials`, and also report each place looked in, in order."""
    api_url = resolve_api_url(api_url)
    looked: list[CheckedPlace] = []

    def done(found: Credentials | None) -> CredentialSearch:
        return CredentialSearch(api_url=api_url, found=found, looked=tuple(looked))

    found = _from_arguments(api_url, username, password, token, looked)
    if found is not None:
        return done(found)
    env = os.environ if environ is None else environ
    found = _from_variables(env, "environment", looked)
    if found is not None:
        return done(found)
    found = _from_dotenv(Path(cwd) if cwd is not None else Path.cwd(), looked)
    if found is not None:
        return done(found)
    return done(_from_keyring(api_url, None, looked))


def missing_credentials_error(api_url: str, looked: Sequence[CheckedPlace]) -> MissingCredentials:
    """The `MissingCredentials` error listing every place looked in and how to fill each."""
    lines = "\n".join(f"  {number}. {place}" for number, place in enumerate(looked, start=1))
    message = (
        f"This needs a login to {redact_url(api_url)}, but no credentials were found. "
        f"Looked in, in this order:\n{lines}"
    )
    return MissingCredentials(message, api_url=api_url, looked=[str(place) for place in looked])


def store(url: str, username: str, password: str) -> None:
    """Save `password` in the OS keyring for a deployment (name or API URL).

    `username` is remembered too, so that the resolver needs neither. Raises
    `ConfigurationError` when there is no usable keyring.
    """
    if not username or not password:
        raise ConfigurationError("store() needs a non-empty user name and password.")
    service = keyring_service(url)
    backend = keyring.get_keyring()
    try:
        backend.set_password(service, username, password)
        backend.set_password(service, _REMEMBERED_USERNAME_KEY, username)
    except Exception as error:  # any backend failure means: no usable keyring here
        raise ConfigurationError(
            f"Could not save the password in the OS keyring ({_backend_name(backend)}): "
            f"{type(error).__name__}. {_NO_KEYRING_FIX}"
        ) from error


def forget(url: str, username: str | None = None) -> bool:
    """Remove the saved password of `username` (default: the remembered user) for a deployment.

    Returns whether anything was removed. Raises `ConfigurationError` when there is no usable
    keyring.
    """
    service = keyring_service(url)
    backend = keyring.get_keyring()
    removed = False
    try:
        remembered = backend.get_password(service, _REMEMBERED_USERNAME_KEY)
        target = username or remembered
        keys = [target] if target else []
        if remembered is not None and username in (None, remembered):
            keys.append(_REMEMBERED_USERNAME_KEY)
        for key in keys:
            try:
                backend.delete_password(service, key)
            except keyring.errors.PasswordDeleteError:
                continue  # nothing saved under this key
            removed = True
    except Exception as error:  # any backend failure means: no usable keyring here
        raise ConfigurationError(
            f"Could not reach the OS keyring ({_backend_name(backend)}): "
            f"{type(error).__name__}. {_NO_KEYRING_FIX}"
        ) from error
    return removed


def check_secure_transport(api_url: str, *, allow_insecure_http: bool = False) -> None:
    """Refuse to send credentials over plain http to a host that is not this machine.

    Raises `InsecureTransportError` unless the URL is https, loopback, or explicitly allowed.
    """
    url = resolve_api_url(api_url)
    if not url.startswith("http://") or is_loopback(url) or allow_insecure_http:
        return
    raise InsecureTransportError(
        f"Refusing to send credentials to {url} over plain http: anyone on the network path "
        "could read them. Use the https:// URL of the deployment, or, on a network you trust "
        "(e.g. an Oasis on a private network), pass allow_insecure_http=True."
    )


def parse_dotenv(text: str) -> dict[str, str]:
    r"""The `KEY=VALUE` pairs of a `.env` file's text.

    Understands comments (`# ...`, also after an unquoted value), `export ` prefixes, and
    single or double quotes (with `\n`, `\t`, `\"`, `\\` escapes inside double quotes).
    Lines that are not assignments are skipped; a later assignment overrides an earlier one.
    """
    values: dict[str, str] = {}
    for raw in text.splitlines():
        match = _ASSIGNMENT.match(raw)
        if match is None:
            continue
        value = _dotenv_value(match.group("value"))
        if value is not None:
            values[match.group("key")] = value
    return values


# --- places ------------------------------------------------------------------------------------

_NO_KEYRING_FIX = (
    "Install a keyring backend (see https://pypi.org/project/keyring), or give the credentials "
    f"through the environment ({ENV_TOKEN}, or {ENV_USERNAME} and {ENV_PASSWORD}) or a .env file."
)


def _from_arguments(
    api_url: str,
    username: str | None,
    password: str | None,
    token: str | None,
    looked: list[CheckedPlace],
) -> Credentials | None:
    fix = "pass token=..., or username=... and password=..., to the client"
    username = (username or "").strip() or None
    token = (token or "").strip() or None
    password = password or None
    if username and not password and not token:
        # A user name alone may pick its password from the keyring (saved with store()).
        found = _from_keyring(api_url, username, looked)
        if found is not None:
            return found
        raise ConfigurationError(
            f"A user name ({username!r}) was given in the arguments but no password, and the OS "
            f"keyring has none saved for it. Pass password=..., or save it once with "
            f"nomadclient.credentials.store({api_url!r}, {username!r}, getpass.getpass())."
        )
    if password and not username:
        raise ConfigurationError(
            "A password was given in the arguments but no user name: pass username=... too."
        )
    if token or (username and password):
        return Credentials(username=username, password=password, token=token, source="arguments")
    looked.append(CheckedPlace("arguments", "none given", fix))
    return None


def _from_variables(
    variables: Mapping[str, str], where: str, looked: list[CheckedPlace]
) -> Credentials | None:
    token = (variables.get(ENV_TOKEN) or "").strip() or None
    username = (variables.get(ENV_USERNAME) or "").strip() or None
    password = variables.get(ENV_PASSWORD) or None
    if bool(username) != bool(password):
        given, missing = (ENV_USERNAME, ENV_PASSWORD) if username else (ENV_PASSWORD, ENV_USERNAME)
        raise ConfigurationError(
            f"{given} is set in the {where} but {missing} is not: set both, or neither."
        )
    if token or username:
        names = [ENV_TOKEN] if token else []
        names += [ENV_USERNAME, ENV_PASSWORD] if username else []
        return Credentials(
            username=username,
            password=password,
            token=token,
            source=f"{where} ({', '.join(names)})",
        )
    looked.append(
        CheckedPlace(
            where,
            f"{ENV_TOKEN}, {ENV_USERNAME}, {ENV_PASSWORD} not set",
            f"set {ENV_TOKEN}, or {ENV_USERNAME} and {ENV_PASSWORD}",
        )
    )
    return None


def _from_dotenv(directory: Path, looked: list[CheckedPlace]) -> Credentials | None:
    path = directory / DOTENV_NAME
    where = f".env at {path}"
    fix = f"write {ENV_TOKEN}=..., or {ENV_USERNAME}=... and {ENV_PASSWORD}=... lines into it"
    try:
        if not path.is_file():
            outcome = "not a file" if path.exists() else "no such file"
            looked.append(CheckedPlace(where, outcome, fix))
            return None
        with path.open("rb") as file:
            text = file.read(_DOTENV_MAX_BYTES).decode("utf-8", errors="replace")
    except OSError as error:
        looked.append(CheckedPlace(where, f"could not be read ({type(error).__name__})", fix))
        return None
    found = _from_variables(parse_dotenv(text), where, [])
    if found is None:
        looked.append(CheckedPlace(where, f"has no {ENV_TOKEN} or {ENV_USERNAME}", fix))
    return found


def _from_keyring(
    api_url: str, username: str | None, looked: list[CheckedPlace]
) -> Credentials | None:
    service = keyring_service(api_url)
    fix = f"save a password once with nomadclient.credentials.store({api_url!r}, ...)"
    backend: object = None
    try:
        backend = keyring.get_keyring()
        user = username or backend.get_password(service, _REMEMBERED_USERNAME_KEY)
        password = backend.get_password(service, user) if user else None
    except Exception as error:  # any backend failure means: no usable keyring here
        looked.append(
            CheckedPlace(
                f"OS keyring ({_backend_name(backend)})",
                f"no usable keyring exists ({type(error).__name__})",
                _NO_KEYRING_FIX[0].lower() + _NO_KEYRING_FIX[1:].rstrip("."),
            )
        )
        return None
    if user and password:
        source = f"OS keyring ({_backend_name(backend)})"
        if username:
            source = f"arguments (user name) and {source}"
        return Credentials(username=user, password=password, source=source)
    where = f"OS keyring ({_backend_name(backend)}, service {service!r})"
    outcome = f"no password saved for {user!r}" if user else "nothing saved"
    looked.append(CheckedPlace(where, outcome, fix))
    return None


def _backend_name(backend: object) -> str:
    if backend is None:
        return "no backend"
    kind = type(backend)
    return f"backend {kind.__module__}.{kind.__qualname__}"


_ASSIGNMENT = re.compile(
    r"^\s*(?:export\s+)?(?P<key>[A-Za-z_][A-Za-z0-9_.]*)\s*=\s*(?P<value>.*?)\s*$"
)
_ESCAPES = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}


def _dotenv_value(raw: str) -> str | None:
    if raw[:1] == "'":
        end = raw.find("'", 1)
        return raw[1:end] if end > 0 else None
    if raw[:1] == '"':
        chars: list[str] = []
        index = 1
        while index < len(raw):
            char = raw[index]
            if char == "\\" and index + 1 < len(raw):
                following = raw[index + 1]
                chars.append(_ESCAPES.get(following, "\\" + following))
                index += 2
                continue
            if char == '"':
                return "".join(chars)
            chars.append(char)
            index += 1
        return None  # no closing quote: not a value we can trust
    comment = re.search(r"\s#", raw)
    return (raw[: comment.start()] if comment else raw).strip()

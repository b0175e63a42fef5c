"""Where credentials come from: arguments, environment, `.env`, a real file-backed keyring."""

from __future__ import annotations

import configparser
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import keyring
import keyring.backend
import keyring.backends.fail
import pytest
from keyrings.alt.file import PlaintextKeyring

from nomadclient.config import DEPLOYMENTS
from nomadclient.credentials import (
    CheckedPlace,
    Credentials,
    check_secure_transport,
    forget,
    keyring_service,
    missing_credentials_error,
    parse_dotenv,
    resolve_credentials,
    search_credentials,
    store,
)
from nomadclient.errors import (
    ConfigurationError,
    InsecureTransportError,
    MissingCredentials,
)

URL = DEPLOYMENTS["test"]
SECRET = "s3cr3t-Pa55word"
TOKEN = "eyJhbGciOiJIUzI1NiJ9.payload.signature"
PLAINTEXT = "keyrings.alt.file.PlaintextKeyring"


class BrokenKeyring(keyring.backend.KeyringBackend):
    """A backend that fails like a desktop keyring whose service is gone (e.g. no D-Bus)."""

    priority = 1

    def get_password(self, service: str, username: str) -> str | None:
        raise RuntimeError("org.freedesktop.DBus.Error.ServiceUnknown")

    def set_password(self, service: str, username: str, password: str) -> None:
        raise RuntimeError("org.freedesktop.DBus.Error.ServiceUnknown")

    def delete_password(self, service: str, username: str) -> None:
        raise RuntimeError("org.freedesktop.DBus.Error.ServiceUnknown")


@contextmanager
def installed(backend: keyring.backend.KeyringBackend) -> Iterator[None]:
    """`backend` as the keyring while the block runs; the previous one afterwards."""
    previous = keyring.get_keyring()
    keyring.set_keyring(backend)
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@pytest.fixture(autouse=True)
def file_keyring(tmp_path: Path) -> Iterator[PlaintextKeyring]:
    """Every test gets its own real file-backed keyring: the machine's keyring is never used."""
    backend = PlaintextKeyring()
    backend.file_path = str(tmp_path / "keyring" / "keyring_pass.cfg")
    with installed(backend):
        yield backend


@pytest.fixture
def no_keyring() -> Iterator[None]:
    """A machine without any usable keyring backend."""
    with installed(keyring.backends.fail.Keyring()):  # type: ignore[no-untyped-call]
        yield


@pytest.fixture
def broken_keyring() -> Iterator[None]:
    """A keyring backend that raises an unexpected exception on every call."""
    with installed(BrokenKeyring()):  # type: ignore[no-untyped-call]
        yield


@pytest.fixture
def empty_dir(tmp_path: Path) -> Path:
    """A working directory without a `.env` file."""
    directory = tmp_path / "work"
    directory.mkdir()
    return directory


def resolve(cwd: Path, environ: dict[str, str] | None = None, **arguments: str) -> Credentials:
    found = resolve_credentials(URL, environ=environ or {}, cwd=cwd, **arguments)
    assert found is not None
    return found


# --- order of the places -----------------------------------------------------------------------


def test_arguments_come_first(empty_dir: Path) -> None:
    (empty_dir / ".env").write_text("NOMAD_TOKEN=from-dotenv\n")
    store(URL, "carol", "keyring-password")
    found = resolve(empty_dir, {"NOMAD_TOKEN": "from-env"}, token=TOKEN)
    assert found == Credentials(token=TOKEN, source="arguments")


def test_username_and_password_as_arguments(empty_dir: Path) -> None:
    found = resolve(empty_dir, username="alice", password=SECRET)
    assert (found.username, found.password, found.token) == ("alice", SECRET, None)
    assert found.source == "arguments"


def test_environment_token(empty_dir: Path) -> None:
    found = resolve(empty_dir, {"NOMAD_TOKEN": f" {TOKEN}\n"})
    assert found.token == TOKEN
    assert found.source == "environment (NOMAD_TOKEN)"


def test_environment_username_and_password(empty_dir: Path) -> None:
    found = resolve(empty_dir, {"NOMAD_USERNAME": "alice", "NOMAD_PASSWORD": SECRET})
    assert (found.username, found.password) == ("alice", SECRET)
    assert found.source == "environment (NOMAD_USERNAME, NOMAD_PASSWORD)"


def test_environment_token_and_pair_are_kept_together(empty_dir: Path) -> None:
    env = {"NOMAD_TOKEN": TOKEN, "NOMAD_USERNAME": "alice", "NOMAD_PASSWORD": SECRET}
    found = resolve(empty_dir, env)
    assert (found.token, found.username, found.password) == (TOKEN, "alice", SECRET)
    assert found.source == "environment (NOMAD_TOKEN, NOMAD_USERNAME, NOMAD_PASSWORD)"


def test_the_process_environment_is_read_by_default(
    empty_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NOMAD_TOKEN", TOKEN)
    found = resolve_credentials(URL, cwd=empty_dir)
    assert found is not None
    assert found.token == TOKEN


def test_environment_comes_before_dotenv(empty_dir: Path) -> None:
    (empty_dir / ".env").write_text("NOMAD_TOKEN=from-dotenv\n")
    assert resolve(empty_dir, {"NOMAD_TOKEN": TOKEN}).token == TOKEN


def test_dotenv_in_the_working_directory(empty_dir: Path) -> None:
    (empty_dir / ".env").write_text(
        "# NOMAD login\n"
        "export NOMAD_USERNAME=alice  # the account\n"
        f"NOMAD_PASSWORD='{SECRET}'\n"
        "OTHER_TOOL=whatever\n"
    )
    found = resolve(empty_dir)
    assert (found.username, found.password) == ("alice", SECRET)
    assert found.source == f".env at {empty_dir / '.env'} (NOMAD_USERNAME, NOMAD_PASSWORD)"


def test_the_current_directory_is_the_default(
    empty_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (empty_dir / ".env").write_text(f"NOMAD_TOKEN={TOKEN}\n")
    monkeypatch.chdir(empty_dir)
    found = resolve_credentials(URL, environ={})
    assert found is not None
    assert found.token == TOKEN


def test_dotenv_comes_before_the_keyring(empty_dir: Path) -> None:
    store(URL, "carol", "keyring-password")
    (empty_dir / ".env").write_text(f"NOMAD_TOKEN={TOKEN}\n")
    assert resolve(empty_dir).token == TOKEN


def test_empty_values_count_as_not_given(empty_dir: Path) -> None:
    env = {"NOMAD_TOKEN": "", "NOMAD_USERNAME": "", "NOMAD_PASSWORD": ""}
    assert resolve_credentials(URL, token="", environ=env, cwd=empty_dir) is None


# --- half-given pairs --------------------------------------------------------------------------


def test_environment_username_without_password(empty_dir: Path) -> None:
    with pytest.raises(ConfigurationError, match="NOMAD_USERNAME is set in the environment but"):
        resolve_credentials(URL, environ={"NOMAD_USERNAME": "alice"}, cwd=empty_dir)


def test_environment_password_without_username_does_not_show_it(empty_dir: Path) -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve_credentials(URL, environ={"NOMAD_PASSWORD": SECRET}, cwd=empty_dir)
    assert "NOMAD_USERNAME is not" in str(caught.value)
    assert SECRET not in str(caught.value)


def test_dotenv_half_pair_names_the_file(empty_dir: Path) -> None:
    (empty_dir / ".env").write_text(f"NOMAD_PASSWORD={SECRET}\n")
    with pytest.raises(ConfigurationError) as caught:
        resolve_credentials(URL, environ={}, cwd=empty_dir)
    assert str(empty_dir / ".env") in str(caught.value)
    assert SECRET not in str(caught.value)


def test_password_argument_without_username(empty_dir: Path) -> None:
    with pytest.raises(ConfigurationError, match="no user name") as caught:
        resolve_credentials(URL, password=SECRET, environ={}, cwd=empty_dir)
    assert SECRET not in str(caught.value)


def test_username_argument_takes_its_password_from_the_keyring(empty_dir: Path) -> None:
    store(URL, "alice", SECRET)
    found = resolve(empty_dir, username="alice")
    assert (found.username, found.password) == ("alice", SECRET)
    assert found.source == f"arguments (user name) and OS keyring (backend {PLAINTEXT})"


def test_username_argument_without_any_password(empty_dir: Path) -> None:
    store(URL, "carol", "carols-password")
    with pytest.raises(ConfigurationError) as caught:
        resolve_credentials(URL, username="alice", environ={}, cwd=empty_dir)
    message = str(caught.value)
    assert "('alice') was given in the arguments but no password" in message
    assert "nomadclient.credentials.store(" in message
    assert "carols-password" not in message


def test_a_token_needs_no_password(empty_dir: Path) -> None:
    found = resolve(empty_dir, username="alice", token=TOKEN)
    assert (found.username, found.token, found.password) == ("alice", TOKEN, None)


# --- the keyring -------------------------------------------------------------------------------


def test_store_saves_in_the_real_file_keyring(
    empty_dir: Path, file_keyring: PlaintextKeyring
) -> None:
    store("test", "alice", SECRET)
    saved = configparser.RawConfigParser()
    saved.read(file_keyring.file_path, encoding="utf-8")
    assert len(saved.sections()) == 1
    assert file_keyring.get_password(keyring_service(URL), "alice") == SECRET
    found = resolve(empty_dir)
    assert (found.username, found.password) == ("alice", SECRET)
    assert found.source == f"OS keyring (backend {PLAINTEXT})"


def test_service_names_follow_the_api_url() -> None:
    assert keyring_service("test") == f"nomadclient:{URL}"
    assert keyring_service("TEST") == keyring_service(URL + "/")
    assert keyring_service("prod") != keyring_service("test")


def test_each_deployment_has_its_own_entry(empty_dir: Path) -> None:
    store("prod", "alice", SECRET)
    assert resolve_credentials(URL, environ={}, cwd=empty_dir) is None
    found = resolve_credentials("prod", environ={}, cwd=empty_dir)
    assert found is not None
    assert found.password == SECRET


def test_storing_again_replaces_the_remembered_user(empty_dir: Path) -> None:
    store(URL, "alice", "first")
    store(URL, "bob", "second")
    found = resolve(empty_dir)
    assert (found.username, found.password) == ("bob", "second")
    assert resolve(empty_dir, username="alice").password == "first"


def test_forget_removes_the_saved_login(empty_dir: Path) -> None:
    store(URL, "alice", SECRET)
    assert forget("test") is True
    assert resolve_credentials(URL, environ={}, cwd=empty_dir) is None
    assert forget("test") is False


def test_forget_one_of_several_users(empty_dir: Path) -> None:
    store(URL, "alice", "first")
    store(URL, "bob", "second")
    assert forget(URL, "alice") is True
    assert resolve(empty_dir).username == "bob"
    assert forget(URL, "bob") is True
    assert resolve_credentials(URL, environ={}, cwd=empty_dir) is None


def test_store_needs_both_values() -> None:
    with pytest.raises(ConfigurationError):
        store(URL, "", SECRET)
    with pytest.raises(ConfigurationError):
        store(URL, "alice", "")


@pytest.mark.usefixtures("no_keyring")
def test_without_a_keyring_the_resolver_just_reports_it(empty_dir: Path) -> None:
    search = search_credentials(URL, environ={}, cwd=empty_dir)
    assert search.found is None
    assert "no usable keyring exists (NoKeyringError)" in str(search.looked[-1])
    assert "keyring.backends.fail.Keyring" in search.looked[-1].place


@pytest.mark.usefixtures("no_keyring")
def test_without_a_keyring_store_says_what_to_do() -> None:
    with pytest.raises(ConfigurationError) as caught:
        store(URL, "alice", SECRET)
    message = str(caught.value)
    assert "OS keyring" in message
    assert "NOMAD_TOKEN" in message
    assert "https://pypi.org/project/keyring" in message
    assert SECRET not in message
    with pytest.raises(ConfigurationError, match="OS keyring"):
        forget(URL)


@pytest.mark.usefixtures("no_keyring")
def test_without_a_keyring_a_username_argument_is_a_clear_error(empty_dir: Path) -> None:
    with pytest.raises(ConfigurationError, match="no password"):
        resolve_credentials(URL, username="alice", environ={}, cwd=empty_dir)


@pytest.mark.usefixtures("broken_keyring")
def test_a_failing_keyring_backend_never_crashes_the_resolver(empty_dir: Path) -> None:
    search = search_credentials(URL, environ={}, cwd=empty_dir)
    assert search.found is None
    assert "no usable keyring exists (RuntimeError)" in str(search.looked[-1])
    with pytest.raises(ConfigurationError, match="RuntimeError"):
        store(URL, "alice", SECRET)


# --- reporting what was searched ---------------------------------------------------------------


def test_missing_credentials_names_every_place_in_order(empty_dir: Path) -> None:
    search = search_credentials(URL, environ={}, cwd=empty_dir)
    assert search.found is None
    with pytest.raises(MissingCredentials) as caught:
        search.require()
    error = caught.value
    message = str(error)
    assert error.api_url == URL
    assert [line.split(":")[0] for line in error.looked] == [
        "arguments",
        "environment",
        f".env at {empty_dir / '.env'}",
        f"OS keyring (backend {PLAINTEXT}, service 'nomadclient",
    ]
    positions = [
        message.index(text)
        for text in ("1. arguments", "2. environment", "3. .env at", "4. OS keyring")
    ]
    assert positions == sorted(positions)
    assert "pass token=..., or username=... and password=..." in message
    assert "set NOMAD_TOKEN, or NOMAD_USERNAME and NOMAD_PASSWORD" in message
    assert str(empty_dir / ".env") in message
    assert "no such file" in message
    assert f"service 'nomadclient:{URL}'" in message
    assert "nomadclient.credentials.store(" in message


def test_a_dotenv_without_nomad_keys_is_reported(empty_dir: Path) -> None:
    (empty_dir / ".env").write_text("DATABASE_URL=postgres://x\n")
    search = search_credentials(URL, environ={}, cwd=empty_dir)
    assert "has no NOMAD_TOKEN or NOMAD_USERNAME" in str(search.looked[2])


def test_a_dotenv_that_is_a_directory_is_reported(empty_dir: Path) -> None:
    (empty_dir / ".env").mkdir()
    search = search_credentials(URL, environ={}, cwd=empty_dir)
    assert "not a file" in str(search.looked[2])


def test_a_dotenv_that_is_not_text_does_not_crash(empty_dir: Path) -> None:
    (empty_dir / ".env").write_bytes(b"\xff\xfe\x00NOMAD_TOKEN=\x80\x81\nNOMAD_TOKEN=abc\n")
    assert resolve(empty_dir).token == "abc"


def test_missing_credentials_error_can_be_built_from_any_places() -> None:
    error = missing_credentials_error(URL, [CheckedPlace("arguments", "none given", "pass some")])
    assert isinstance(error, ConfigurationError)
    assert "1. arguments: none given. To use it: pass some" in str(error)


# --- no secret ever shows ----------------------------------------------------------------------


def test_credentials_repr_hides_secrets() -> None:
    credentials = Credentials(username="alice", password=SECRET, token=TOKEN, source="arguments")
    for text in (repr(credentials), str(credentials)):
        assert SECRET not in text
        assert TOKEN not in text
        assert "alice" in text
        assert "'***'" in text


def test_credentials_need_a_token_or_a_pair() -> None:
    with pytest.raises(ConfigurationError):
        Credentials(username="alice")
    with pytest.raises(ConfigurationError):
        Credentials(password=SECRET)


def test_no_secret_in_any_report(empty_dir: Path) -> None:
    store(URL, "alice", SECRET)
    forget(URL)
    (empty_dir / ".env").write_text("UNRELATED=1\n")
    search = search_credentials(URL, environ={"UNRELATED": SECRET}, cwd=empty_dir)
    with pytest.raises(MissingCredentials) as caught:
        search.require()
    assert SECRET not in str(caught.value)
    assert SECRET not in repr(caught.value)
    assert SECRET not in repr(search)


# --- plain http --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url",
    ["http://oasis.example.org/nomad-oasis/api/v1", "http://10.1.2.3:8000/api/v1"],
)
def test_credentials_never_travel_over_plain_http_to_other_hosts(url: str) -> None:
    with pytest.raises(InsecureTransportError) as caught:
        check_secure_transport(url)
    assert "allow_insecure_http=True" in str(caught.value)
    assert isinstance(caught.value, ConfigurationError)
    check_secure_transport(url, allow_insecure_http=True)


@pytest.mark.parametrize(
    "url", ["prod", "https://oasis.example.org/api/v1", "local", "http://localhost:9/api/v1"]
)
def test_https_and_loopback_are_fine(url: str) -> None:
    check_secure_transport(url)


# --- .env syntax -------------------------------------------------------------------------------


def test_dotenv_syntax() -> None:
    text = "\n".join(
        [
            "# a comment",
            "",
            "PLAIN=value",
            "SPACED = spaced value  ",
            "export EXPORTED=yes",
            "  export   INDENTED=1",
            "INLINE=abc # comment",
            "HASH_IN_VALUE=abc#def",
            "SINGLE='single #not a comment \\n' # a comment",
            'DOUBLE="line\\nnext \\"quoted\\" \\\\ #kept"',
            "EMPTY=",
            "EMPTY_QUOTED=''",
            "EQUALS=a=b=c",
            "UNTERMINATED='oops",
            "not an assignment",
            "1BAD=x",
            "PLAIN=overridden",
        ]
    )
    assert parse_dotenv(text) == {
        "PLAIN": "overridden",
        "SPACED": "spaced value",
        "EXPORTED": "yes",
        "INDENTED": "1",
        "INLINE": "abc",
        "HASH_IN_VALUE": "abc#def",
        "SINGLE": "single #not a comment \\n",
        "DOUBLE": 'line\nnext "quoted" \\ #kept',
        "EMPTY": "",
        "EMPTY_QUOTED": "",
        "EQUALS": "a=b=c",
    }


def test_dotenv_with_windows_line_endings() -> None:
    assert parse_dotenv("A=1\r\nB='2'\r\n") == {"A": "1", "B": "2"}

"""Deployments, API URLs, timeouts and client options."""

from __future__ import annotations

import math
from pathlib import Path

import attrs
import httpx
import pytest

from nomadclient import __version__
from nomadclient._retry import RetryPolicy
from nomadclient.config import (
    DEFAULT_DEPLOYMENT,
    DEFAULT_TIMEOUT,
    DEPLOYMENTS,
    ClientOptions,
    is_loopback,
    make_timeout,
    resolve_api_url,
)
from nomadclient.errors import ConfigurationError, NomadError

TEST_URL = "https://nomad-lab.eu/prod/v1/test/api/v1"

# --- deployments and API URLs ------------------------------------------------------------------


def test_named_deployments() -> None:
    assert dict(DEPLOYMENTS) == {
        "prod": "https://nomad-lab.eu/prod/v1/api/v1",
        "staging": "https://nomad-lab.eu/prod/v1/staging/api/v1",
        "test": TEST_URL,
        "local": "http://127.0.0.1:8000/api/v1",
    }
    assert DEFAULT_DEPLOYMENT == "test"


def test_deployments_cannot_be_changed_by_accident() -> None:
    with pytest.raises(TypeError):
        DEPLOYMENTS["prod"] = "https://evil.example/api/v1"  # type: ignore[index]


def test_nothing_given_means_the_test_deployment() -> None:
    assert resolve_api_url(None, environ={}) == TEST_URL


def test_nothing_given_reads_nomad_url() -> None:
    assert resolve_api_url(None, {"NOMAD_URL": "prod"}) == DEPLOYMENTS["prod"]
    oasis = "https://oasis.example.org/nomad-oasis/api/v1"
    assert resolve_api_url(None, {"NOMAD_URL": oasis}) == oasis


def test_empty_nomad_url_is_ignored() -> None:
    assert resolve_api_url(None, {"NOMAD_URL": ""}) == TEST_URL


def test_an_argument_wins_over_nomad_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("NOMAD_URL", "prod")
    assert resolve_api_url("staging") == DEPLOYMENTS["staging"]
    assert resolve_api_url(None) == DEPLOYMENTS["prod"]


@pytest.mark.parametrize("name", ["prod", "PROD", " Prod ", "Local"])
def test_names_are_case_insensitive(name: str) -> None:
    assert resolve_api_url(name, {}) == DEPLOYMENTS[name.strip().lower()]


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("https://oasis.example.org/nomad-oasis/api/v1", None),
        ("https://oasis.example.org/nomad-oasis/api/v1/", None),
        ("https://oasis.example.org/nomad-oasis/api/v1///", None),
        (
            "https://oasis.example.org/nomad-oasis/api",
            "https://oasis.example.org/nomad-oasis/api/v1",
        ),
        (
            "https://oasis.example.org/nomad-oasis/api/",
            "https://oasis.example.org/nomad-oasis/api/v1",
        ),
        ("HTTPS://Oasis.Example.ORG/Nomad/api/v1", "https://oasis.example.org/Nomad/api/v1"),
        ("http://localhost:8000/fairdi/nomad/latest/api/v1", None),
        ("http://127.0.0.1:8123/api/v1", None),
        ("http://[::1]:8000/api/v1/", "http://[::1]:8000/api/v1"),
        ("https://nomad-lab.eu/prod/v1/api", DEPLOYMENTS["prod"]),
    ],
)
def test_api_urls_are_normalized(given: str, expected: str | None) -> None:
    assert resolve_api_url(given, {}) == (expected or given.rstrip("/"))


def test_a_gui_url_is_refused_with_the_api_url_to_use() -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve_api_url("https://nomad-lab.eu/prod/v1/gui/search/entries", {})
    message = str(caught.value)
    assert "ends with /api/v1" in message
    assert "https://nomad-lab.eu/prod/v1/api/v1" in message
    for name in DEPLOYMENTS:
        assert name in message


def test_an_oasis_root_is_refused_with_a_suggestion() -> None:
    with pytest.raises(ConfigurationError, match=r"oasis\.example\.org/nomad-oasis/api/v1"):
        resolve_api_url("https://oasis.example.org/nomad-oasis", {})


def test_a_bad_nomad_url_says_where_it_came_from() -> None:
    with pytest.raises(ConfigurationError, match="NOMAD_URL"):
        resolve_api_url(None, {"NOMAD_URL": "https://example.org/"})


@pytest.mark.parametrize(
    "url",
    [
        "ftp://example.org/api/v1",
        "file:///etc/passwd",
        "example.org/api/v1",
        "nomad",
        "",
        "https:///api/v1",
        "https://example.org:99999/api/v1",
        "https://example.org/api/v1?token=x",
        "https://example.org/api/v1#top",
        "https://[::1/api/v1",
    ],
)
def test_unusable_urls_are_configuration_errors(url: str) -> None:
    with pytest.raises(ConfigurationError):
        resolve_api_url(url, {})


def test_credentials_in_a_url_are_refused_without_echoing_them() -> None:
    with pytest.raises(ConfigurationError) as caught:
        resolve_api_url("https://alice:hunter2@oasis.example.org/api/v1", {})
    assert "hunter2" not in str(caught.value)
    assert "alice" in str(caught.value)


def test_configuration_errors_are_nomad_errors() -> None:
    assert issubclass(ConfigurationError, NomadError)


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8000/api/v1",
        "http://127.3.2.1/api/v1",
        "http://localhost/api/v1",
        "http://LOCALHOST:1/api/v1",
        "http://nomad.localhost/api/v1",
        "http://[::1]:8000/api/v1",
    ],
)
def test_loopback_urls(url: str) -> None:
    assert is_loopback(url)


@pytest.mark.parametrize(
    "url",
    [
        "https://nomad-lab.eu/prod/v1/api/v1",
        "http://10.0.0.1/api/v1",
        "http://localhost.example.org/api/v1",
        "http://127.0.0.1.nip.io/api/v1",
        "http://[::2]/api/v1",
        "not a url",
        "http://[::1/api/v1",
        "",
    ],
)
def test_other_urls_are_not_loopback(url: str) -> None:
    assert not is_loopback(url)


# --- timeouts ----------------------------------------------------------------------------------


def test_default_timeout_is_split_and_bounded() -> None:
    assert DEFAULT_TIMEOUT.connect == 10
    assert DEFAULT_TIMEOUT.read == 60
    assert DEFAULT_TIMEOUT.write == 60
    assert DEFAULT_TIMEOUT.pool == 10


def test_a_number_bounds_every_phase() -> None:
    timeout = make_timeout(5)
    assert (timeout.connect, timeout.read, timeout.write, timeout.pool) == (5, 5, 5, 5)


def test_a_complete_timeout_is_taken_as_is() -> None:
    timeout = httpx.Timeout(connect=1, read=300, write=300, pool=2)
    assert make_timeout(timeout) is timeout


@pytest.mark.parametrize(
    "value",
    [
        None,
        0,
        -1,
        math.inf,
        math.nan,
        True,
        "10",
        httpx.Timeout(None),
        httpx.Timeout(10, read=None),
        httpx.Timeout(10, pool=0),
    ],
)
def test_unlimited_or_nonsense_timeouts_are_refused(value: object) -> None:
    with pytest.raises(ConfigurationError, match="unlimited timeouts are not allowed"):
        make_timeout(value)  # type: ignore[arg-type]


# --- client options ----------------------------------------------------------------------------


def test_options_defaults() -> None:
    options = ClientOptions("test")
    assert options.api_url == TEST_URL
    assert options.timeout == DEFAULT_TIMEOUT
    assert options.max_retries == 3
    assert options.retry == RetryPolicy()
    assert options.user_agent == f"nomadclient/{__version__}"
    assert options.allow_insecure_http is False


def test_options_normalize_what_they_are_given() -> None:
    options = ClientOptions("https://oasis.example.org/nomad-oasis/api/", timeout=30)
    assert options.api_url == "https://oasis.example.org/nomad-oasis/api/v1"
    assert options.timeout == httpx.Timeout(30)


def test_evolve_makes_a_changed_copy() -> None:
    options = ClientOptions("test")
    changed = options.evolve(api_url="prod", timeout=5, user_agent="pipeline/1.0")
    assert changed.api_url == DEPLOYMENTS["prod"]
    assert changed.timeout == httpx.Timeout(5)
    assert changed.user_agent == "pipeline/1.0"
    assert options.api_url == TEST_URL
    assert options.timeout == DEFAULT_TIMEOUT


def test_max_retries_is_one_setting_with_the_retry_policy() -> None:
    options = ClientOptions("test").evolve(max_retries=7)
    assert options.max_retries == 7
    assert options.retry.max_retries == 7
    assert options.retry.backoff_max == 8.0


def test_max_retries_applies_to_a_new_policy_given_together() -> None:
    options = ClientOptions("test").evolve(
        retry=RetryPolicy(jitter="full", max_retries=1), max_retries=0
    )
    assert options.retry == RetryPolicy(jitter="full", max_retries=0)


@pytest.mark.parametrize(
    "changes",
    [
        {"timeout": None},
        {"timeout": -3},
        {"max_retries": -1},
        {"max_retries": "3"},
        {"api_url": "ftp://x/api/v1"},
        {"api_url": None},
        {"user_agent": ""},
        {"user_agent": "x\r\nInjected: yes"},
        {"allow_insecure_http": "yes"},
        {"retry": 3},
        {"no_such_option": 1},
    ],
)
def test_bad_options_are_configuration_errors(changes: dict[str, object]) -> None:
    options = ClientOptions("test")
    with pytest.raises(ConfigurationError):
        options.evolve(**changes)


def test_options_are_frozen_and_comparable() -> None:
    options = ClientOptions("test")
    with pytest.raises(attrs.exceptions.FrozenInstanceError):
        options.api_url = "prod"  # type: ignore[misc]
    assert options == ClientOptions("TEST")
    assert options != options.evolve(max_retries=0)


def test_your_own_deployment_names_come_from_the_deployments_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = tmp_path / "deployments.ini"
    own.write_text("[my-oasis]\nurl = https://oasis.example.org/nomad-oasis/api/\n")
    monkeypatch.setenv("NOMADCLIENT_DEPLOYMENTS", str(own))
    assert resolve_api_url("my-oasis") == "https://oasis.example.org/nomad-oasis/api/v1"
    assert resolve_api_url("prod") == DEPLOYMENTS["prod"]  # built-in names come first
    with pytest.raises(ConfigurationError, match=str(own)):
        resolve_api_url("their-oasis")


def test_a_deployment_without_url_is_a_configuration_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    own = tmp_path / "deployments.ini"
    own.write_text("[my-oasis]\nhost = oasis.example.org\n")
    monkeypatch.setenv("NOMADCLIENT_DEPLOYMENTS", str(own))
    with pytest.raises(ConfigurationError, match=r"my-oasis have no `url = \.\.\.` line"):
        resolve_api_url("my-oasis")

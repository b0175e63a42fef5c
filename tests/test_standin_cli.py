"""`python -m nomadclient.testing`, driven as a subprocess."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from nomadclient.testing.__main__ import main


@pytest.fixture
def cli() -> Iterator[list[subprocess.Popen[str]]]:
    started: list[subprocess.Popen[str]] = []
    yield started
    for process in started:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def _run(
    started: list[subprocess.Popen[str]], *args: str, tmp: Path | None = None
) -> subprocess.Popen[str]:
    env = {**os.environ, "TMPDIR": str(tmp)} if tmp is not None else None
    process = subprocess.Popen(
        [sys.executable, "-m", "nomadclient.testing", "--port", "0", *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    started.append(process)
    return process


def test_serves_and_stops_on_ctrl_c(cli: list[subprocess.Popen[str]], tmp_path: Path) -> None:
    process = _run(cli, "--processing-delay", "0.01", tmp=tmp_path)
    assert process.stdout is not None
    api_url = process.stdout.readline().strip()
    assert api_url.startswith("http://127.0.0.1:")
    assert api_url.endswith("/api/v1")
    users = [process.stdout.readline().strip() for _ in range(2)]
    assert users == ["user test password password", "user admin password password (admin)"]
    token = httpx.post(
        f"{api_url}/auth/token",
        data={"grant_type": "password", "username": "test", "password": "password"},
    ).json()["access_token"]
    me = httpx.get(f"{api_url}/users/me", headers={"Authorization": f"Bearer {token}"})
    assert me.json()["username"] == "test"
    assert any(tmp_path.iterdir())
    process.send_signal(signal.SIGINT)
    assert process.wait(timeout=60) == 0  # a hang guard, generous for loaded machines
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{api_url}/info")
    assert list(tmp_path.iterdir()) == []


# the conformance plugin cannot tell that a subprocess server emulates 1.3
@pytest.mark.no_spec_validation
def test_users_and_version_options(cli: list[subprocess.Popen[str]]) -> None:
    process = _run(
        cli, "--user", "ann:secret", "--user", "ben:pw:with:colons", "--api-version", "1.3"
    )
    assert process.stdout is not None
    api_url = process.stdout.readline().strip()
    lines = [process.stdout.readline().strip() for _ in range(2)]
    assert lines == ["user ann password secret", "user ben password pw:with:colons"]
    assert httpx.get(f"{api_url}/info").json()["version"] == "1.3.10"
    token = httpx.get(
        f"{api_url}/auth/token", params={"username": "ben", "password": "pw:with:colons"}
    )
    assert token.status_code == 200
    process.terminate()
    assert process.wait(timeout=60) == 0  # a hang guard, generous for loaded machines


@pytest.mark.parametrize(
    "args", [("--user", "nopassword"), ("--api-version", "3.0"), ("--processing-delay", "-1")]
)
def test_bad_options_exit_with_usage(
    args: tuple[str, ...], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        main(["--port", "0", *args])
    assert exit_info.value.code == 2
    assert "usage:" in capsys.readouterr().err

"""`python -m nomadclient demo`: the whole workflow against an embedded stand-in."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path


def test_the_demo_runs_every_step(tmp_path: Path) -> None:
    environment = {
        name: value for name, value in os.environ.items() if not name.startswith("NOMAD_")
    }
    finished = subprocess.run(
        [sys.executable, "-m", "nomadclient", "demo"],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert finished.returncode == 0, finished.stderr
    lines = finished.stdout.splitlines()
    steps = [line.split(".", 1)[0] for line in lines if line[:1].isdigit()]
    assert steps == [str(number) for number in range(1, 9)]
    assert lines[-1] == "Done."
    assert "Processed: SUCCESS, 3 entries" in finished.stdout
    assert "Published: True" in finished.stdout
    assert "The dataset holds 3 entries, 2 of them with Ti and O" in finished.stdout
    assert "error" not in finished.stderr.lower()
    assert list(tmp_path.iterdir()) == []  # the demo cleans up after itself

"""Development sessions: tests, lint, typecheck, docs, demo and benchmarks."""

from __future__ import annotations

import nox

nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["tests", "lint", "typecheck"]
nox.options.reuse_existing_virtualenvs = True


@nox.session
def tests(session: nox.Session) -> None:
    """Run the whole test suite against the embedded stand-in server."""
    session.install("-e", ".[dev]")
    session.run("pytest", *session.posargs)


@nox.session
def lint(session: nox.Session) -> None:
    """Ruff lint and format check."""
    session.install("ruff==0.17.6")  # pinned: a new ruff must not turn CI red by itself
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")


@nox.session
def typecheck(session: nox.Session) -> None:
    """mypy --strict over the package and the tests."""
    session.install("-e", ".[dev]", "nox", "mypy==2.4.1")  # pinned like ruff
    session.run("mypy", "--strict")


@nox.session
def docs(session: nox.Session) -> None:
    """Build the documentation, failing on any warning."""
    session.install("-e", ".[docs]")
    session.run("mkdocs", "build", "--strict")


@nox.session
def demo(session: nox.Session) -> None:
    """Run the demo workflow against an embedded stand-in server."""
    session.install("-e", ".[server]")
    session.run("python", "-m", "nomadclient", "demo", *session.posargs)


@nox.session
def benchmarks(session: nox.Session) -> None:
    """Print speed and memory figures (ratios against a baseline measured in the same run)."""
    session.install("-e", ".[dev]")
    session.run("python", "-m", "benchmarks", *session.posargs)

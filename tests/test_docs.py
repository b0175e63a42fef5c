"""The documentation cannot rot: its code compiles, the names it mentions exist, and the tutorial
runs, block after block, against a stand-in NOMAD in both API versions.

Code blocks are fenced with three backticks. A `python` block is skipped by the tutorial run when
it has a title (```` ```python title="..." ````) or a `<!-- not-run -->` line before it; it is
still compiled. A `text` block right after a run block is that block's expected output.
"""

from __future__ import annotations

import ast
import contextlib
import importlib
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

import nomadclient
from nomadclient import (
    AsyncDataset,
    AsyncEntry,
    AsyncNomadClient,
    AsyncUpload,
    Dataset,
    Entry,
    NomadClient,
    Upload,
)
from nomadclient.testing import NomadStandIn

DOCS = Path(__file__).resolve().parent.parent / "docs"
PAGES = sorted(DOCS.rglob("*.md"))
TUTORIAL = DOCS / "tutorial.md"
NOT_RUN = "<!-- not-run -->"


@dataclass(frozen=True)
class CodeBlock:
    """A fenced code block of a docs page; `line` is the 1-based line of its first code line."""

    page: Path
    line: int
    language: str
    info: str
    source: str
    not_run: bool

    @property
    def where(self) -> str:
        return f"{self.page.relative_to(DOCS)}:{self.line}"

    @property
    def runnable(self) -> bool:
        return self.language == "python" and not self.not_run and "title=" not in self.info

    def compiled(self) -> Any:
        # padded so that tracebacks and syntax errors name the line of the Markdown file
        return compile("\n" * (self.line - 1) + self.source, str(self.page), "exec")


def code_blocks(page: Path) -> list[CodeBlock]:
    """The fenced code blocks of `page`, in order, dedented (blocks may sit in admonitions)."""
    lines = page.read_text(encoding="utf-8").splitlines()
    blocks: list[CodeBlock] = []
    index = 0
    while index < len(lines):
        opening = lines[index].strip()
        if not opening.startswith("```"):
            index += 1
            continue
        indent = len(lines[index]) - len(lines[index].lstrip())
        info = opening[3:].strip()
        previous = next((line.strip() for line in reversed(lines[:index]) if line.strip()), "")
        end = index + 1
        while end < len(lines) and lines[end].strip() != "```":
            end += 1
        body = "\n".join(line[indent:] for line in lines[index + 1 : end])
        blocks.append(
            CodeBlock(
                page=page,
                line=index + 2,
                language=info.split()[0] if info else "",
                info=info,
                source=body + "\n",
                not_run=previous == NOT_RUN,
            )
        )
        index = end + 1
    return blocks


def python_blocks() -> Iterator[CodeBlock]:
    for page in PAGES:
        yield from (block for block in code_blocks(page) if block.language == "python")


def prose(page: Path) -> str:
    """The page's text without its fenced code blocks (whose backticks would confuse a scan)."""
    return re.sub(r"^[ \t]*```.*?^[ \t]*```[ \t]*$", "", page.read_text(), flags=re.M | re.S)


INLINE_CODE = re.compile(r"`([^`\n]+)`")
DOTTED = r"(?:\.[A-Za-z_]\w*)+"
# not inside a longer name or a string literal (`"entry.zip"` is a file name)
PACKAGE_NAME = re.compile(rf"(?<![\w.\"'])nomadclient{DOTTED}")
# the variable names the docs use throughout for a client and its objects
CONVENTIONAL_NAME = re.compile(rf"(?<![\w.\"'])(nomad|upload|entry|dataset){DOTTED}")

Roots = dict[str, tuple[Any, ...]]


# mkdocstrings' directive that renders an object's reference
REFERENCE_DIRECTIVE = re.compile(r"^:::[ \t]+(\S+)", re.M)


def mentioned_names(page: Path) -> Iterator[str]:
    """`nomadclient.X.Y` and `nomad.uploads.create`-style names in the page's inline code, and
    the objects its `::: name` directives render."""
    text = prose(page)
    for code in INLINE_CODE.findall(text):
        yield from (match.group(0) for match in PACKAGE_NAME.finditer(code))
        yield from (match.group(0) for match in CONVENTIONAL_NAME.finditer(code))
    yield from REFERENCE_DIRECTIVE.findall(text)


def imported_names(block: CodeBlock) -> Iterator[str]:
    """The `nomadclient` names a code block imports."""
    for node in ast.walk(ast.parse(block.source)):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("nomadclient"):
            yield from (f"{node.module}.{alias.name}" for alias in node.names)
        elif isinstance(node, ast.Import):
            yield from (alias.name for alias in node.names if alias.name.startswith("nomadclient"))


def resolve(name: str, roots: Roots) -> Any:
    """The object a dotted name stands for; a conventional variable may be any of its roots."""
    first, *rest = name.split(".")
    if first == "nomadclient":
        return resolve_in_package(rest)
    failure = AttributeError(name)
    for root in roots[first]:
        try:
            return attribute_path(root, rest)
        except AttributeError as error:
            failure = error
    raise failure


def resolve_in_package(parts: list[str]) -> Any:
    """The longest importable module of `nomadclient.<parts>`, then attributes."""
    target: Any = nomadclient
    # submodules the package does not import by itself (`nomadclient.demo`) need an import
    while parts and isinstance(target, ModuleType):
        try:
            target = importlib.import_module(f"{target.__name__}.{parts[0]}")
        except ModuleNotFoundError:
            break
        parts = parts[1:]
    return attribute_path(target, parts)


def attribute_path(target: Any, attributes: list[str]) -> Any:
    for attribute in attributes:
        target = getattr(target, attribute)
    return target


@pytest.fixture(scope="module")
def roots() -> Iterator[Roots]:
    """What the conventional variable names stand for; building clients sends nothing."""
    with NomadClient("local") as client:
        yield {
            "nomad": (client, AsyncNomadClient),
            "upload": (Upload, AsyncUpload),
            "entry": (Entry, AsyncEntry),
            "dataset": (Dataset, AsyncDataset),
        }


def test_the_docs_have_pages_and_code() -> None:
    assert TUTORIAL in PAGES
    assert sum(1 for _ in python_blocks()) > 30


@pytest.mark.parametrize("block", list(python_blocks()), ids=lambda block: block.where)
def test_python_blocks_compile(block: CodeBlock) -> None:
    block.compiled()


@pytest.mark.parametrize("page", PAGES, ids=lambda page: str(page.relative_to(DOCS)))
def test_named_objects_exist(page: Path, roots: Roots) -> None:
    names = set(mentioned_names(page))
    for block in code_blocks(page):
        if block.language == "python":
            names.update(imported_names(block))
    missing = []
    for name in sorted(names):
        try:
            resolve(name, roots)
        except (AttributeError, ImportError, KeyError) as error:
            missing.append(f"{name}: {error}")
    assert not missing, f"{page.name} names what does not exist:\n" + "\n".join(missing)


def test_names_are_found_in_prose_and_directives() -> None:
    migration = set(mentioned_names(DOCS / "migration.md"))
    assert {"nomad.uploads.create", "upload.wait_until_processed"} <= migration
    assert "nomadclient.NomadClient" in set(mentioned_names(DOCS / "reference" / "client.md"))


def test_the_resolver_catches_made_up_names(roots: Roots) -> None:
    assert resolve("nomadclient.errors.OutcomeUnknown", roots) is nomadclient.OutcomeUnknown
    assert resolve("nomadclient.credentials.store", roots) is not None
    assert resolve("nomad.entries.query", roots) is not None
    for made_up in ("nomadclient.NoSuchThing", "nomad.uploads.upload", "upload.publish_now"):
        with pytest.raises(AttributeError):
            resolve(made_up, roots)


def tutorial_steps() -> list[tuple[CodeBlock, CodeBlock | None]]:
    """The tutorial's runnable blocks, each with the `text` block showing its output, if any."""
    blocks = code_blocks(TUTORIAL)
    steps = []
    for position, block in enumerate(blocks):
        if not block.runnable:
            continue
        following = blocks[position + 1] if position + 1 < len(blocks) else None
        shows_output = following is not None and following.language == "text"
        steps.append((block, following if shows_output else None))
    return steps


def test_the_tutorial_runs(
    server: NomadStandIn, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    server.add_user("reader", "reader-password")
    monkeypatch.setenv("NOMAD_URL", server.api_url)
    monkeypatch.setenv("NOMAD_USERNAME", "reader")
    monkeypatch.setenv("NOMAD_PASSWORD", "reader-password")
    monkeypatch.chdir(tmp_path)
    namespace: dict[str, Any] = {"__name__": "__tutorial__"}
    outputs = []
    for block, expected in tutorial_steps():
        printed = io.StringIO()
        with contextlib.redirect_stdout(printed):
            exec(block.compiled(), namespace)
        outputs.append(printed.getvalue())
        if expected is not None:
            assert printed.getvalue() == expected.source, f"output of {block.where}"

    everything = "".join(outputs)
    assert "Logged in to" in everything
    assert "NotFound: 404" in everything
    assert "broken.archive.json failed" in everything
    upload = namespace["upload"]
    assert upload.published is True
    assert upload.entry_count == 3
    assert (tmp_path / "downloads" / "silicon-raw.zip").is_file()
    assert "3 entries in the dataset" in everything
    assert "3 of them are public" in everything

"""The SDK: what lazy pagination costs over hand-written httpx, and transfer memory.

The stand-in runs in a separate process, so that memory figures are the client's alone.
Every figure is a ratio against a baseline measured in the same run.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx

from nomadclient import AsyncNomadClient, NomadClient

USER, PASSWORD = "bench", "bench-password"


@contextmanager
def standin_process(*args: str) -> Iterator[str]:
    """`python -m nomadclient.testing` in a child process; yields its API URL."""
    command = [sys.executable, "-m", "nomadclient.testing", "--port", "0", *args]
    with subprocess.Popen(
        command, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True
    ) as process:
        assert process.stdout is not None
        api_url = process.stdout.readline().strip()
        try:
            yield api_url
        finally:
            process.terminate()
            process.wait(timeout=30)


def timed(call: Callable[[], Any]) -> tuple[float, Any]:
    """Seconds a call takes, and its result."""
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def peak_memory(call: Callable[[], Any]) -> int:
    """The peak of Python allocations while `call` runs, in bytes."""
    tracemalloc.start()
    try:
        call()
        return tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def raw_httpx_walk(api_url: str, token: str, page_size: int) -> int:
    """The baseline: every page of a query with plain httpx and a cursor loop, dicts only."""
    count, after = 0, None
    with httpx.Client(headers={"Authorization": f"Bearer {token}"}) as http:
        while True:
            pagination: dict[str, Any] = {"page_size": page_size}
            if after is not None:
                pagination["page_after_value"] = after
            answer = http.post(
                f"{api_url}/entries/query", json={"owner": "public", "pagination": pagination}
            ).json()
            count += len(answer["data"])
            after = answer["pagination"].get("next_page_after_value")
            if after is None:
                return count


async def async_walk(api_url: str, page_size: int) -> int:
    """The async client's walk over the same query."""
    async with AsyncNomadClient(api_url, username=USER, password=PASSWORD) as nomad:
        return len(await nomad.entries.query(owner="public", page_size=page_size).to_list())


def pagination(entries: int, page_size: int = 500) -> None:
    """Walking every page of a query: the SDK's objects against plain httpx dicts."""
    with standin_process("--user", f"{USER}:{PASSWORD}", "--processing-delay", "0.01") as api:
        with NomadClient(api, username=USER, password=PASSWORD) as nomad:
            nomad.request("GET", "info")
            populate(api, entries)
            token = nomad.access_token()
            raw_httpx_walk(api, token, page_size)  # warm the server's query cache for both
            raw_time, raw_count = timed(lambda: raw_httpx_walk(api, token, page_size))
            sdk_time, sdk_count = timed(
                lambda: sum(1 for _ in nomad.entries.query(owner="public", page_size=page_size))
            )
        async_time, async_count = timed(lambda: asyncio.run(async_walk(api, page_size)))
    assert raw_count == sdk_count == async_count == entries, (raw_count, sdk_count, async_count)
    print(f"query walk, {entries} entries in pages of {page_size}:")
    print(f"  plain httpx (baseline)    {raw_time:7.3f} s")
    print(f"  NomadClient (Entry objs)  {sdk_time:7.3f} s   ratio {sdk_time / raw_time:5.2f}")
    print(f"  AsyncNomadClient          {async_time:7.3f} s   ratio {async_time / raw_time:5.2f}")


def populate(api_url: str, entries: int) -> None:
    """Publish `entries` small entries through the API, as a user would make them."""
    with NomadClient(api_url, username=USER, password=PASSWORD) as nomad:
        per_upload = 500
        for start in range(0, entries, per_upload):
            with tempfile.TemporaryDirectory() as scratch:
                folder = Path(scratch)
                for index in range(start, min(start + per_upload, entries)):
                    (folder / f"e{index:06d}.archive.json").write_text(
                        '{"results": {"material": {"elements": ["Si"]}}}'
                    )
                upload = nomad.uploads.create(folder).wait_until_processed(timeout=600)
            upload.publish().wait_until_processed(timeout=600)


def transfers(megabytes: int) -> None:
    """Peak client memory while uploading and downloading a file, against the file's size."""
    size = megabytes * 1024 * 1024
    with (
        standin_process("--user", f"{USER}:{PASSWORD}", "--processing-delay", "0.01") as api,
        tempfile.TemporaryDirectory() as scratch,
        NomadClient(api, username=USER, password=PASSWORD) as nomad,
    ):
        source = Path(scratch) / "big.bin"
        with source.open("wb") as file:
            for _ in range(megabytes):
                file.write(b"\0" * (1024 * 1024))
        nomad.users.me()  # log in before measuring
        holder: dict[str, Any] = {}
        up_peak = peak_memory(lambda: holder.update(upload=nomad.uploads.create(source)))
        upload = holder["upload"].wait_until_processed(timeout=600)
        target = Path(scratch) / "copy.bin"
        down_peak = peak_memory(lambda: upload.download_raw(target, path="big.bin", overwrite=True))
        assert target.stat().st_size == size
        url = f"{api}/uploads/{upload.upload_id}/raw/big.bin"
        headers = {"Authorization": f"Bearer {nomad.access_token()}"}
        naive_peak = peak_memory(lambda: httpx.get(url, headers=headers).content)
    print(f"transfers of a {megabytes} MiB file, peak Python memory of the client:")
    for label, peak in (
        ("upload (streamed)        ", up_peak),
        ("download (streamed)      ", down_peak),
        ("httpx .content (baseline)", naive_peak),
    ):
        print(f"  {label} {peak / 2**20:7.2f} MiB   {peak / size:6.1%} of size")

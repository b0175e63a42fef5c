"""Unit tests of the sans-IO drivers: what each step does in the sync and the async driver."""

from __future__ import annotations

import threading

import anyio
import anyio.lowlevel
import httpx

from nomadclient._ops import Blocking, Op, Sleep, run_async, run_sync


def _wait_for(released: threading.Event) -> Op[bool]:
    outcome: bool = yield Blocking(lambda: released.wait(timeout=5))
    return outcome


def test_the_async_driver_runs_blocking_work_off_the_event_loop() -> None:
    released = threading.Event()

    async def release_soon() -> None:
        await anyio.lowlevel.checkpoint()
        released.set()  # only possible while the blocking call waits in another thread

    async def main() -> None:
        async with httpx.AsyncClient() as http, anyio.create_task_group() as tasks:
            tasks.start_soon(release_soon)
            assert await run_async(_wait_for(released), http) is True

    anyio.run(main)


def test_the_sync_driver_answers_steps_and_raises_into_the_operation() -> None:
    def operation() -> Op[str]:
        yield Sleep(0)
        first = yield Blocking(lambda: "answer")
        try:
            yield Blocking(lambda: 1 / 0)
        except ZeroDivisionError:
            return f"{first}, and the failure came back into the operation"
        return "not reached"

    with httpx.Client() as http:
        assert run_sync(operation(), http) == "answer, and the failure came back into the operation"

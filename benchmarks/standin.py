"""The stand-in: populate 100 000 entries, time query pages against a `GET /info` baseline."""

from __future__ import annotations

import statistics
import time

import httpx

from nomadclient.testing import NomadStandIn


def _timed(call: object) -> float:
    start = time.perf_counter()
    call()  # type: ignore[operator]
    return time.perf_counter() - start


def main(n: int = 100_000, pages: int = 200) -> None:
    with NomadStandIn(users={"bench": "bench-password"}) as server, httpx.Client() as client:
        populate_time = _timed(lambda: server.populate(n, username="bench"))
        url = f"{server.api_url}/entries/query"
        body = {"pagination": {"page_size": 100}}
        start = time.perf_counter()
        response = client.post(url, json=body)
        first_page = time.perf_counter() - start
        response.raise_for_status()
        after = response.json()["pagination"]["next_page_after_value"]
        next_times = []
        for _ in range(pages):
            start = time.perf_counter()
            response = client.post(
                url, json={"pagination": {**body["pagination"], "page_after_value": after}}
            )
            next_times.append(time.perf_counter() - start)
            after = response.json()["pagination"].get("next_page_after_value")
            if after is None:
                break
        baseline = [_timed(lambda: client.get(f"{server.api_url}/info")) for _ in range(pages)]
        next_median = statistics.median(next_times)
        baseline_median = statistics.median(baseline)
        print(f"populate {n} entries:          {populate_time:8.3f} s")
        print(f"first page (100, cold query):  {first_page * 1000:8.2f} ms")
        print(f"next page median ({len(next_times)} pages): {next_median * 1000:8.2f} ms")
        print(f"GET /info median (baseline):   {baseline_median * 1000:8.2f} ms")
        print(f"next page / baseline:          {next_median / baseline_median:8.2f}")

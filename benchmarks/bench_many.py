"""Many tasks at once: poll_many's cost, memory and requests, as ratios in one run.

Run it with ``python benchmarks/bench_many.py``. Every schedule runs in
virtual time (a FakeClock, or an asyncio loop whose clock jumps instead of
sleeping), so minutes of polling take a moment and the same seed gives the
same figures. Each line prints the measured ratio next to its target; the
exit status is 1 if any target is missed.
"""

from __future__ import annotations

import asyncio
import gc
import math
import platform
import random
import selectors
import sys
import time
import tracemalloc
from collections.abc import Callable
from functools import partial
from typing import Any

from taskstatus import poll, poll_async, poll_many, poll_many_async

SEED = 2026


class Clock:
    """A virtual monotonic clock that does not record its sleeps."""

    def __init__(self) -> None:
        self.now = 0.0

    def monotonic(self) -> float:
        """The virtual time."""
        return self.now

    def sleep(self, seconds: float) -> None:
        """Move time forward at once."""
        self.now += seconds


def seconds_per_decision_of_poll(attempts: int) -> float:
    """Time one poll of a task that needs ``attempts`` fetches; per fetch."""
    clock = Clock()
    count = 0

    def fetch() -> str:
        nonlocal count
        count += 1
        return "COMPLETED" if count >= attempts else "PENDING"

    start = time.perf_counter()
    poll(fetch, timeout=None, sleep=clock.sleep, clock=clock.monotonic)
    return (time.perf_counter() - start) / attempts


def seconds_per_decision_of_poll_many(tasks: int) -> float:
    """Time poll_many over ``tasks`` tasks that end after a minute; per fetch."""
    clock = Clock()
    calls = 0

    def fetch(key: int) -> str:
        nonlocal calls
        calls += 1
        return "COMPLETED" if clock.now >= 60 else "PENDING"

    start = time.perf_counter()
    poll_many(range(tasks), fetch=fetch, sleep=clock.sleep, clock=clock.monotonic)
    return (time.perf_counter() - start) / calls


def best_of_interleaved(
    measures: list[Callable[[], float]], repeat: int
) -> list[float]:
    """Return the best of several runs of each measure.

    The runs are taken in turn, so that each measure sees the same machine
    load, and the garbage collector is quiet during each.
    """
    results = [math.inf] * len(measures)
    for _ in range(repeat):
        for index, measure in enumerate(measures):
            gc.collect()
            gc.disable()
            try:
                results[index] = min(results[index], measure())
            finally:
                gc.enable()
    return results


def bytes_per_task(tasks: int) -> float:
    """Peak bookkeeping of poll_many per task, results excluded (tracemalloc)."""
    clock = Clock()
    keys = list(range(tasks))
    pending = sys.intern("PENDING")
    completed = sys.intern("COMPLETED")
    peak = 0

    def fetch(key: int) -> str:
        return completed if clock.now >= 30 else pending

    def on_progress(_: object) -> None:
        nonlocal peak
        peak = max(peak, tracemalloc.get_traced_memory()[0])

    gc.collect()
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    results = poll_many(
        keys,
        fetch=fetch,
        on_progress=on_progress,
        sleep=clock.sleep,
        clock=clock.monotonic,
    )
    tracemalloc.stop()
    # The returned dict is the caller's, not bookkeeping.
    return (peak - base - sys.getsizeof(results)) / tasks


def simulated_ends(tasks: int) -> dict[int, float]:
    """Random task durations from seconds to minutes."""
    rng = random.Random(SEED)
    return {key: rng.uniform(2, 300) for key in range(tasks)}


def p95(values: list[float]) -> float:
    """The 95th percentile."""
    ordered = sorted(values)
    return ordered[math.ceil(0.95 * len(ordered)) - 1]


def requests_and_lag(ends: dict[int, float], *, batched: bool) -> tuple[int, float]:
    """Fetch calls and 95th-percentile detection lag of one simulated batch."""
    random.seed(SEED)  # the same jitter for both forms
    clock = Clock()
    calls = 0
    lags: list[float] = []

    def status(key: int) -> str:
        return "COMPLETED" if clock.now >= ends[key] else "PENDING"

    def fetch(key: int) -> str:
        nonlocal calls
        calls += 1
        return status(key)

    def fetch_many(keys: list[int]) -> dict[int, str]:
        nonlocal calls
        calls += 1
        return {key: status(key) for key in keys}

    def on_done(key: int, _: str) -> None:
        lags.append(clock.now - ends[key])

    options: dict[str, Any] = (
        {"fetch_many": fetch_many, "max_batch": 100} if batched else {"fetch": fetch}
    )
    poll_many(
        ends,
        on_done=on_done,
        timeout=None,
        sleep=clock.sleep,
        clock=clock.monotonic,
        **options,
    )
    return calls, p95(lags)


class _JumpingSelector(selectors.DefaultSelector):
    """A selector that, asked to wait, moves the loop's virtual clock instead."""

    def __init__(self, loop: VirtualTimeLoop) -> None:
        super().__init__()
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[Any]:
        """Jump over the wait; nothing here does real I/O."""
        if timeout is None:
            msg = "the simulation would wait for ever"
            raise RuntimeError(msg)
        self._loop.now += max(timeout, 0.0)
        return super().select(0)


class VirtualTimeLoop(asyncio.SelectorEventLoop):
    """An event loop whose time passes only when every task waits."""

    def __init__(self) -> None:
        self.now = 0.0
        super().__init__(selector=_JumpingSelector(self))

    def time(self) -> float:
        """The virtual time."""
        return self.now


def against_gather(ends: dict[int, float], rate: float) -> dict[str, float]:
    """poll_many_async under ``rate`` against gather() of one poll_async per task."""
    outcome: dict[str, float] = {}
    for form in ("gather", "poll_many"):
        random.seed(SEED)
        loop = VirtualTimeLoop()
        requests: list[float] = []

        async def fetch(
            key: int, loop: VirtualTimeLoop = loop, requests: list[float] = requests
        ) -> str:
            requests.append(loop.time())
            return "COMPLETED" if loop.time() >= ends[key] else "PENDING"

        async def run(loop: VirtualTimeLoop = loop, form: str = form) -> None:
            if form == "gather":
                await asyncio.gather(
                    *(
                        poll_async(partial(fetch, key), timeout=None, clock=loop.time)
                        for key in ends
                    )
                )
            else:
                await poll_many_async(
                    ends, fetch=fetch, rate=rate, timeout=None, clock=loop.time
                )

        try:
            loop.run_until_complete(run())
        finally:
            loop.close()
        outcome[f"{form} peak"] = peak_per_second(requests)
        outcome[f"{form} time"] = max(requests)
    return outcome


def peak_per_second(moments: list[float]) -> int:
    """The most requests in any window of one second, wherever it starts.

    asyncio fires a timer up to its clock's resolution early, so a window is
    one second less a microsecond: calls exactly 1 / rate apart are not
    counted twice at its edges.
    """
    ordered = sorted(moments)
    peak = 0
    first = 0
    for last, moment in enumerate(ordered):
        while moment - ordered[first] >= 1 - 1e-6:
            first += 1
        peak = max(peak, last - first + 1)
    return peak


def report(name: str, value: float, target: str, ok: bool) -> bool:
    """Print one line of results."""
    print(f"{name:<58} {value:>10.3f}   target {target:<8} {'ok' if ok else 'MISSED'}")
    return ok


def main() -> int:
    """Measure everything; return 1 if a target is missed."""
    print(f"Python {platform.python_version()} on {platform.machine()}")
    ok = True

    single, small, large = best_of_interleaved(
        [
            lambda: seconds_per_decision_of_poll(100_000),
            lambda: min(seconds_per_decision_of_poll_many(1_000) for _ in range(20)),
            lambda: seconds_per_decision_of_poll_many(100_000),
        ],
        repeat=5,
    )
    print(
        f"per decision: poll {single * 1e6:.2f} µs, poll_many at 1,000 tasks "
        f"{small * 1e6:.2f} µs, at 100,000 tasks {large * 1e6:.2f} µs"
    )
    ok &= report(
        "decision at 100,000 tasks / poll's attempt",
        large / single,
        "<= 3",
        large / single <= 3,
    )
    ok &= report(
        "decision at 100,000 tasks / at 1,000 tasks",
        large / small,
        "<= 2",
        large / small <= 2,
    )

    memory = bytes_per_task(100_000)
    ok &= report(
        "bookkeeping per task at 100,000 tasks (bytes)",
        memory,
        "<= 1024",
        memory <= 1024,
    )

    ends = simulated_ends(10_000)
    single_calls, single_lag = requests_and_lag(ends, batched=False)
    batch_calls, batch_lag = requests_and_lag(ends, batched=True)
    print(
        f"10,000 tasks: per-task polling {single_calls} calls, p95 lag "
        f"{single_lag:.2f} s; fetch_many {batch_calls} calls, p95 lag {batch_lag:.2f} s"
    )
    ok &= report(
        "fetch_many calls / per-task calls",
        batch_calls / single_calls,
        "<= 0.05",
        batch_calls / single_calls <= 0.05,
    )
    ok &= report(
        "fetch_many p95 lag / per-task p95 lag",
        batch_lag / single_lag,
        "<= 1.25",
        batch_lag / single_lag <= 1.25,
    )

    rate = 1000.0
    versus = against_gather(ends, rate)
    print(
        f"10,000 tasks: gather of poll_async peaks at {versus['gather peak']:.0f} "
        f"requests in a second, poll_many_async(rate={rate:g}) at "
        f"{versus['poll_many peak']:.0f}; done at {versus['gather time']:.1f} s "
        f"and {versus['poll_many time']:.1f} s"
    )
    ok &= report(
        "poll_many_async peak requests per second / rate",
        versus["poll_many peak"] / rate,
        "<= 1",
        versus["poll_many peak"] <= rate,
    )
    completion = versus["poll_many time"] / versus["gather time"]
    ok &= report(
        "poll_many_async completion / gather completion",
        completion,
        "<= 1.25",
        completion <= 1.25,
    )
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())

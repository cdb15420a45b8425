"""Speed of the core, as ratios measured in one run on the running interpreter.

Run it with ``python benchmarks/bench_core.py``. Each line times two
statements with :mod:`timeit` (best of several interleaved repeats, so that
both sides see the same machine load) and prints their ratio next to the
target. The exit status is 1 if any target is missed.
"""

from __future__ import annotations

import platform
import sys
import timeit
from collections.abc import Callable

from taskstatus import (
    LIFECYCLE_STATUSES,
    OPERATION_STATUSES,
    POLLABLE_STATUSES,
    TERMINAL_STATUSES,
    TaskStatus,
    is_lifecycle,
    is_operation,
    is_pollable,
    is_terminal,
    parse_status,
)

NUMBER = 200_000
REPEAT = 15
VALUE = "IN_PROGRESS"
STATUS = TaskStatus.PROCESSING
BY_VALUE = {status.value: status for status in TaskStatus}

NAMESPACE: dict[str, object] = {
    "TaskStatus": TaskStatus,
    "parse_status": parse_status,
    "value": VALUE,
    "status": STATUS,
    "by_value": BY_VALUE,
    "is_terminal": is_terminal,
    "is_pollable": is_pollable,
    "is_lifecycle": is_lifecycle,
    "is_operation": is_operation,
    "TERMINAL_STATUSES": TERMINAL_STATUSES,
    "POLLABLE_STATUSES": POLLABLE_STATUSES,
    "LIFECYCLE_STATUSES": LIFECYCLE_STATUSES,
    "OPERATION_STATUSES": OPERATION_STATUSES,
}


def best_nanoseconds(first: str, second: str) -> tuple[float, float]:
    """Time two statements in alternation; return the best time of each, in ns."""
    timers = [timeit.Timer(stmt, globals=NAMESPACE) for stmt in (first, second)]
    best = [float("inf"), float("inf")]
    for _ in range(REPEAT):
        for index, timer in enumerate(timers):
            best[index] = min(best[index], timer.timeit(NUMBER) / NUMBER * 1e9)
    return best[0], best[1]


def check(
    label: str, slow: str, fast: str, target: str, met: Callable[[float], bool]
) -> bool:
    """Print one comparison as slow/fast ratio; return whether the target is met."""
    slow_ns, fast_ns = best_nanoseconds(slow, fast)
    ratio = slow_ns / fast_ns
    verdict = "ok" if met(ratio) else "MISSED"
    print(
        f"{label:<52} {slow_ns:7.1f} ns / {fast_ns:6.1f} ns = {ratio:5.2f}x"
        f"  target {target}  {verdict}"
    )
    return met(ratio)


def main() -> int:
    """Run every comparison and report; return 1 if a target was missed."""
    print(f"{platform.python_implementation()} {platform.python_version()}")
    results = [
        check(
            "TaskStatus(value) vs parse_status(value)",
            "TaskStatus(value)",
            "parse_status(value)",
            target=">= 5x",
            met=lambda ratio: ratio >= 5,
        ),
        check(
            "parse_status(value) vs by_value[value]",
            "parse_status(value)",
            "by_value[value]",
            target="<= 3x",
            met=lambda ratio: ratio <= 3,
        ),
    ]
    for name, members in [
        ("is_terminal", "TERMINAL_STATUSES"),
        ("is_pollable", "POLLABLE_STATUSES"),
        ("is_lifecycle", "LIFECYCLE_STATUSES"),
        ("is_operation", "OPERATION_STATUSES"),
    ]:
        results.append(
            check(
                f"{name}(status) vs status in {members}",
                f"{name}(status)",
                f"status in {members}",
                target="<= 4x",
                met=lambda ratio: ratio <= 4,
            )
        )
    return 0 if all(results) else 1


if __name__ == "__main__":
    sys.exit(main())

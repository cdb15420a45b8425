"""Vocabularies' costs, as ratios measured in one run on the running interpreter.

Run it with ``python benchmarks/bench_vocabulary.py``. Each line times two
statements with :mod:`timeit` (best of interleaved repeats, so that both see
the same machine load) and prints their ratio next to the target. The exit
status is 1 if any target is missed.
"""

from __future__ import annotations

import platform
import sys
import timeit

from taskstatus import coerce_status, vocabulary
from taskstatus._poll import default_get_status

NUMBER = 200_000
REPEAT = 15

BATCH = vocabulary("openai-batch")
RESULT = {
    "id": "batch_1",
    "status": "completed",
    "request_counts": {"completed": 98, "failed": 2, "total": 100},
}
RUN = {"id": 7, "status": "completed", "conclusion": "failure"}
JOB_RUN = {
    "run_id": 7,
    "state": {"life_cycle_state": "TERMINATED", "result_state": "SUCCESS"},
}
NAMESPACE: dict[str, object] = {
    "batch": BATCH,
    "github": vocabulary("github-actions"),
    "databricks": vocabulary("databricks"),
    "coerce_status": coerce_status,
    "result": RESULT,
    "run": RUN,
    "job_run": JOB_RUN,
    "default_get_status": default_get_status,
}

# (label, statement, baseline, target)
CASES = [
    (
        "vocabulary.coerce(known) / coerce_status(known)",
        "batch.coerce('in_progress')",
        "coerce_status('IN_PROGRESS')",
        1.5,
    ),
    (
        # What polling does by default with each result: find the status
        # field, then coerce it.
        "status_of(several fields) / coerce(default_get_status(r))",
        "batch.status_of(result)",
        "batch.coerce(default_get_status(result))",
        3.0,
    ),
    (
        "status_of(status + conclusion) / coerce(default_get_status(r))",
        "github.status_of(run)",
        "github.coerce(default_get_status(run))",
        3.0,
    ),
    (
        # Dotted fields (state.life_cycle_state, then state.result_state),
        # against the same baseline: finding one status field and coercing it.
        "status_of(nested fields) / coerce(default_get_status(r))",
        "databricks.status_of(job_run)",
        "batch.coerce(default_get_status(result))",
        3.0,
    ),
]


def best(statement: str) -> float:
    """Seconds per call of ``statement``: the best of the repeats."""
    timer = timeit.Timer(statement, globals=NAMESPACE)
    return min(timer.repeat(repeat=1, number=NUMBER)) / NUMBER


def main() -> int:
    """Print each ratio beside its target; return 1 if one is missed."""
    print(f"Python {platform.python_version()}")
    missed = 0
    for label, statement, baseline, target in CASES:
        ours = theirs = float("inf")
        for _ in range(REPEAT):  # interleaved: both sides see the same load
            ours = min(ours, best(statement))
            theirs = min(theirs, best(baseline))
        ratio = ours / theirs
        verdict = "ok" if ratio <= target else "MISSED"
        missed += verdict != "ok"
        print(
            f"{label:<64} {ratio:6.2f}  target <= {target:g}  {verdict}"
            f"  ({ours * 1e9:.0f} / {theirs * 1e9:.0f} ns)"
        )
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())

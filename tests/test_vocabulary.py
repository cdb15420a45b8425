"""Vocabularies: the built-in word tables, the several-field readers, the rules."""

from __future__ import annotations

import json
import logging
from pathlib import Path
from types import MappingProxyType, SimpleNamespace
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from helpers import run_python
from taskstatus import (
    VOCABULARIES,
    BatchError,
    PollEvent,
    TaskBoard,
    TaskStatus,
    UnexpectedStatusError,
    Vocabulary,
    poll,
    poll_many,
    vocabulary,
)
from taskstatus.testing import FakeClock


def _prefixed(prefix: str, text: str) -> str:
    """The words of an API that sends them with and without a prefix."""
    return f"{' '.join(prefix + pair for pair in text.split())} {text}"


# Every word of every built-in, as read from the vendors (see each source).
# Pinned here by hand: a change to the data file must change this too.
WORDS: dict[str, str] = {
    "airflow": (
        "removed=SKIPPED scheduled=PENDING queued=QUEUED running=IN_PROGRESS "
        "success=COMPLETED restarting=IN_PROGRESS failed=FAILED "
        "up_for_retry=IN_PROGRESS up_for_reschedule=IN_PROGRESS "
        "upstream_failed=FAILED skipped=SKIPPED deferred=IN_PROGRESS "
        "awaiting_input=SUSPENDED"
    ),
    "aws-batch": (
        "SUBMITTED=PENDING PENDING=PENDING RUNNABLE=QUEUED STARTING=IN_PROGRESS "
        "RUNNING=IN_PROGRESS SUCCEEDED=COMPLETED FAILED=FAILED"
    ),
    "aws-bedrock-batch": (
        "Submitted=PENDING Validating=PENDING Scheduled=QUEUED "
        "InProgress=IN_PROGRESS Completed=COMPLETED "
        "PartiallyCompleted=COMPLETED_WITH_ERRORS Failed=FAILED Expired=FAILED "
        "Stopping=IN_PROGRESS Stopped=CANCELED"
    ),
    "aws-emr-step": (
        "PENDING=PENDING CANCEL_PENDING=PENDING RUNNING=IN_PROGRESS "
        "COMPLETED=COMPLETED CANCELLED=CANCELED FAILED=FAILED "
        "INTERRUPTED=INTERRUPTED"
    ),
    "aws-glue": (
        "STARTING=PENDING RUNNING=IN_PROGRESS STOPPING=IN_PROGRESS "
        "STOPPED=CANCELED SUCCEEDED=COMPLETED FAILED=FAILED TIMEOUT=FAILED "
        "ERROR=FAILED WAITING=QUEUED EXPIRED=FAILED"
    ),
    "aws-sagemaker": (
        "InProgress=IN_PROGRESS Completed=COMPLETED Failed=FAILED "
        "Stopping=IN_PROGRESS Stopped=CANCELED Deleting=CANCELED"
    ),
    "aws-step-functions": (
        "RUNNING=IN_PROGRESS SUCCEEDED=COMPLETED FAILED=FAILED TIMED_OUT=FAILED "
        "ABORTED=CANCELED PENDING_REDRIVE=PENDING"
    ),
    "aws-textract": (
        "IN_PROGRESS=IN_PROGRESS SUCCEEDED=COMPLETED FAILED=FAILED "
        "PARTIAL_SUCCESS=COMPLETED_WITH_ERRORS"
    ),
    "aws-transcribe": (
        "QUEUED=QUEUED IN_PROGRESS=IN_PROGRESS FAILED=FAILED COMPLETED=COMPLETED"
    ),
    "dagster": (
        "QUEUED=QUEUED NOT_STARTED=PENDING MANAGED=UNKNOWN STARTING=PENDING "
        "STARTED=IN_PROGRESS SUSPENDED=SUSPENDED SUCCESS=COMPLETED "
        "FAILURE=FAILED CANCELING=IN_PROGRESS CANCELED=CANCELED"
    ),
    "databricks": (
        "QUEUED=QUEUED PENDING=PENDING RUNNING=IN_PROGRESS "
        "TERMINATING=IN_PROGRESS TERMINATED=UNKNOWN SKIPPED=SKIPPED "
        "INTERNAL_ERROR=FAILED BLOCKED=PENDING WAITING_FOR_RETRY=IN_PROGRESS"
    ),
    "google-batch": (
        "STATE_UNSPECIFIED=UNKNOWN QUEUED=QUEUED SCHEDULED=PENDING "
        "RUNNING=IN_PROGRESS SUCCEEDED=COMPLETED FAILED=FAILED "
        "DELETION_IN_PROGRESS=CANCELED CANCELLATION_IN_PROGRESS=IN_PROGRESS "
        "CANCELLED=CANCELED"
    ),
    "kubernetes-job": (
        "Complete=COMPLETED Failed=FAILED Suspended=SUSPENDED "
        "FailureTarget=IN_PROGRESS SuccessCriteriaMet=IN_PROGRESS"
    ),
    "mlflow": (
        "SCHEDULED=PENDING RUNNING=IN_PROGRESS FINISHED=COMPLETED FAILED=FAILED "
        "KILLED=CANCELED"
    ),
    "prefect": (
        "SCHEDULED=PENDING PENDING=PENDING RUNNING=IN_PROGRESS "
        "COMPLETED=COMPLETED FAILED=FAILED CANCELLED=CANCELED CRASHED=FAILED "
        "PAUSED=SUSPENDED CANCELLING=IN_PROGRESS"
    ),
    "ray": (
        "PENDING=PENDING RUNNING=IN_PROGRESS STOPPED=CANCELED "
        "SUCCEEDED=COMPLETED FAILED=FAILED"
    ),
    "runway": (
        "PENDING=PENDING THROTTLED=QUEUED RUNNING=IN_PROGRESS "
        "SUCCEEDED=COMPLETED FAILED=FAILED CANCELLED=CANCELED"
    ),
    "temporal": _prefixed(
        "WORKFLOW_EXECUTION_STATUS_",
        "UNSPECIFIED=UNKNOWN RUNNING=IN_PROGRESS COMPLETED=COMPLETED "
        "FAILED=FAILED CANCELED=CANCELED TERMINATED=FAILED "
        "CONTINUED_AS_NEW=INTERRUPTED TIMED_OUT=FAILED PAUSED=SUSPENDED",
    ),
    "vertex-ai": _prefixed(
        "JOB_STATE_",
        "UNSPECIFIED=UNKNOWN QUEUED=QUEUED PENDING=PENDING RUNNING=IN_PROGRESS "
        "SUCCEEDED=COMPLETED FAILED=FAILED CANCELLING=IN_PROGRESS "
        "CANCELLED=CANCELED PAUSED=SUSPENDED EXPIRED=FAILED "
        "UPDATING=IN_PROGRESS PARTIALLY_SUCCEEDED=COMPLETED_WITH_ERRORS",
    ),
    "anthropic-batch": "in_progress=IN_PROGRESS canceling=IN_PROGRESS ended=UNKNOWN",
    "azure-lro": (
        "NotStarted=PENDING Accepted=PENDING Running=IN_PROGRESS "
        "Creating=IN_PROGRESS Updating=IN_PROGRESS Deleting=IN_PROGRESS "
        "Succeeded=COMPLETED Failed=FAILED Canceled=CANCELED Cancelled=CANCELED"
    ),
    "celery": (
        "PENDING=PENDING RECEIVED=QUEUED STARTED=IN_PROGRESS RETRY=IN_PROGRESS "
        "REJECTED=PENDING SUCCESS=COMPLETED FAILURE=FAILED REVOKED=CANCELED "
        "IGNORED=SKIPPED"
    ),
    "github-actions": (
        "requested=PENDING pending=PENDING queued=QUEUED in_progress=IN_PROGRESS "
        "waiting=SUSPENDED completed=UNKNOWN"
    ),
    "google-operation": "",
    "mixpeek": " ".join(f"{s.value}={s.value}" for s in TaskStatus),
    "openai-batch": (
        "validating=PENDING in_progress=IN_PROGRESS finalizing=PROCESSING "
        "completed=COMPLETED failed=FAILED expired=FAILED "
        "cancelling=IN_PROGRESS cancelled=CANCELED"
    ),
    "openai-fine-tuning": (
        "validating_files=PENDING queued=QUEUED running=IN_PROGRESS "
        "succeeded=COMPLETED failed=FAILED cancelled=CANCELED"
    ),
    "openai-response": (
        "queued=QUEUED in_progress=IN_PROGRESS completed=COMPLETED "
        "incomplete=COMPLETED_WITH_ERRORS failed=FAILED cancelled=CANCELED"
    ),
    "openai-vector-store-batch": (
        "in_progress=IN_PROGRESS completed=COMPLETED cancelled=CANCELED failed=FAILED"
    ),
    "replicate": (
        "starting=PENDING processing=PROCESSING succeeded=COMPLETED failed=FAILED "
        "canceled=CANCELED aborted=FAILED"
    ),
}


def _table(text: str) -> dict[str, TaskStatus]:
    pairs = (pair.split("=") for pair in text.split())
    return {word: TaskStatus(status) for word, status in pairs}


def test_the_built_ins_are_exactly_the_pinned_ones_in_sorted_order() -> None:
    """VOCABULARIES holds every built-in by name, sorted, read-only."""
    assert sorted(WORDS) == list(VOCABULARIES)
    with pytest.raises(TypeError):
        VOCABULARIES["mine"] = VOCABULARIES["celery"]  # type: ignore[index]


@pytest.mark.parametrize("name", sorted(WORDS))
def test_every_word_of_every_built_in(name: str) -> None:
    """Each built-in maps exactly its pinned words, and cites its source."""
    built_in = vocabulary(name)
    assert _table(WORDS[name]) == dict(built_in.words)
    assert (name, True) == (built_in.name, len(built_in.source) > 10)
    for word, status in built_in.words.items():
        assert status is built_in.coerce(word)
        assert status is built_in.coerce(f" {word.upper()} ")


def test_mixpeek_is_what_coerce_status_reads() -> None:
    """The vendor's own words: every TaskStatus, as itself."""
    assert {status.value: status for status in TaskStatus} == dict(
        vocabulary("mixpeek").words
    )


def test_folding_forgives_case_space_and_dashes() -> None:
    """Succeeded, SUCCEEDED and ' succeeded ' are one word."""
    azure = vocabulary("azure-lro")
    for spelling in ("Succeeded", "SUCCEEDED", " succeeded ", "succeeded"):
        assert TaskStatus.COMPLETED is azure.coerce(spelling)
    fine_tuning = vocabulary("openai-fine-tuning")
    assert TaskStatus.PENDING is fine_tuning.coerce("Validating-Files")


def test_a_table_with_two_spellings_keeps_both_exact() -> None:
    """Spellings that fold alike but differ in meaning match only exactly."""
    odd = Vocabulary("odd", {"Done": "COMPLETED", "DONE": "FAILED"}, source="a test")
    assert TaskStatus.COMPLETED is odd.coerce("Done")
    assert TaskStatus.FAILED is odd.coerce("DONE")
    assert TaskStatus.UNKNOWN is odd.coerce("done")


def _folded(word: str) -> str:
    return word.strip().upper().replace("-", "_").replace(" ", "_")


@given(word=st.text(max_size=30) | st.none() | st.integers() | st.binary(max_size=5))
def test_a_word_a_built_in_does_not_know_is_unknown(word: object) -> None:
    """Fail closed: a word not in the table is UNKNOWN, never a terminal status."""
    for built_in in VOCABULARIES.values():
        known = {_folded(table_word) for table_word in built_in.words}
        if not (isinstance(word, str) and _folded(word) in known):
            assert TaskStatus.UNKNOWN is built_in.coerce(word)


def test_an_unhashable_or_hostile_word_is_unknown() -> None:
    """Coerce never raises."""

    class Hostile:
        def __hash__(self) -> int:
            raise RuntimeError

    celery = vocabulary("celery")
    assert TaskStatus.UNKNOWN is celery.coerce(["SUCCESS"])
    assert TaskStatus.UNKNOWN is celery.coerce(Hostile())
    assert TaskStatus.UNKNOWN is celery.coerce("x" * 10_000)


def test_an_unknown_word_is_logged_once_per_vocabulary(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """One warning per vocabulary and word, naming both and the way out."""
    with caplog.at_level(logging.WARNING, logger="taskstatus"):
        for _ in range(3):
            vocabulary("celery").coerce("REHYDRATING")
            vocabulary("replicate").coerce("REHYDRATING")
    assert [
        "unrecognised task status 'REHYDRATING' in vocabulary 'celery'; reading it "
        "as UNKNOWN (map it with with_words())",
        "unrecognised task status 'REHYDRATING' in vocabulary 'replicate'; reading "
        "it as UNKNOWN (map it with with_words())",
    ] == [record.getMessage() for record in caplog.records]


@given(
    words=st.dictionaries(
        st.text(min_size=1, max_size=8).filter(str.strip),
        st.sampled_from(list(TaskStatus)),
        max_size=4,
    )
)
def test_with_words_never_changes_the_vocabulary_it_came_from(
    words: dict[str, TaskStatus],
) -> None:
    """The new vocabulary has the words added; the old one is as it was."""
    celery = vocabulary("celery")
    before = dict(celery.words)
    extended = celery.with_words(words, name="celery-plus")
    assert before == dict(celery.words)
    assert {**before, **words} == dict(extended.words)
    assert ("celery-plus", celery.source) == (extended.name, extended.source)


def test_with_words_keeps_the_reader_and_the_name() -> None:
    """A new word on a several-field API is read with the same rule."""
    batch = vocabulary("openai-batch").with_words({"archived": "COMPLETED"})
    assert "openai-batch" == batch.name
    assert TaskStatus.COMPLETED_WITH_ERRORS is batch.status_of(
        {"status": "archived", "request_counts": {"failed": 1}}
    )


def test_a_vocabulary_is_immutable() -> None:
    """No attribute can be set or added."""
    celery = vocabulary("celery")
    with pytest.raises(AttributeError, match="a Vocabulary is immutable"):
        celery.name = "other"
    with pytest.raises(TypeError):
        celery.words["NEW"] = TaskStatus.COMPLETED  # type: ignore[index]
    assert "<Vocabulary 'celery': 9 words>" == repr(celery)


BAD_TABLES: list[tuple[tuple[Any, Any], type[Exception], str]] = [
    (("", {}), ValueError, "a vocabulary's name must not be empty"),
    ((7, {}), TypeError, "name must be a string, got 7"),
    (("x", ["done"]), TypeError, "words must be a mapping of word to status"),
    (("x", {"": "COMPLETED"}), ValueError, "must be non-empty strings, got ''"),
    (("x", {1: "COMPLETED"}), ValueError, "must be non-empty strings, got 1"),
    (("x", {"done": "FINISHED"}), ValueError, "'FINISHED' is not a task status"),
]


@pytest.mark.parametrize(("arguments", "error", "message"), BAD_TABLES)
def test_bad_tables_are_refused(
    arguments: tuple[Any, Any], error: type[Exception], message: str
) -> None:
    """A table that cannot translate is refused, naming what is wrong."""
    with pytest.raises(error, match=message):
        Vocabulary(*arguments, source="a test")


def test_an_empty_source_is_refused() -> None:
    """Every vocabulary says where its words come from."""
    with pytest.raises(ValueError, match="source must not be empty"):
        Vocabulary("x", {}, source=" ")
    with pytest.raises(TypeError, match="words must be a mapping"):
        vocabulary("celery").with_words(["x"])  # type: ignore[arg-type]


def test_an_unknown_name_lists_the_close_ones() -> None:
    """A typo gets the names it was probably meant to be."""
    with pytest.raises(ValueError, match="did you mean openai-batch") as error:
        vocabulary("openai-bach")
    assert str(error.value).endswith(
        "(all of them: taskstatus.VOCABULARIES, or `taskstatus vocabularies`)"
    )
    with pytest.raises(ValueError, match="not a built-in vocabulary \\(all of them"):
        vocabulary("zzzzzzzz")
    with pytest.raises(TypeError, match="name must be a string"):
        vocabulary(None)  # type: ignore[arg-type]


# --- reading whole results ------------------------------------------------


@pytest.mark.parametrize(
    ("result", "status"),
    [
        ({"status": "SUCCESS"}, TaskStatus.COMPLETED),
        (MappingProxyType({"status": "REVOKED"}), TaskStatus.CANCELED),
        (SimpleNamespace(status="STARTED"), TaskStatus.IN_PROGRESS),
        ("FAILURE", TaskStatus.FAILED),
        ({"state": "SUCCESS"}, TaskStatus.UNKNOWN),
        (None, TaskStatus.UNKNOWN),
        (7, TaskStatus.UNKNOWN),
    ],
)
def test_status_of_reads_the_status_field(result: object, status: TaskStatus) -> None:
    """A mapping's "status", an object's .status, or the word itself."""
    assert status is vocabulary("celery").status_of(result)


def test_status_of_survives_a_hostile_attribute() -> None:
    """A property that raises is a result without a status."""

    class Hostile:
        @property
        def status(self) -> str:
            raise RuntimeError

    assert TaskStatus.UNKNOWN is vocabulary("celery").status_of(Hostile())


@pytest.mark.parametrize(
    ("name", "counts"),
    [("openai-batch", "request_counts"), ("openai-vector-store-batch", "file_counts")],
)
@pytest.mark.parametrize(
    ("status", "failed", "expected"),
    [
        ("completed", 0, TaskStatus.COMPLETED),
        ("completed", 3, TaskStatus.COMPLETED_WITH_ERRORS),
        ("completed", None, TaskStatus.COMPLETED),
        ("completed", "3", TaskStatus.COMPLETED),
        ("completed", True, TaskStatus.COMPLETED),
        ("completed", -1, TaskStatus.COMPLETED),
        ("in_progress", 3, TaskStatus.IN_PROGRESS),
        ("failed", 3, TaskStatus.FAILED),
    ],
)
def test_a_completed_batch_with_failures_is_a_partial_success(
    name: str, counts: str, status: str, failed: object, expected: TaskStatus
) -> None:
    """Completed with a count of failures above zero is COMPLETED_WITH_ERRORS."""
    result = {"status": status, counts: {"failed": failed, "total": 9}}
    assert expected is vocabulary(name).status_of(result)


def test_a_completed_batch_without_counts_is_completed() -> None:
    """No counts, or counts that are not an object: the word alone."""
    batch = vocabulary("openai-batch")
    assert TaskStatus.COMPLETED is batch.status_of({"status": "completed"})
    assert TaskStatus.COMPLETED is batch.status_of(
        {"status": "completed", "request_counts": "many"}
    )


def _counts(
    succeeded: int, errored: int, expired: int, canceled: int
) -> dict[str, Any]:
    return {
        "processing_status": "ended",
        "request_counts": {
            "processing": 0,
            "succeeded": succeeded,
            "errored": errored,
            "expired": expired,
            "canceled": canceled,
        },
    }


@pytest.mark.parametrize(
    ("result", "status"),
    [
        (_counts(5, 0, 0, 0), TaskStatus.COMPLETED),
        (_counts(0, 0, 0, 0), TaskStatus.COMPLETED),
        (_counts(4, 1, 0, 0), TaskStatus.COMPLETED_WITH_ERRORS),
        (_counts(4, 0, 1, 0), TaskStatus.COMPLETED_WITH_ERRORS),
        (_counts(4, 0, 0, 1), TaskStatus.COMPLETED_WITH_ERRORS),
        (_counts(0, 2, 1, 1), TaskStatus.CANCELED),
        (_counts(0, 2, 1, 0), TaskStatus.FAILED),
        ({"processing_status": "ended"}, TaskStatus.UNKNOWN),
        ({"processing_status": "ended", "request_counts": None}, TaskStatus.UNKNOWN),
        ({"processing_status": "in_progress"}, TaskStatus.IN_PROGRESS),
        ({"processing_status": "canceling"}, TaskStatus.IN_PROGRESS),
        ({}, TaskStatus.UNKNOWN),
    ],
)
def test_an_ended_anthropic_batch_is_read_by_its_request_counts(
    result: object, status: TaskStatus
) -> None:
    """All, some or none succeeded; without counts, UNKNOWN (fail closed)."""
    assert status is vocabulary("anthropic-batch").status_of(result)


@pytest.mark.parametrize(
    ("conclusion", "status"),
    [
        ("success", TaskStatus.COMPLETED),
        ("neutral", TaskStatus.COMPLETED),
        ("failure", TaskStatus.FAILED),
        ("timed_out", TaskStatus.FAILED),
        ("startup_failure", TaskStatus.FAILED),
        ("stale", TaskStatus.FAILED),
        ("cancelled", TaskStatus.CANCELED),
        ("skipped", TaskStatus.SKIPPED),
        ("action_required", TaskStatus.SUSPENDED),
        (None, TaskStatus.UNKNOWN),
        ("exploded", TaskStatus.UNKNOWN),
    ],
)
def test_a_completed_github_run_is_read_by_its_conclusion(
    conclusion: object, status: TaskStatus
) -> None:
    """Completed with failure is FAILED: a failed run never reads as success."""
    run = {"status": "completed", "conclusion": conclusion}
    assert status is vocabulary("github-actions").status_of(run)


def test_words_added_to_a_two_table_vocabulary_reach_its_conclusions() -> None:
    """with_words (and so --map) translates a conclusion the table lacks."""
    github = vocabulary("github-actions").with_words({"exploded": "FAILED"})
    run = {"status": "completed", "conclusion": "exploded"}
    assert TaskStatus.FAILED is github.status_of(run)
    assert TaskStatus.UNKNOWN is vocabulary("github-actions").status_of(run)
    success = {"status": "completed", "conclusion": "SUCCESS"}
    assert TaskStatus.COMPLETED is github.status_of(success)


def test_a_github_run_on_its_way_is_read_by_its_status() -> None:
    """Before it completes, the conclusion does not count."""
    github = vocabulary("github-actions")
    run = {"status": "in_progress", "conclusion": "success"}
    assert TaskStatus.IN_PROGRESS is github.status_of(run)
    assert TaskStatus.SUSPENDED is github.status_of({"status": "waiting"})


@pytest.mark.parametrize(
    ("operation", "status"),
    [
        ({"name": "op", "done": False}, TaskStatus.IN_PROGRESS),
        ({"name": "op"}, TaskStatus.IN_PROGRESS),
        ({"done": "true"}, TaskStatus.IN_PROGRESS),
        ({"done": True, "response": {}}, TaskStatus.COMPLETED),
        ({"done": True, "error": {"code": 1, "message": "x"}}, TaskStatus.CANCELED),
        ({"done": True, "error": {"code": 13}}, TaskStatus.FAILED),
        ({"done": True, "error": {"code": True}}, TaskStatus.FAILED),
        ({"done": True, "error": {}}, TaskStatus.FAILED),
    ],
)
def test_a_google_operation_is_read_by_done_and_error(
    operation: object, status: TaskStatus
) -> None:
    """done, then error.code 1 (CANCELLED) or any other error, else success."""
    assert status is vocabulary("google-operation").status_of(operation)


@pytest.mark.parametrize(
    ("state", "status"),
    [
        ({"life_cycle_state": "RUNNING"}, TaskStatus.IN_PROGRESS),
        ({"life_cycle_state": "TERMINATED", "result_state": "SUCCESS"}, "COMPLETED"),
        (
            {"life_cycle_state": "TERMINATED", "result_state": "SUCCESS_WITH_FAILURES"},
            "COMPLETED_WITH_ERRORS",
        ),
        ({"life_cycle_state": "TERMINATED", "result_state": "TIMEDOUT"}, "FAILED"),
        ({"life_cycle_state": "TERMINATED", "result_state": "CANCELED"}, "CANCELED"),
        (
            {"life_cycle_state": "TERMINATED", "result_state": "UPSTREAM_CANCELED"},
            "CANCELED",
        ),
        ({"life_cycle_state": "TERMINATED", "result_state": "EXCLUDED"}, "SKIPPED"),
        (
            {
                "life_cycle_state": "TERMINATED",
                "result_state": "MAXIMUM_CONCURRENT_RUNS_REACHED",
            },
            "SKIPPED",
        ),
        ({"life_cycle_state": "TERMINATED", "result_state": "DISABLED"}, "SKIPPED"),
        ({"life_cycle_state": "TERMINATED", "result_state": "FAILED"}, "FAILED"),
        (
            {"life_cycle_state": "TERMINATED", "result_state": "UPSTREAM_FAILED"},
            "FAILED",
        ),
        ({"life_cycle_state": "TERMINATED"}, "UNKNOWN"),
        ({"life_cycle_state": "TERMINATED", "result_state": None}, "UNKNOWN"),
        ({"life_cycle_state": "INTERNAL_ERROR", "result_state": "FAILED"}, "FAILED"),
        ({"life_cycle_state": "SKIPPED"}, "SKIPPED"),
        ({}, "UNKNOWN"),
    ],
)
def test_a_databricks_run_is_read_by_its_life_cycle_and_result(
    state: dict[str, object], status: str
) -> None:
    """TERMINATED is told apart by result_state, in a run or its state alone."""
    databricks = vocabulary("databricks")
    assert TaskStatus(status) is databricks.status_of({"run_id": 7, "state": state})
    assert TaskStatus(status) is databricks.status_of(state)


def _job(*conditions: tuple[str, str]) -> dict[str, object]:
    listed = [{"type": kind, "status": true} for kind, true in conditions]
    return {"kind": "Job", "status": {"active": 1, "conditions": listed}}


@pytest.mark.parametrize(
    ("job", "status"),
    [
        ({"kind": "Job", "status": {}}, TaskStatus.IN_PROGRESS),
        (_job(), TaskStatus.IN_PROGRESS),
        (_job(("Complete", "True")), TaskStatus.COMPLETED),
        (_job(("Complete", "False")), TaskStatus.IN_PROGRESS),
        (_job(("SuccessCriteriaMet", "True")), TaskStatus.IN_PROGRESS),
        (_job(("SuccessCriteriaMet", "True"), ("Complete", "True")), "COMPLETED"),
        (_job(("FailureTarget", "True"), ("Failed", "True")), TaskStatus.FAILED),
        (_job(("Suspended", "True")), TaskStatus.SUSPENDED),
        (_job(("Suspended", "False")), TaskStatus.IN_PROGRESS),
        (_job(("Suspended", "True"), ("Failed", "True")), TaskStatus.FAILED),
        (_job(("Exploded", "True")), TaskStatus.UNKNOWN),
        (_job(("Exploded", "True"), ("Suspended", "True")), TaskStatus.SUSPENDED),
        (_job(("Complete", True)), TaskStatus.IN_PROGRESS),  # type: ignore[arg-type]
        ({"kind": "Job", "status": {"conditions": None}}, TaskStatus.IN_PROGRESS),
        ({"kind": "Job", "status": {"conditions": "Complete"}}, TaskStatus.UNKNOWN),
        ({"kind": "Job", "status": "Complete"}, TaskStatus.UNKNOWN),
        ({"kind": "Job"}, TaskStatus.UNKNOWN),
    ],
)
def test_a_kubernetes_job_is_read_by_its_true_conditions(
    job: dict[str, object], status: str
) -> None:
    """A true terminal condition decides; none yet is on its way."""
    assert TaskStatus(status) is vocabulary("kubernetes-job").status_of(job)


@pytest.mark.parametrize(
    ("name", "result", "status"),
    [
        (
            "aws-transcribe",
            {"TranscriptionJob": {"TranscriptionJobStatus": "COMPLETED"}},
            "COMPLETED",
        ),
        (
            "aws-transcribe",
            {"MedicalTranscriptionJob": {"TranscriptionJobStatus": "FAILED"}},
            "FAILED",
        ),
        ("aws-textract", {"JobStatus": "PARTIAL_SUCCESS"}, "COMPLETED_WITH_ERRORS"),
        ("aws-glue", {"JobRun": {"JobRunState": "TIMEOUT"}}, "FAILED"),
        ("aws-sagemaker", {"TrainingJobStatus": "Stopped"}, "CANCELED"),
        ("aws-sagemaker", {"ProcessingJobStatus": "Completed"}, "COMPLETED"),
        ("aws-emr-step", {"Step": {"Status": {"State": "CANCEL_PENDING"}}}, "PENDING"),
        ("aws-step-functions", {"status": "TIMED_OUT"}, "FAILED"),
        ("google-batch", {"status": {"state": "SUCCEEDED"}}, "COMPLETED"),
        (
            "vertex-ai",
            {"state": "JOB_STATE_PARTIALLY_SUCCEEDED"},
            "COMPLETED_WITH_ERRORS",
        ),
        ("prefect", {"state": {"type": "CRASHED"}}, "FAILED"),
        ("prefect", {"state_type": "COMPLETED", "state": None}, "COMPLETED"),
        (
            "temporal",
            {
                "workflowExecutionInfo": {
                    "status": "WORKFLOW_EXECUTION_STATUS_TIMED_OUT"
                }
            },
            "FAILED",
        ),
        ("mlflow", {"info": {"status": "KILLED"}}, "CANCELED"),
        ("mlflow", {"run": {"info": {"status": "FINISHED"}}}, "COMPLETED"),
        ("aws-glue", {"JobRun": None}, "UNKNOWN"),
        ("aws-glue", {"JobRun": "SUCCEEDED"}, "UNKNOWN"),
        ("aws-glue", "SUCCEEDED", "COMPLETED"),
    ],
)
def test_each_built_in_reads_its_own_field(
    name: str, result: object, status: str
) -> None:
    """The status word is found in the first of the API's fields that is there."""
    assert TaskStatus(status) is vocabulary(name).status_of(result)


@pytest.mark.parametrize(
    ("name", "result", "read"),
    [
        ("celery", {"status": "SUCCESS"}, (TaskStatus.COMPLETED, "SUCCESS")),
        ("celery", {"status": "NEW"}, (TaskStatus.UNKNOWN, "NEW")),
        ("celery", {}, (TaskStatus.UNKNOWN, None)),
        (
            "github-actions",
            {"status": "completed", "conclusion": "failure"},
            (TaskStatus.FAILED, "failure"),
        ),
        ("github-actions", {"status": "queued"}, (TaskStatus.QUEUED, "queued")),
        (
            "openai-batch",
            {"status": "completed", "request_counts": {"failed": 2}},
            (TaskStatus.COMPLETED_WITH_ERRORS, "completed"),
        ),
        ("anthropic-batch", _counts(1, 1, 0, 0), ("COMPLETED_WITH_ERRORS", "ended")),
        ("google-operation", {"done": False}, (TaskStatus.IN_PROGRESS, None)),
        ("google-operation", {"done": True}, (TaskStatus.COMPLETED, None)),
        ("google-operation", {"done": True, "error": {"code": 9}}, ("FAILED", 9)),
        ("google-operation", {"done": True, "error": "boom"}, ("FAILED", None)),
        ("kubernetes-job", {"status": {"conditions": ["True"]}}, ("IN_PROGRESS", None)),
        ("kubernetes-job", _job(("Failed", "True")), (TaskStatus.FAILED, "Failed")),
        ("aws-glue", {"JobRun": {"JobRunState": "STOPPED"}}, ("CANCELED", "STOPPED")),
    ],
)
def test_read_gives_the_status_and_the_servers_own_word(
    name: str, result: object, read: tuple[str, object]
) -> None:
    """read() is status_of() with the word the status came from."""
    status, word = vocabulary(name).read(result)
    assert (TaskStatus(read[0]), read[1]) == (status, word)
    assert status is vocabulary(name).status_of(result)


def test_a_vocabulary_of_your_own_can_read_other_fields() -> None:
    """fields= says where an API keeps its word; with_words keeps it."""
    ours = Vocabulary(
        "ours", {"ok": "COMPLETED"}, source="our API", fields=("job.state", "state")
    )
    assert ("job.state", "state") == ours.fields
    assert TaskStatus.COMPLETED is ours.status_of({"job": {"state": "ok"}})
    assert TaskStatus.COMPLETED is ours.status_of({"state": "OK"})
    again = ours.with_words({"bad": "FAILED"})
    assert (TaskStatus.FAILED, ours.fields) == (
        again.status_of({"state": "bad"}),
        again.fields,
    )
    assert ("status",) == Vocabulary("x", {}, source="ours").fields
    listed = Vocabulary("jobs", {"ok": "COMPLETED"}, source="ours", fields=["jobs.0.s"])
    assert TaskStatus.COMPLETED is listed.status_of({"jobs": [{"s": "ok"}]})
    assert TaskStatus.UNKNOWN is listed.status_of({"jobs": []})
    assert TaskStatus.UNKNOWN is listed.status_of({"jobs": {"0": None}})


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        (
            "status",
            TypeError,
            "fields must be a sequence of dotted paths, got 'status'",
        ),
        (None, TypeError, "fields must be a sequence of dotted paths, got None"),
        ((), ValueError, "the fields of 'x' must be dotted paths"),
        (("a..b",), ValueError, "the fields of 'x' must be dotted paths"),
        ((3,), ValueError, "the fields of 'x' must be dotted paths"),
    ],
)
def test_bad_fields_are_refused(
    fields: object, error: type[Exception], message: str
) -> None:
    """A field is a non-empty dotted path; the message names what was given."""
    with pytest.raises(error, match=message.replace("(", r"\(").replace(".", r"\.")):
        Vocabulary("x", {}, source="ours", fields=fields)  # type: ignore[arg-type]


def test_import_taskstatus_does_not_load_the_tables() -> None:
    """The built-in tables are read on first use, not at import."""
    code = (
        "import sys, taskstatus\n"
        "print('taskstatus._vocabulary' in sys.modules)\n"
        "taskstatus.vocabulary('celery')\n"
        "print('taskstatus._vocabulary' in sys.modules)"
    )
    assert "False\nTrue" == run_python(code).strip()


def _doc_table(rows: list[tuple[str, str, str]], heading: str) -> str:
    lines = [f"| {heading} | status | why |", "| --- | --- | --- |"]
    lines += [f"| `{word}` | `{status}` | {why} |" for word, status, why in rows]
    return "\n".join(lines)


def test_docs_have_one_table_per_built_in_matching_the_data() -> None:
    """docs/vocabularies.md shows every word, status and reason of the data."""
    root = Path(__file__).parent.parent
    doc = (root / "docs" / "vocabularies.md").read_text(encoding="utf-8")
    data = json.loads(
        (root / "src" / "taskstatus" / "vocabularies.json").read_text(encoding="utf-8")
    )
    for name, entry in data.items():
        assert (
            f"## `{name}`\n\n{entry['api']}. Read from: {entry['source']}.\n\n"
            f"Reads: {entry['reads']}"
        ) in doc
        # The words of "reads" are for people; the fields are what is read.
        fields = entry.get("fields", ["status"])
        assert all(f"`{field}`" in entry["reads"] for field in fields), name
        assert fields == list(vocabulary(name).fields)
        for key, heading in (("words", "word"), ("conclusions", "conclusion")):
            rows = [(w, s, why) for w, (s, why) in entry.get(key, {}).items()]
            if rows:
                assert _doc_table(rows, heading) in doc, name


# --- the server's own word, kept where a user looks for it ----------------


def test_poll_events_keep_the_servers_word() -> None:
    """Each PollEvent carries the word its status was read from."""
    clock = FakeClock()
    replies = iter(
        [
            {"status": "queued"},
            {"status": "in_progress"},
            {"status": "completed", "conclusion": "success"},
        ]
    )
    events: list[PollEvent[Any]] = []
    poll(
        lambda: next(replies),
        vocabulary="github-actions",
        on_poll=events.append,
        sleep=clock.sleep,
        clock=clock.monotonic,
    )
    assert [("QUEUED", "queued"), ("IN_PROGRESS", "in_progress")] == [
        (event.status.value, event.word) for event in events
    ]


def test_poll_events_keep_the_word_get_status_found() -> None:
    """Without a vocabulary, the word is what get_status (or the default) found."""
    clock = FakeClock()
    replies = iter([{"state": "Running"}, {"state": "COMPLETED"}])
    events: list[PollEvent[Any]] = []
    poll(
        lambda: next(replies),
        get_status=lambda reply: reply["state"],
        on_poll=events.append,
        sleep=clock.sleep,
        clock=clock.monotonic,
    )
    assert [(TaskStatus.UNKNOWN, "Running")] == [(e.status, e.word) for e in events]


def test_a_status_waiting_cannot_change_names_the_servers_word() -> None:
    """A run that waits for a person stops polling, and the error says its word."""
    clock = FakeClock()
    with pytest.raises(UnexpectedStatusError) as raised:
        poll(
            lambda: {"status": "waiting"},
            vocabulary="github-actions",
            sleep=clock.sleep,
            clock=clock.monotonic,
        )
    assert ("waiting", TaskStatus.SUSPENDED) == (raised.value.word, raised.value.status)
    assert str(raised.value).startswith(
        "polling stopped at status SUSPENDED (the server said 'waiting'), which"
    )


def test_a_word_that_is_the_status_itself_is_not_said_twice() -> None:
    """The message repeats no word that is the status's own value."""
    error = UnexpectedStatusError(TaskStatus.SKIPPED, {}, word="SKIPPED")
    assert "said" not in str(error)
    error = UnexpectedStatusError(TaskStatus.SKIPPED, {}, word=None)
    assert "said" not in str(error)


def test_poll_many_names_the_word_of_a_task_that_cannot_change() -> None:
    """In a batch too, the error of a task that waiting cannot change has its word."""
    clock = FakeClock()
    replies = {"a": {"state": "running"}, "b": {"state": "awaiting_input"}}
    with pytest.raises(BatchError) as raised:
        poll_many(
            ["a", "b"],
            fetch=replies.__getitem__,
            vocabulary="airflow",
            sleep=clock.sleep,
            clock=clock.monotonic,
        )
    cause = raised.value.__cause__
    assert isinstance(cause, UnexpectedStatusError)
    assert ("b", "awaiting_input", TaskStatus.SUSPENDED) == (
        cause.key,
        cause.word,
        cause.status,
    )


def test_the_board_keeps_the_word_of_the_status_it_holds(tmp_path: Path) -> None:
    """A status the board held already does not borrow a late poll's word."""
    clock = FakeClock()
    with TaskBoard.open(tmp_path / "board.db") as board:
        board.update("b", TaskStatus.INTERRUPTED)
        replies = {"a": {"state": "running"}, "b": {"state": "queued"}}
        with pytest.raises(BatchError) as raised:
            poll_many(
                ["a", "b"],
                fetch=replies.__getitem__,
                vocabulary="airflow",
                board=board,
                sleep=clock.sleep,
                clock=clock.monotonic,
            )
    cause = raised.value.__cause__
    assert isinstance(cause, UnexpectedStatusError)
    assert ("b", TaskStatus.INTERRUPTED, None) == (cause.key, cause.status, cause.word)


class _HostileWord(str):
    """A word whose comparisons raise, as a hostile object might."""

    __hash__ = str.__hash__

    def __eq__(self, other: object) -> bool:
        raise RuntimeError

    def __ne__(self, other: object) -> bool:
        raise RuntimeError


@pytest.mark.parametrize(
    ("name", "result"),
    [
        ("github-actions", {"status": _HostileWord("completed")}),
        ("anthropic-batch", {"processing_status": _HostileWord("ended")}),
        ("databricks", {"state": {"life_cycle_state": _HostileWord("TERMINATED")}}),
    ],
)
def test_a_result_that_raises_as_it_is_read_is_unknown(
    name: str, result: object
) -> None:
    """status_of and read never raise: what cannot be read is UNKNOWN."""
    assert TaskStatus.UNKNOWN is vocabulary(name).status_of(result)
    assert (TaskStatus.UNKNOWN, None) == vocabulary(name).read(result)

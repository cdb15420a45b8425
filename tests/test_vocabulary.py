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
    TaskStatus,
    Vocabulary,
    vocabulary,
)

# Every word of every built-in, as read from the vendors (see each source).
# Pinned here by hand: a change to the data file must change this too.
WORDS: dict[str, str] = {
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
    assert "(all: anthropic-batch, azure-lro" in str(error.value)
    with pytest.raises(ValueError, match="not a built-in vocabulary \\(all: "):
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
        assert f"## `{name}`\n\n{entry['api']}. Read from: {entry['source']}." in doc
        for key, heading in (("words", "word"), ("conclusions", "conclusion")):
            rows = [(w, s, why) for w, (s, why) in entry.get(key, {}).items()]
            if rows:
                assert _doc_table(rows, heading) in doc, name

"""``taskstatus wait --vocabulary / --map`` and ``taskstatus vocabularies``.

Run as the installed console script against real servers on 127.0.0.1,
with the bodies the vendors' APIs send.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import cast

import pytest

from helpers import FAST, Reply, ScriptedServer, taskstatus
from taskstatus._cli._batch import MAX_UNKNOWN_WORDS


def _batch(status: str, failed: int = 0) -> Reply:
    """An OpenAI batch object, as GET /v1/batches/{id} returns it."""
    counts = {"total": 10, "completed": 10 - failed, "failed": failed}
    return Reply(
        {"id": "batch_1", "object": "batch", "status": status, "request_counts": counts}
    )


def _run(status: str, conclusion: str | None = None) -> Reply:
    """A GitHub Actions workflow run, as GET .../actions/runs/{id} returns it."""
    return Reply({"id": 7, "status": status, "conclusion": conclusion})


def _operation(**fields: object) -> Reply:
    """A Google long-running operation; an unfinished one leaves out done."""
    return Reply({"name": "operations/op-1", **fields})


@pytest.mark.parametrize(
    ("final", "code", "status"),
    [
        (_batch("completed"), 0, "COMPLETED"),
        (_batch("completed", failed=2), 3, "COMPLETED_WITH_ERRORS"),
        (_batch("failed"), 4, "FAILED"),
        (_batch("expired"), 4, "FAILED"),
        (_batch("cancelled"), 5, "CANCELED"),
    ],
)
def test_an_openai_batch_ends_with_its_exit_code(
    task_server: ScriptedServer, final: Reply, code: int, status: str
) -> None:
    """validating, in_progress, finalizing, cancelling are polled; the end counts."""
    task_server.script(
        _batch("validating"), _batch("in_progress"), _batch("cancelling"), final
    )
    run = taskstatus("wait", task_server.url, "--vocabulary", "openai-batch", *FAST)
    assert code == run.returncode, run.stderr
    assert run.stdout.startswith(f"{status} (")
    assert "poll 1: PENDING ('validating') after" in run.stderr
    assert 4 == len(task_server.seen)


@pytest.mark.parametrize(
    ("final", "code"),
    [
        (_run("completed", "success"), 0),
        (_run("completed", "failure"), 4),
        (_run("completed", "timed_out"), 4),
        (_run("completed", "startup_failure"), 4),
        (_run("completed", "cancelled"), 5),
    ],
)
def test_a_github_run_ends_with_the_exit_code_of_its_conclusion(
    task_server: ScriptedServer, final: Reply, code: int
) -> None:
    """A completed run that failed exits 4, never 0."""
    task_server.script(_run("queued"), _run("in_progress"), final)
    run = taskstatus("wait", task_server.url, "--vocabulary", "github-actions", *FAST)
    assert code == run.returncode, run.stderr


def test_a_github_run_that_waits_for_a_person_is_an_error(
    task_server: ScriptedServer,
) -> None:
    """Waiting is SUSPENDED: waiting cannot change it, and the error says its word."""
    task_server.script(_run("in_progress"), _run("waiting"))
    run = taskstatus("wait", task_server.url, "--vocabulary", "github-actions", *FAST)
    assert 1 == run.returncode
    assert run.stderr.endswith(
        "taskstatus wait: the task is SUSPENDED ('waiting'), which waiting "
        "cannot change\n"
    )


def test_a_skipped_github_run_in_a_batch_is_an_error_with_its_word(
    task_server: ScriptedServer,
) -> None:
    """In a batch, the task whose status waiting cannot change names the word."""
    task_server.script(_run("completed", "success"), path="/a")
    task_server.script(_run("completed", "action_required"), path="/b")
    urls = [task_server.url + "/a", task_server.url + "/b"]
    run = taskstatus("wait", *urls, "--vocabulary", "github-actions", *FAST)
    assert 1 == run.returncode
    assert (
        "taskstatus wait: the task is SUSPENDED ('action_required'), which waiting "
        "cannot change" in run.stderr
    )
    assert f"COMPLETED ('success') {urls[0]}" in run.stderr


@pytest.mark.parametrize(
    ("final", "code"),
    [
        (_operation(done=True, response={"@type": "x"}), 0),
        (_operation(done=True, error={"code": 1, "message": "cancelled"}), 5),
        (_operation(done=True, error={"code": 13, "message": "internal"}), 4),
    ],
)
def test_a_google_operation_ends_with_the_exit_code_of_done_and_error(
    task_server: ScriptedServer, final: Reply, code: int
) -> None:
    """Not done (done left out, or false) is polled; done with an error is not 0."""
    task_server.script(_operation(), _operation(done=False), final)
    run = taskstatus("wait", task_server.url, "--vocabulary", "google-operation", *FAST)
    assert code == run.returncode, run.stderr
    assert 3 == len(task_server.seen)


def test_map_turns_a_custom_apis_words_into_a_clean_wait(
    task_server: ScriptedServer,
) -> None:
    """--map, repeated, reads a team's own words; nothing is left unknown."""
    task_server.script(
        Reply({"job": {"state": "crunching"}}), Reply({"job": {"state": "Done"}})
    )
    run = taskstatus(
        "wait",
        task_server.url,
        "--field",
        "job.state",
        "--map",
        "crunching=IN_PROGRESS",
        "--map",
        "done=COMPLETED",
        *FAST,
    )
    assert (0, "") == (run.returncode, run.stderr.replace(_poll_line(run), ""))
    assert run.stdout.startswith("COMPLETED ('Done') after 2 polls in ")


def _poll_line(run: object) -> str:
    lines = getattr(run, "stderr", "").splitlines(keepends=True)
    return "".join(line for line in lines if line.startswith("poll 1: IN_PROGRESS"))


def test_the_hint_for_an_unknown_conclusion_is_one_that_works(
    task_server: ScriptedServer,
) -> None:
    """A conclusion GitHub adds is named, and the --map it suggests ends the wait."""
    task_server.script(_run("completed", "exploded"))
    run = taskstatus(
        "wait",
        task_server.url,
        "--vocabulary",
        "github-actions",
        *FAST,
        "--timeout",
        "0.2",
    )
    assert 124 == run.returncode
    assert "map it with --map exploded=STATUS" in run.stderr
    mapped = taskstatus(
        "wait",
        task_server.url,
        "--vocabulary",
        "github-actions",
        "--map",
        "exploded=FAILED",
    )
    assert 4 == mapped.returncode, mapped.stderr


def test_map_applies_on_top_of_a_vocabulary(task_server: ScriptedServer) -> None:
    """A vendor's brand-new word, mapped, ends the wait; the others still count."""
    task_server.script(_batch("in_progress"), _batch("archived"))
    run = taskstatus(
        "wait",
        task_server.url,
        "--vocabulary",
        "openai-batch",
        "--map",
        "archived=COMPLETED",
        *FAST,
    )
    assert 0 == run.returncode, run.stderr


def test_an_unknown_word_is_polled_until_the_deadline_and_named(
    task_server: ScriptedServer,
) -> None:
    """Fail closed: never success; the progress says the word and how to map it."""
    task_server.script(_batch("succeeded"))
    run = taskstatus(
        "wait",
        task_server.url,
        "--vocabulary",
        "openai-batch",
        *FAST,
        "--timeout",
        "0.3",
    )
    assert 124 == run.returncode
    assert (
        "poll 1: UNKNOWN ('succeeded' is not a word openai-batch knows: polling "
        "on until --timeout; map it with --map succeeded=STATUS) after"
    ) in run.stderr
    assert "unrecognised" not in run.stderr  # said once, by the command


@pytest.mark.parametrize(
    ("arguments", "body"),
    [
        ([], {"status": "UNKNOWN"}),
        (["--vocabulary", "dagster"], {"status": "MANAGED"}),
        (["--vocabulary", "google-batch"], {"status": {"state": "STATE_UNSPECIFIED"}}),
    ],
)
def test_a_word_the_table_reads_as_unknown_gets_no_hint(
    task_server: ScriptedServer, arguments: list[str], body: object
) -> None:
    """Only a word missing from the table is named, for one URL and for many."""
    task_server.script(Reply(body))
    timeout = ["--timeout", "0.2"]
    one = taskstatus("wait", task_server.url, *arguments, *FAST, *timeout)
    many = taskstatus(
        "wait",
        task_server.url + "/a",
        task_server.url + "/b",
        *arguments,
        *FAST,
        *timeout,
    )
    assert (124, 124) == (one.returncode, many.returncode)
    assert "is not a word" not in one.stderr + many.stderr
    assert "poll 1: UNKNOWN" in one.stderr


def test_an_unknown_word_that_needs_quoting_is_quoted(
    task_server: ScriptedServer,
) -> None:
    """The --map hint can be pasted into a shell as it is."""
    task_server.script(Reply({"status": "on hold"}))
    run = taskstatus("wait", task_server.url, *FAST, "--timeout", "0.2")
    assert "map it with --map 'on hold=STATUS')" in run.stderr


def test_quiet_prints_no_warning_about_unknown_words(
    task_server: ScriptedServer,
) -> None:
    """--quiet prints errors only: the deadline, not the words on the way."""
    task_server.script(Reply({"status": "exploded"}))
    run = taskstatus("wait", task_server.url, *FAST, "--timeout", "0.2", "--quiet")
    assert 124 == run.returncode
    assert run.stderr.startswith("taskstatus wait: task still UNKNOWN after ")
    assert "exploded" not in run.stderr


def test_json_records_keep_the_servers_word(task_server: ScriptedServer) -> None:
    """Each poll record and the final one carry the word as the server sent it."""
    task_server.script(_batch("in_progress"), _batch("completed", failed=1))
    run = taskstatus(
        "wait", task_server.url, "--vocabulary", "openai-batch", "--json", *FAST
    )
    records = [json.loads(line) for line in run.stdout.splitlines()]
    assert [("IN_PROGRESS", "in_progress"), ("COMPLETED_WITH_ERRORS", "completed")] == [
        (record["status"], record["word"]) for record in records
    ]
    assert 3 == records[-1]["exit_code"]


def test_a_batch_names_at_most_twenty_unknown_words(
    task_server: ScriptedServer,
) -> None:
    """Past `MAX_UNKNOWN_WORDS` distinct words, the rest go unnamed."""
    paths = [f"/u{number}" for number in range(MAX_UNKNOWN_WORDS + 3)]
    for path in paths:
        word, done = f"WORD{path[2:]}", "SUCCEEDED"
        task_server.script(
            Reply({"JobStatus": word}), Reply({"JobStatus": done}), path=path
        )
    urls = [task_server.url + path for path in paths]
    run = taskstatus("wait", *urls, "--vocabulary", "aws-textract", *FAST)
    assert 0 == run.returncode, run.stderr
    named = re.findall(r"'WORD(\d+)' is not a word aws-textract knows", run.stderr)
    assert MAX_UNKNOWN_WORDS == len(set(named)) == len(named)


def test_many_urls_keep_each_word_and_name_an_unknown_one_once(
    task_server: ScriptedServer,
) -> None:
    """Lines and --json records keep the word; an unknown word is said once."""
    task_server.script(Reply({"JobStatus": "SUCCEEDED"}), path="/a")
    task_server.script(Reply({"JobStatus": "PARTIAL_SUCCESS"}), path="/b")
    task_server.script(Reply({"JobStatus": "REVIEWING"}), path="/c")
    task_server.script(Reply({"JobStatus": "REVIEWING"}), path="/d")
    urls = [task_server.url + path for path in ("/a", "/b", "/c", "/d")]
    common = ["--vocabulary", "aws-textract", *FAST, "--timeout", "0.5"]
    run = taskstatus("wait", *urls, *common)
    assert 124 == run.returncode
    assert f"COMPLETED ('SUCCEEDED') {urls[0]}" in run.stderr
    assert f"COMPLETED_WITH_ERRORS ('PARTIAL_SUCCESS') {urls[1]}" in run.stderr
    assert 1 == run.stderr.count("'REVIEWING' is not a word aws-textract knows")
    assert "map it with --map REVIEWING=STATUS" in run.stderr
    run = taskstatus("wait", *urls[1:], *common, "--json")
    records = [json.loads(line) for line in run.stdout.splitlines()]
    assert [("COMPLETED_WITH_ERRORS", "PARTIAL_SUCCESS")] == [
        (record["status"], record["word"]) for record in records[:-1]
    ]
    assert 1 == run.stderr.count("'REVIEWING' is not a word aws-textract knows")


def test_the_word_survives_a_board_file(
    task_server: ScriptedServer, tmp_path: Path
) -> None:
    """A task settled in an earlier run shows its word when read back."""
    task_server.script(Reply({"status": "SUCCESS"}))
    board = str(tmp_path / "board.db")
    common = [task_server.url, "--vocabulary", "celery", "--state", board, *FAST]
    assert 0 == taskstatus("wait", *common).returncode
    again = taskstatus("wait", *common, "--json")
    assert 1 == len(task_server.seen)
    assert "SUCCESS" == json.loads(again.stdout.splitlines()[0])["word"]


@pytest.mark.parametrize(
    ("body", "field", "code"),
    [
        ({"jobs": [{"jobId": "j", "status": "SUCCEEDED"}]}, "jobs.0", 0),
        ({"jobs": [{"jobId": "j", "status": "FAILED"}]}, "jobs.0", 4),
        ({"jobs": [{"jobId": "j", "status": "SUCCEEDED"}]}, "jobs.0.status", 0),
    ],
)
def test_field_points_at_the_object_the_vocabulary_reads_or_the_word(
    task_server: ScriptedServer, body: object, field: str, code: int
) -> None:
    """--field leads to the object holding the fields, or to the word itself."""
    task_server.script(Reply(body))
    run = taskstatus(
        "wait", task_server.url, "--vocabulary", "aws-batch", "--field", field, *FAST
    )
    assert code == run.returncode, run.stderr


def test_a_body_without_any_field_the_vocabulary_reads_is_an_error(
    task_server: ScriptedServer,
) -> None:
    """The message names every field that was looked for."""
    task_server.script(Reply({"JobName": "nightly"}))
    run = taskstatus("wait", task_server.url, "--vocabulary", "aws-glue", *FAST)
    assert 1 == run.returncode
    assert run.stderr.endswith(
        "taskstatus wait: none of the fields aws-glue reads is in the response "
        "body: 'JobRun.JobRunState', 'JobRunState'\n"
    )


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--vocabulary", "openai-bach"],
            "argument --vocabulary: 'openai-bach' is not a built-in vocabulary; "
            "did you mean openai-batch",
        ),
        (["--map", "done"], "expected WORD=STATUS, such as done=COMPLETED, got 'done'"),
        (["--map", "=COMPLETED"], "expected WORD=STATUS"),
        (["--map", "done=FINISHED"], "argument --map: 'done': "),
    ],
)
def test_bad_vocabulary_options_are_usage_errors(
    arguments: list[str], message: str
) -> None:
    """Exit 2 with a message that names the value and what was expected."""
    run = taskstatus("wait", "http://127.0.0.1:9/t", *arguments)
    assert 2 == run.returncode
    assert message in run.stderr
    assert "Traceback" not in run.stderr


# --- taskstatus vocabularies -----------------------------------------------


def _data() -> dict[str, dict[str, object]]:
    path = Path(__file__).parent.parent / "src" / "taskstatus" / "vocabularies.json"
    loaded: dict[str, dict[str, object]] = json.loads(path.read_text("utf-8"))
    return loaded


def test_vocabularies_lists_every_built_in_with_its_api_and_source() -> None:
    """One line for the name and API, one for the source, for each built-in."""
    run = taskstatus("vocabularies")
    assert 0 == run.returncode
    lines = run.stdout.splitlines()
    assert lines[0].startswith("NAME ")
    data = _data()
    assert 1 + 2 * len(data) == len(lines)
    for name, entry in data.items():
        index = next(i for i, line in enumerate(lines) if line.startswith(f"{name} "))
        assert lines[index].endswith(f"  {entry['api']}")
        assert lines[index + 1].strip() == entry["source"]


def test_vocabularies_json_lists_names_apis_and_sources() -> None:
    """--json: one object per built-in, in sorted order."""
    listed = json.loads(taskstatus("vocabularies", "--json").stdout)
    assert [
        {"name": name, "api": entry["api"], "source": entry["source"]}
        for name, entry in sorted(_data().items())
    ] == listed


def test_a_vocabularys_table_shows_every_word_and_why() -> None:
    """NAME prints what it reads, then each word, status and reason."""
    run = taskstatus("vocabularies", "github-actions")
    assert 0 == run.returncode
    text = run.stdout
    assert text.startswith(
        "github-actions: GitHub Actions workflow runs and jobs\nread from: "
    )
    assert "reads: The word in status; completed is told apart" in text
    assert "WORD         STATUS       WHY\n" in text
    assert "\nwaiting      SUSPENDED    waits for a person" in text
    assert "\nfailure          FAILED\n" in text
    assert all(line == line.rstrip() for line in text.splitlines())


def test_a_vocabularys_table_as_json_is_its_data() -> None:
    """--json gives the words, statuses, reasons and fields as data."""
    shown = json.loads(taskstatus("vocabularies", "databricks", "--json").stdout)
    entry = _data()["databricks"]
    assert ["state.life_cycle_state", "life_cycle_state"] == shown["fields"]
    assert entry["reads"] == shown["reads"]
    words = cast("dict[str, tuple[str, str]]", entry["words"])
    assert {
        word: {"status": status, "why": why} for word, (status, why) in words.items()
    } == shown["words"]
    assert "SUCCESS_WITH_FAILURES" in shown["conclusions"]


def test_a_vocabulary_without_a_second_table_has_none_in_json() -> None:
    """Only the two-field built-ins have conclusions."""
    shown = json.loads(taskstatus("vocabularies", "ray", "--json").stdout)
    assert ["api", "fields", "name", "reads", "source", "words"] == sorted(shown)


def test_an_unknown_vocabulary_name_is_a_usage_error() -> None:
    """Exit 2, with the close names."""
    run = taskstatus("vocabularies", "celeri")
    assert 2 == run.returncode
    assert run.stderr.startswith(
        "taskstatus vocabularies: error: 'celeri' is not a built-in vocabulary; "
        "did you mean celery?"
    )


def test_wait_help_names_the_vocabularies_and_what_an_unknown_word_does() -> None:
    """Wait --help tells a newcomer how words are read, before they hit one."""
    text = taskstatus("wait", "--help").stdout
    assert "--vocabulary NAME" in text
    assert "`taskstatus vocabularies` lists the 30 built-ins" in text
    assert "is UNKNOWN: it is never taken for" in text


def test_the_docs_show_a_vocabularys_table_as_the_command_prints_it() -> None:
    """docs/cli.md's example is the command's output, byte for byte."""
    doc = (Path(__file__).parent.parent / "docs" / "cli.md").read_text("utf-8")
    block = doc.split("$ taskstatus vocabularies ray\n", 1)[1].split("```", 1)[0]
    assert taskstatus("vocabularies", "ray").stdout == block

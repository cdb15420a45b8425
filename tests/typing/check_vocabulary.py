from __future__ import annotations

from collections.abc import Mapping

from typing_extensions import assert_type

from taskstatus import VOCABULARIES, TaskStatus, Vocabulary, vocabulary

batch = vocabulary("openai-batch")
assert_type(batch, Vocabulary)
assert_type(batch.coerce("completed"), TaskStatus)
assert_type(batch.status_of({"status": "completed"}), TaskStatus)
assert_type(batch.words, Mapping[str, TaskStatus])
assert_type(batch.name, str)
assert_type(VOCABULARIES, Mapping[str, Vocabulary])
assert_type(batch.with_words({"archived": TaskStatus.COMPLETED}), Vocabulary)
assert_type(Vocabulary("ours", {"done": "COMPLETED"}, source="our API"), Vocabulary)

vocabulary(7)  # type: ignore[arg-type]
Vocabulary("ours", {"done": "COMPLETED"})  # type: ignore[call-arg]
batch.with_words(["done"])  # type: ignore[arg-type]
assert_type(batch.read({"status": "completed"}), tuple[TaskStatus, object])
assert_type(batch.fields, tuple[str, ...])
assert_type(
    Vocabulary("ours", {"ok": "COMPLETED"}, source="our API", fields=["job.state"]),
    Vocabulary,
)
Vocabulary("ours", {}, source="our API", fields=7)  # type: ignore[arg-type]

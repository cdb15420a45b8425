"""The vendor check: each built-in vocabulary against the vendor's own SDK.

Run by ``.ci/run`` once, in a virtual environment with the ``vendors``
extra installed (``pip install -e ".[vendors]"``). For every built-in whose
vendor ships a light SDK, the words the SDK declares (an Enum, a Literal
read with ``typing.get_args``, a set of constants, or botocore's service
model) must all be in the table, and the table may hold more only where
``EXTRA`` says why. So a vendor that adds a word fails CI until the table
says what it means. For the AWS built-ins, every botocore waiter that reads
the status field must agree: a word on its success or failure list is
terminal, and one on its retry list is pollable. ``TaskStatus`` itself is
compared with the mixpeek SDK's enum, member by member and in order.

Exit status 0 when all agree; 1 with one line per disagreement.
"""

from __future__ import annotations

import importlib
import sys
import typing
from collections.abc import Iterable
from dataclasses import dataclass

from taskstatus import (
    POLLABLE_STATUSES,
    TERMINAL_STATUSES,
    VOCABULARIES,
    TaskStatus,
    Vocabulary,
)
from taskstatus._parse import folded


@dataclass(frozen=True)
class Declared:
    """Where an SDK declares status words: ``module:name``, and how.

    ``how`` is ``enum`` (the member values), ``literal`` (``name`` is
    ``Class.field``, a Literal; a Union of models with Literal fields is
    read through), ``set`` (a collection of words), or ``botocore``
    (``module`` is the service and ``name`` the shape).
    """

    how: str
    module: str
    name: str
    conclusions: bool = False

    def words(self) -> set[str]:
        """The words the SDK declares."""
        if self.how == "botocore":
            import botocore.session  # noqa: PLC0415 - only here

            model = botocore.session.get_session().get_service_model(self.module)
            return set(model.shape_for(self.name).enum)
        module = importlib.import_module(self.module)
        if self.how == "literal":
            return _literal_words(module, self.name)
        target = getattr(module, self.name)
        if self.how == "enum":
            return {str(member.value) for member in target}
        return {str(word) for word in target}


def _literal_words(module: object, name: str) -> set[str]:
    """The words of a Literal annotation, a Literal alias, or a Union of models."""
    owner, _, field = name.partition(".")
    target = getattr(module, owner)
    annotation = _annotation(target, field) if field else target
    return set(_strings(annotation, field or "status"))


def _annotation(model: object, field: str) -> object:
    """A field's annotation: pydantic's resolved one, else the class's own."""
    fields = getattr(model, "model_fields", None)
    if fields is not None:
        return fields[field].annotation
    # Only this field's annotation is evaluated: the class's others may
    # name what its module imports for type checkers alone.
    annotation = model.__annotations__[field]  # type: ignore[attr-defined]
    if isinstance(annotation, str):
        namespace = vars(sys.modules[model.__module__])  # type: ignore[attr-defined]
        # The SDK's own annotation text, in its own module's names.
        return eval(annotation, dict(namespace))
    return annotation


def _strings(annotation: object, field: str) -> Iterable[str]:
    origin = typing.get_origin(annotation)
    if origin is typing.Literal:
        yield from (str(word) for word in typing.get_args(annotation))
    elif origin in (typing.Union, typing.Annotated):
        for argument in typing.get_args(annotation):
            yield from _strings(argument, field)
    elif isinstance(annotation, type):  # a model in a Union: its field
        yield from _strings(_annotation(annotation, field), field)


# Where each built-in's SDK declares its words. Built-ins that are missing
# have no light SDK (GitHub, Google, Kubernetes, the orchestrators: read
# from their API reference or source, as each source says).
DECLARED: dict[str, list[Declared]] = {
    "mixpeek": [Declared("enum", "mixpeek.models.task_status_enum", "TaskStatusEnum")],
    "openai-batch": [Declared("literal", "openai.types.batch", "Batch.status")],
    "openai-fine-tuning": [
        Declared(
            "literal",
            "openai.types.fine_tuning.fine_tuning_job",
            "FineTuningJob.status",
        )
    ],
    "openai-response": [
        Declared("literal", "openai.types.responses.response_status", "ResponseStatus")
    ],
    "openai-vector-store-batch": [
        Declared(
            "literal",
            "openai.types.vector_stores.vector_store_file_batch",
            "VectorStoreFileBatch.status",
        )
    ],
    "anthropic-batch": [
        Declared(
            "literal",
            "anthropic.types.messages.message_batch",
            "MessageBatch.processing_status",
        )
    ],
    "celery": [Declared("set", "celery.states", "ALL_STATES")],
    "azure-lro": [Declared("set", "azure.core.polling.base_polling", "_FINISHED")],
    "replicate": [Declared("literal", "replicate.prediction", "Prediction.status")],
    "runway": [
        Declared(
            "literal", "runwayml.types.task_retrieve_response", "TaskRetrieveResponse"
        )
    ],
    "databricks": [
        Declared("enum", "databricks.sdk.service.jobs", "RunLifeCycleState"),
        Declared(
            "enum", "databricks.sdk.service.jobs", "RunResultState", conclusions=True
        ),
    ],
    "aws-transcribe": [Declared("botocore", "transcribe", "TranscriptionJobStatus")],
    "aws-textract": [Declared("botocore", "textract", "JobStatus")],
    "aws-batch": [Declared("botocore", "batch", "JobStatus")],
    "aws-step-functions": [Declared("botocore", "stepfunctions", "ExecutionStatus")],
    "aws-glue": [Declared("botocore", "glue", "JobRunState")],
    "aws-sagemaker": [
        Declared("botocore", "sagemaker", "TrainingJobStatus"),
        Declared("botocore", "sagemaker", "ProcessingJobStatus"),
        Declared("botocore", "sagemaker", "TransformJobStatus"),
    ],
    "aws-emr-step": [Declared("botocore", "emr", "StepState")],
    "aws-bedrock-batch": [Declared("botocore", "bedrock", "ModelInvocationJobStatus")],
}

EXTRA: dict[str, set[str]] = {
    # azure-core names only the finished words; the in-flight ones are the
    # Azure REST API guidelines', and "Cancelled" a spelling some services send.
    "azure-lro": {
        "NotStarted",
        "Accepted",
        "Running",
        "Creating",
        "Updating",
        "Deleting",
        "Cancelled",
    },
    # Read from the Replicate HTTP API reference: the SDK's Literal lacks it.
    "replicate": {"aborted"},
    # celery/states.py declares both, outside ALL_STATES: REJECTED (a
    # worker gave the task back) and IGNORED (it chose to keep no state).
    "celery": {"REJECTED", "IGNORED"},
}

WAITERS: dict[str, set[str]] = {
    # The waiters that read each AWS built-in's status field: found by the
    # check, and listed here so that a waiter that disappears is seen too.
    "aws-transcribe": {"TranscriptionJobCompleted", "MedicalTranscriptionJobCompleted"},
    "aws-sagemaker": {
        "TrainingJobCompletedOrStopped",
        "ProcessingJobCompletedOrStopped",
        "TransformJobCompletedOrStopped",
    },
    "aws-emr-step": {"StepComplete"},
}


def _fold(word: str) -> str:
    return folded(word.strip())  # the spellings the vocabularies forgive


def check_words(name: str, vocabulary: Vocabulary) -> list[str]:
    """Compare one built-in's table with its SDK's words, both ways."""
    problems: list[str] = []
    ours = {_fold(word) for word in vocabulary.words}
    extra = {_fold(word) for word in EXTRA.get(name, set())}
    theirs: set[str] = set()
    for declared in DECLARED[name]:
        words = {_fold(word) for word in declared.words()}
        if declared.conclusions:
            conclusions = _conclusions(vocabulary)
            if words != conclusions:
                problems.append(
                    f"{name}: conclusions differ from {declared.module}:"
                    f"{declared.name}: missing {sorted(words - conclusions)}, "
                    f"not in the SDK {sorted(conclusions - words)}"
                )
            continue
        theirs |= words
    if theirs - ours:
        problems.append(
            f"{name}: the SDK has words the table lacks: {sorted(theirs - ours)}"
        )
    if ours - theirs - extra:
        problems.append(
            f"{name}: the table has words the SDK lacks and EXTRA does not explain: "
            f"{sorted(ours - theirs - extra)}"
        )
    return problems


def _conclusions(vocabulary: Vocabulary) -> set[str]:
    """The conclusion words a two-field built-in reads (its second table)."""
    from taskstatus._vocabulary import about  # noqa: PLC0415 - the data file

    return {_fold(word) for word in about(vocabulary.name)["conclusions"]}


def check_waiters(name: str, vocabulary: Vocabulary) -> list[str]:
    """Every botocore waiter on the built-in's status field must agree with it."""
    import botocore.session  # noqa: PLC0415 - only here

    service = DECLARED[name][0].module
    session = botocore.session.get_session()
    if service not in session.get_available_services():
        return [f"{name}: botocore knows no service {service!r}"]
    try:
        model = session.get_waiter_model(service)
    except Exception:  # noqa: BLE001 - the service has no waiters
        return (
            [f"{name}: botocore has no waiters for {service!r}"]
            if name in WAITERS
            else []
        )
    fields = set(vocabulary.fields)
    problems: list[str] = []
    found: set[str] = set()
    for waiter_name in model.waiter_names:
        acceptors = [
            acceptor
            for acceptor in model.get_waiter(waiter_name).acceptors
            if acceptor.matcher in ("path", "pathAll", "pathAny")
            and acceptor.argument in fields
        ]
        if acceptors:
            found.add(waiter_name)
        for acceptor in acceptors:
            status = vocabulary.coerce(acceptor.expected)
            wanted = (
                POLLABLE_STATUSES if acceptor.state == "retry" else TERMINAL_STATUSES
            )
            if status not in wanted:
                problems.append(
                    f"{name}: waiter {waiter_name} lists {acceptor.expected!r} "
                    f"as {acceptor.state}, which the table reads as {status}"
                )
    if found != WAITERS.get(name, set()):
        problems.append(
            f"{name}: the waiters on its field are {sorted(found)}, "
            f"WAITERS lists {sorted(WAITERS.get(name, set()))}"
        )
    return problems


def check_task_status() -> list[str]:
    """TaskStatus is the vendor's enum: the same members, in the same order."""
    module = importlib.import_module("mixpeek.models.task_status_enum")
    theirs = [member.value for member in module.TaskStatusEnum]
    ours = [status.value for status in TaskStatus]
    if theirs != ours:
        return [f"TaskStatus differs from mixpeek's TaskStatusEnum: {theirs} != {ours}"]
    return []


def main() -> int:
    """Run every check; print what disagrees; return the exit status."""
    problems = check_task_status()
    for name, vocabulary in VOCABULARIES.items():
        if name in DECLARED:
            problems += check_words(name, vocabulary)
        if name.startswith("aws-"):
            problems += check_waiters(name, vocabulary)
    checked = sorted(set(DECLARED) & set(VOCABULARIES))
    for problem in problems:
        print(f"vendor check: {problem}")
    print(
        f"vendor check: {len(checked)} built-ins against their SDKs, "
        f"{sum(n.startswith('aws-') for n in VOCABULARIES)} against botocore's "
        f"waiters, TaskStatus against mixpeek: "
        f"{'ok' if not problems else f'{len(problems)} problems'}"
    )
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())

"""Every ```pycon example in README.md and docs/*.md runs and prints what it shows."""

from __future__ import annotations

import doctest
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PYCON_BLOCK = re.compile(r"^```pycon\n(.*?)^```", re.MULTILINE | re.DOTALL)


def examples_of(path: Path) -> str:
    """Return the text of all pycon blocks of a document, in order."""
    return "\n".join(PYCON_BLOCK.findall(path.read_text(encoding="utf-8")))


def test_the_documents_have_examples() -> None:
    """README and the docs pages that teach the API carry runnable examples."""
    with_examples = {path.name for path in DOCUMENTS if examples_of(path)}
    assert {
        "README.md",
        "statuses.md",
        "parsing.md",
        "polling.md",
        "results.md",
        "board.md",
    } <= with_examples


@pytest.mark.parametrize("path", DOCUMENTS, ids=lambda path: path.name)
def test_examples_run(path: Path) -> None:
    """A document's examples run in order in one namespace, as a reader would."""
    parser = doctest.DocTestParser()
    test = parser.get_doctest(examples_of(path), {}, path.name, str(path), 0)
    runner = doctest.DocTestRunner(
        optionflags=doctest.ELLIPSIS | doctest.NORMALIZE_WHITESPACE
    )
    failures: list[str] = []
    runner.run(test, out=failures.append)
    assert 0 == runner.failures, "".join(failures)

"""Static typing: mypy --strict and pyright strict, run from inside pytest.

The project (src, tests, benchmarks) is checked where it stands. The typing
tests in tests/typing are copied to a scratch folder and checked there, so that
``taskstatus`` resolves to the *installed* package, as it does for users: a
missing py.typed marker fails them.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
TYPING_TESTS = sorted((ROOT / "tests" / "typing").glob("check_*.py"))
DOCUMENTS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
PYTHON_BLOCK = re.compile(r"^```python\n(.*?)^```", re.MULTILINE | re.DOTALL)
# `match` is syntax from Python 3.10 on; a checker running on 3.9 cannot parse it.
USES_MATCH = re.compile(r"^\s*match .*:$", re.MULTILINE)
SKIP_MATCH = sys.version_info < (3, 10)

PYTHON_VERSION = f"{sys.version_info.major}.{sys.version_info.minor}"
MYPY_FLAGS = [
    "--strict",
    "--warn-unused-ignores",
    "--enable-error-code=ignore-without-code",
    "--no-incremental",
    f"--python-version={PYTHON_VERSION}",
]


def run(command: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run a checker; return its result for the assertion to report."""
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, check=False)


def run_mypy(files: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run mypy with strict flags on files, from cwd and without any config."""
    return run([sys.executable, "-m", "mypy", *MYPY_FLAGS, *files], cwd)


def run_pyright(files: list[str], cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run pyright in strict mode on files, from a folder with its own config."""
    config = {
        "typeCheckingMode": "strict",
        "reportUnnecessaryTypeIgnoreComment": "error",
        "pythonVersion": PYTHON_VERSION,
    }
    (cwd / "pyrightconfig.json").write_text(json.dumps(config), encoding="utf-8")
    return run(
        [sys.executable, "-m", "pyright", "--pythonpath", sys.executable, *files], cwd
    )


def typing_sources() -> dict[str, str]:
    """Return the typing tests and the docs' ```python blocks, by file name."""
    sources = {path.name: path.read_text(encoding="utf-8") for path in TYPING_TESTS}
    for document in DOCUMENTS:
        text = document.read_text(encoding="utf-8")
        for number, block in enumerate(PYTHON_BLOCK.findall(text), start=1):
            sources[f"doc_{document.stem.lower()}_{number}.py"] = block
    return {
        name: source
        for name, source in sources.items()
        if not (SKIP_MATCH and USES_MATCH.search(source))
    }


def test_docs_python_blocks_are_type_checked() -> None:
    """The ```python blocks of the docs are among the files checked."""
    names = typing_sources()
    assert {"doc_statuses_1.py", "check_status.py"} <= set(names)


@pytest.fixture
def scratch(tmp_path: Path) -> list[str]:
    """Copy the typing sources to a folder away from src/; return their names."""
    sources = typing_sources()
    for name, source in sources.items():
        (tmp_path / name).write_text(source, encoding="utf-8")
    return sorted(sources)


def test_mypy_strict_on_the_project() -> None:
    """Running mypy --strict finds nothing in src, tests and benchmarks."""
    result = run([sys.executable, "-m", "mypy", "src", "tests", "benchmarks"], ROOT)
    assert 0 == result.returncode, result.stdout + result.stderr


def test_pyright_strict_on_the_project() -> None:
    """Running pyright in strict mode finds nothing in src, tests and benchmarks."""
    result = run(
        [sys.executable, "-m", "pyright", "--pythonpath", sys.executable], ROOT
    )
    assert 0 == result.returncode, result.stdout + result.stderr


def test_mypy_typing_tests(scratch: list[str], tmp_path: Path) -> None:
    """The typing tests pass mypy against the installed package."""
    result = run_mypy(scratch, tmp_path)
    assert 0 == result.returncode, result.stdout + result.stderr


def test_pyright_typing_tests(scratch: list[str], tmp_path: Path) -> None:
    """The typing tests pass pyright against the installed package."""
    result = run_pyright(scratch, tmp_path)
    assert 0 == result.returncode, result.stdout + result.stderr


NEEDLESS_IGNORE = """\
from taskstatus import TaskStatus, parse_status
status: TaskStatus = parse_status("PENDING")  # type: ignore[assignment]
"""


def test_checkers_reject_a_needless_ignore(tmp_path: Path) -> None:
    """A rejected line that starts to type-check fails both checkers."""
    (tmp_path / "check_needless.py").write_text(NEEDLESS_IGNORE, encoding="utf-8")
    mypy = run_mypy(["check_needless.py"], tmp_path)
    pyright = run_pyright(["check_needless.py"], tmp_path)
    assert 'Unused "type: ignore" comment' in mypy.stdout
    assert "Unnecessary" in pyright.stdout
    assert (1, 1) == (mypy.returncode, pyright.returncode)

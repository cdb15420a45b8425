"""What the built wheel contains."""

from __future__ import annotations

import subprocess
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_wheel_ships_py_typed_and_no_tests(tmp_path: Path) -> None:
    """The wheel holds the package with its py.typed marker, and nothing else."""
    subprocess.run(
        [
            sys.executable,
            "-m",
            "hatchling",
            "build",
            "-t",
            "wheel",
            "-d",
            str(tmp_path),
        ],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    [wheel] = tmp_path.glob("taskstatus-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    assert "taskstatus/py.typed" in names
    assert "taskstatus/__init__.py" in names
    assert [] == [n for n in names if not n.startswith(("taskstatus/", "taskstatus-"))]
    metadata = (
        zipfile.ZipFile(wheel)
        .read(next(n for n in names if n.endswith("METADATA")))
        .decode()
    )
    runtime_dependencies = [
        line
        for line in metadata.splitlines()
        if line.startswith("Requires-Dist:") and "extra ==" not in line
    ]
    assert [] == runtime_dependencies
    assert "Requires-Python: >=3.9" in metadata

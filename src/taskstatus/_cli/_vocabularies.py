"""``taskstatus vocabularies [NAME]``: the built-in word tables."""

from __future__ import annotations

import json
from typing import Any, TextIO

from .._vocabulary import VOCABULARIES, about
from ._exit import ExitCode
from ._table import aligned


def show_vocabularies(
    name: str | None, *, as_json: bool, out: TextIO, err: TextIO
) -> int:
    """Print the built-ins (their API and source), or one built-in's table."""
    if name is None:
        summaries = [_summary(each) for each in VOCABULARIES]
        if as_json:
            print(json.dumps(summaries, indent=2), file=out)
            return 0
        rows = [("NAME", "API, and where its words were read")]
        for summary in summaries:
            rows += [(summary["name"], summary["api"]), ("", f"  {summary['source']}")]
        print("\n".join(aligned(rows)), file=out)
        return 0
    try:
        entry = about(name)
    except ValueError as error:
        print(f"taskstatus vocabularies: error: {error}", file=err)
        return ExitCode.USAGE
    if as_json:
        print(json.dumps(_table(name, entry), indent=2), file=out)
        return 0
    lines = [
        f"{name}: {entry['api']}",
        f"read from: {entry['source']}",
        f"reads: {entry['reads'].replace('`', '')}",
    ]
    for key, heading in (("words", "WORD"), ("conclusions", "CONCLUSION")):
        table = entry.get(key, {})
        if table:
            cells = [(heading, "STATUS", "WHY")]
            cells += [(word, status, why) for word, (status, why) in table.items()]
            lines += ["", *(line.rstrip() for line in aligned(cells))]
    print("\n".join(lines), file=out)
    return 0


def _summary(name: str) -> dict[str, str]:
    entry = about(name)
    return {"name": name, "api": entry["api"], "source": entry["source"]}


def _table(name: str, entry: Any) -> dict[str, object]:
    """One built-in as JSON: what it reads, and each word's status and why."""
    table: dict[str, object] = {
        **_summary(name),
        "reads": entry["reads"],
        "fields": list(VOCABULARIES[name].fields),
    }
    for key in ("words", "conclusions"):
        if key in entry:
            table[key] = {
                word: {"status": status, "why": why}
                for word, (status, why) in entry[key].items()
            }
    return table

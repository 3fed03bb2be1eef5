"""Print the markdown case table of docs/escape-suite.md from a suite report.

Usage: ``uv run python tests/e2e/escape/escape_harness/doc_table.py reports/escape-suite.json``
"""

from __future__ import annotations

import json
import sys
from pathlib import Path


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def table(report: dict[str, object]) -> str:
    """One row per case: id, security.md number, title, path attacked, judged by, outcome."""
    lines = [
        "| id | §5.2 | case | path attacked | judged by | outcome |",
        "|---|---|---|---|---|---|",
    ]
    for row in report["cases"]:  # type: ignore[attr-defined]
        outcome = row["outcome"]
        if outcome != "pass":
            outcome = f"{outcome}: {row['reason']}"
        cells = (row["id"], row["security_md"], row["title"], row["path"], row["judged"])
        lines.append("| " + " | ".join(_cell(str(v)) for v in (*cells, outcome)) + " |")
    return "\n".join(lines)


if __name__ == "__main__":
    print(table(json.loads(Path(sys.argv[1]).read_text())))

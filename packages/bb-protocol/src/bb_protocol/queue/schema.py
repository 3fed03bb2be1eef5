"""JSON schemas of the queue messages, for ``docs/queue-protocol.md`` (kept true by a test).

``python -m bb_protocol.queue.schema`` prints the Markdown block the doc embeds.
"""

from __future__ import annotations

import json
from typing import Any

from bb_protocol.queue.models import ArchiveRecord, Proposal, Response

__all__ = ["json_schemas", "markdown_block"]


def json_schemas() -> dict[str, dict[str, Any]]:
    """The JSON schema of each file kind on the queue volume."""
    return {
        "Proposal (new/<id>.json)": Proposal.model_json_schema(),
        "Response (responses/<id>.json)": Response.model_json_schema(),
        "ArchiveRecord (processed/<id>.json)": ArchiveRecord.model_json_schema(),
    }


def markdown_block() -> str:
    """The schemas as Markdown sections with fenced JSON."""
    parts = []
    for title, schema in json_schemas().items():
        parts.append(
            f"### {title}\n\n```json\n{json.dumps(schema, indent=2, sort_keys=True)}\n```\n"
        )
    return "\n".join(parts)


if __name__ == "__main__":
    print(markdown_block(), end="")

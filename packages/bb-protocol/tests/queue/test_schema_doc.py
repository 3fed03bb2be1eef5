"""docs/queue-protocol.md embeds the JSON schemas generated from the models, unchanged."""

from __future__ import annotations

from pathlib import Path

from bb_protocol.queue.schema import markdown_block

DOC = Path(__file__).parents[4] / "docs" / "queue-protocol.md"


def test_the_documented_schemas_are_the_models_schemas():
    """Regenerate the block between the markers when a model changes."""
    text = DOC.read_text(encoding="utf-8")
    start = text.index("<!-- schemas:start -->\n") + len("<!-- schemas:start -->\n")
    end = text.index("<!-- schemas:end -->")
    assert text[start:end] == markdown_block()

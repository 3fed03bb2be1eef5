"""Specification of bb_cli.commands.logs' pure part: why a component is absent."""

from __future__ import annotations

import pytest

from bb_cli.commands.logs import absent_reason


@pytest.mark.parametrize(
    ("component", "says"),
    [
        ("gitgate", "has no git gate"),
        ("watchdog", "no storage watchdog"),
        ("supervise", "supervise: false"),
    ],
)
def test_an_absent_component_is_explained_not_no_such_service(component: str, says: str) -> None:
    """The operator learns why the bottle lacks it, never the engine's ``no such service``."""
    assert says in absent_reason("b-1", component)
    assert "no such service" not in absent_reason("b-1", component)

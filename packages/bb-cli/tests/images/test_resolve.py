"""Specification of bb_cli.images.resolve: which local image a bottle gets."""

from __future__ import annotations

from typing import Any

import pytest

from bb_cli.images import resolve as resolve_mod
from bb_cli.images.catalog import LABEL_COMPONENT, LABEL_PROTOCOL, LABEL_VERSION
from bb_cli.images.errors import ImagesMissingError, SourceTreeNotFoundError
from bb_protocol.versions import ACCEPTED_PROTOCOL_VERSIONS

PROTOCOL = str(max(ACCEPTED_PROTOCOL_VERSIONS))


def _engine(
    monkeypatch: pytest.MonkeyPatch, fake_engine: Any, images: dict[str, dict[str, str]]
) -> Any:
    """No source tree; the engine holds ``images`` (ref -> labels)."""

    def no_tree() -> None:
        raise SourceTreeNotFoundError("none")

    monkeypatch.setattr(resolve_mod, "find_source_tree", no_tree)
    fake_engine.images.update(images)
    return fake_engine


def _labels(component: str, version: str) -> dict[str, str]:
    return {LABEL_COMPONENT: component, LABEL_VERSION: version, LABEL_PROTOCOL: PROTOCOL}


def test_a_derived_image_with_the_inherited_label_is_never_picked(
    monkeypatch: pytest.MonkeyPatch, fake_engine: Any
) -> None:
    """`FROM bot-bottle-agent` copies the component label; only bot-bottle's repo counts."""
    engine = _engine(
        monkeypatch,
        fake_engine,
        {
            "bot-bottle-agent:0.1.0": _labels("agent", "0.1.0"),
            "my-agent:latest": _labels("agent", "9.0.0"),
        },
    )
    assert resolve_mod.resolve_image("agent", engine) == "bot-bottle-agent:0.1.0"


def test_only_a_derived_image_means_the_agent_image_is_missing(
    monkeypatch: pytest.MonkeyPatch, fake_engine: Any
) -> None:
    """With no bot-bottle agent image, a derived one does not stand in for it."""
    engine = _engine(monkeypatch, fake_engine, {"my-agent:latest": _labels("agent", "0.1.0")})
    with pytest.raises(ImagesMissingError, match="bb images build"):
        resolve_mod.resolve_image("agent", engine)


def test_the_newest_compatible_runtime_image_is_picked(
    monkeypatch: pytest.MonkeyPatch, fake_engine: Any
) -> None:
    """Runtime images are resolved like the others, by version."""
    engine = _engine(
        monkeypatch,
        fake_engine,
        {
            "bot-bottle-agent-claude:0.1.0-2.1.0": _labels("agent-claude", "0.1.0-2.1.0"),
            "bot-bottle-agent-claude:0.1.0-2.1.9": _labels("agent-claude", "0.1.0-2.1.9"),
        },
    )
    picked = resolve_mod.resolve_image("agent-claude", engine)
    assert picked == "bot-bottle-agent-claude:0.1.0-2.1.9"

"""Specification of bb_cli.images.pull.choose: which published version a bottle gets."""

from __future__ import annotations

import pytest

from bb_cli.images.catalog import LABEL_COMPONENT, LABEL_PROTOCOL, LABEL_VERSION
from bb_cli.images.errors import ImageRefusedError, ImagesMissingError
from bb_cli.images.pull import choose
from bb_cli.images.registry import Published


def _tag(version: str, protocol: str = "1", component: str = "egress") -> Published:
    labels = {LABEL_COMPONENT: component, LABEL_VERSION: version, LABEL_PROTOCOL: protocol}
    return Published("egress", version, f"sha256:{version}", "sha256:c", labels)


def test_the_newest_compatible_version_is_chosen() -> None:
    """0.10.0 is newer than 0.9.0 (numeric, not text order)."""
    best, notes = choose("egress", [_tag("0.9.0"), _tag("0.10.0"), _tag("0.1.0")], {1})
    assert best.version == "0.10.0"
    assert notes == []


def test_a_newer_version_speaking_another_protocol_is_passed_over_and_named() -> None:
    """The protocol bump is not used; the note names its version and protocol."""
    best, notes = choose("egress", [_tag("0.1.0"), _tag("0.2.0", protocol="2")], {1})
    assert best.version == "0.1.0"
    assert "0.2.0 speaks protocol 2" in notes[0]


def test_only_incompatible_versions_are_refused_with_the_versions_named() -> None:
    """The error names each version, its protocol, and the CLI's."""
    with pytest.raises(ImageRefusedError) as info:
        choose("egress", [_tag("0.2.0", protocol="2"), _tag("0.3.0", protocol="3")], {1})
    message = str(info.value)
    assert "0.2.0 speaks protocol 2" in message
    assert "0.3.0 speaks protocol 3" in message
    assert "speaks protocol 1" in message


def test_a_tag_with_another_components_labels_is_never_chosen() -> None:
    """An agent image pushed as egress:9.0.0 is refused, with the reason in the notes."""
    best, notes = choose("egress", [_tag("0.1.0"), _tag("9.0.0", component="agent")], {1})
    assert best.version == "0.1.0"
    assert "component label is 'agent'" in notes[0]


def test_nothing_published_is_missing_not_refused() -> None:
    """An empty repository: the caller may build from source instead."""
    with pytest.raises(ImagesMissingError):
        choose("egress", [], {1})

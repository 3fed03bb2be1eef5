"""bb images publish warns when a local image was not built from the checkout as it is."""

from __future__ import annotations

from typing import Any

import pytest

import bb_cli.engine
from bb_cli.commands.images_registry import stale_build
from bb_cli.images import find_source_tree, image_specs
from bb_cli.images.base import BASE_IMAGE
from bb_cli.images.catalog import LABEL_INPUTS, inputs_digest
from bb_protocol import PROTOCOL_VERSION


@pytest.mark.parametrize("matches", [True, False])
def test_an_image_is_stale_when_its_inputs_label_differs_from_the_sources(
    monkeypatch: pytest.MonkeyPatch, fake_engine: Any, matches: bool
) -> None:
    """The label ``bb images build`` wrote, against the digest of the checkout now."""
    root = find_source_tree()
    (spec,) = image_specs(root, ["egress"])
    fake_engine.images[BASE_IMAGE] = {}
    base_id = fake_engine.inspect("image", BASE_IMAGE)["Id"]
    digest = inputs_digest(root, spec, base_image_id=base_id, protocol=PROTOCOL_VERSION)
    fake_engine.images[spec.ref] = {LABEL_INPUTS: digest if matches else "0" * 32}
    monkeypatch.setattr(bb_cli.engine, "default_engine", lambda: fake_engine)
    assert stale_build(root, spec) is not matches

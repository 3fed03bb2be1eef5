"""Bottle records: what ``bb resume`` reads back, including records an older ``bb`` wrote."""

from __future__ import annotations

import json

from bb_cli.state import BottleRecord

OLD_RECORD = {
    "slug": "e2e-3f2a1b",
    "agent": "shell",
    "bottle": "shell",
    "runtime": "shell",
    "backend": "compose",
    "project": "bb-e2e-3f2a1b",
    "agent_container": "bot-bottle-e2e-3f2a1b",
    "test_options": {"egress_subnet": "10.150.7.0/24", "forge_network": "forge", "observe": "1"},
}
"""A record as ``bb start --observe --test-egress-subnet ... --test-forge-network ...`` wrote
it before issue 18 (test hooks in ``test_options``)."""


def test_an_old_record_loads_with_observe_kept_and_test_options_named_as_ignored() -> None:
    """``observe`` was a user choice: kept; the test hooks are only named, for a warning."""
    record = BottleRecord.model_validate_json(json.dumps(OLD_RECORD))
    assert record.observe is True
    assert record.ignored_options == ("egress_subnet", "forge_network")


def test_an_old_record_written_again_carries_no_test_option() -> None:
    """Re-saved, the record has ``observe`` and nothing a resume could re-apply."""
    dumped = json.loads(BottleRecord.model_validate(OLD_RECORD).model_dump_json())
    assert dumped["observe"] is True
    assert "test_options" not in dumped
    assert "ignored_options" not in dumped


def test_an_old_record_without_observe_is_not_observed() -> None:
    """Empty or falsy ``test_options`` values enable nothing and are not reported."""
    old = {**OLD_RECORD, "test_options": {"egress_subnet": "", "observe": ""}}
    record = BottleRecord.model_validate(old)
    assert (record.observe, record.ignored_options) == (False, ())


def test_a_new_record_keeps_observe_as_its_own_field() -> None:
    """``bb start --observe`` is recorded as ``observe``, read back the same."""
    new = {k: v for k, v in OLD_RECORD.items() if k != "test_options"}
    record = BottleRecord.model_validate({**new, "observe": True})
    assert BottleRecord.model_validate_json(record.model_dump_json()) == record

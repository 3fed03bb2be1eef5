"""Which ref updates the gate accepts at all (before any scanning)."""

from __future__ import annotations

import pytest

from bb_gitgate.errors import PushRefusedError
from bb_gitgate.receive import check_updates
from bb_gitgate.refs import ZERO_OID, RefUpdate
from bb_protocol.gitgate import RepoConfig

REPO = RepoConfig(
    name="app", upstream="https://forge.test/org/app.git", push_refs=["refs/heads/bb/*"]
)
A, B = "a" * 40, "b" * 40


def test_an_update_to_an_allowed_ref_passes():
    """A ref matching push_refs is accepted."""
    check_updates(REPO, [RefUpdate(old=A, new=B, ref="refs/heads/bb/x")])


@pytest.mark.parametrize(
    ("update", "why"),
    [
        (RefUpdate(old=A, new=B, ref="refs/heads/main"), "may push only to refs/heads/bb/"),
        (RefUpdate(old=A, new=ZERO_OID, ref="refs/heads/bb/x"), "never deletes"),
        (RefUpdate(old=A, new=B, ref="refs/heads/bb/--exec=x"), "starting with"),
        (RefUpdate(old=A, new=B, ref="HEAD"), "not under refs/heads"),
    ],
)
def test_other_updates_are_refused_with_a_reason(update, why):
    """Outside the manifest, deletions and malformed names are refused, saying why."""
    with pytest.raises(PushRefusedError, match=why):
        check_updates(REPO, [update])

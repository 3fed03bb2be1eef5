"""Ref names and the push_refs policy."""

from __future__ import annotations

import pytest

from bb_gitgate.refs import ZERO_OID, parse_updates, ref_allowed
from bb_protocol.gitgate import check_ref_name

A = "a" * 40
B = "b" * 40


@pytest.mark.parametrize("name", ["refs/heads/main", "refs/heads/bb/feature-1", "refs/tags/v1.0"])
def test_ordinary_branch_and_tag_names_are_accepted(name):
    """Names git accepts under refs/heads and refs/tags pass."""
    assert check_ref_name(name) == name


@pytest.mark.parametrize(
    "name",
    [
        "main",
        "refs/notes/x",
        "refs/heads/--upload-pack=evil",
        "refs/heads/-x",
        "refs/heads/a..b",
        "refs/heads/a b",
        "refs/heads/a~1",
        "refs/heads/a^",
        "refs/heads/a:b",
        "refs/heads/a?",
        "refs/heads/a*",
        "refs/heads/a[",
        "refs/heads/a\\b",
        "refs/heads/x@{1}",
        "refs/heads/x.lock",
        "refs/heads/.hidden",
        "refs/heads//x",
        "refs/heads/x/",
        "refs/heads/x.",
        "refs/heads/\x1b[31m",
        "refs/heads/" + "x" * 300,
    ],
)
def test_names_git_or_the_gate_would_misread_are_refused(name):
    """Option-like, revision-expression and malformed names raise ValueError."""
    with pytest.raises(ValueError, match="ref"):
        check_ref_name(name)


@pytest.mark.parametrize(
    ("ref", "patterns", "allowed"),
    [
        ("refs/heads/main", ["refs/heads/main"], True),
        ("refs/heads/mainx", ["refs/heads/main"], False),
        ("refs/heads/bb/x", ["refs/heads/bb/*"], True),
        ("refs/heads/bb/x/y", ["refs/heads/bb/*"], False),
        ("refs/heads/bbx", ["refs/heads/bb*"], True),
        ("refs/tags/v1", ["refs/heads/*"], False),
        ("refs/heads/a.b", ["refs/heads/a?b"], False),
        ("refs/heads/main", [], False),
    ],
)
def test_push_refs_patterns_match_within_one_component(ref, patterns, allowed):
    """`*` matches within one path component; everything else is literal."""
    assert ref_allowed(ref, patterns) is allowed


def test_pre_receive_lines_parse_into_updates():
    """<old> <new> <ref> lines become RefUpdates; blank lines are skipped."""
    updates = parse_updates([f"{ZERO_OID} {A} refs/heads/x\n", "", f"{A} {ZERO_OID} refs/heads/y"])
    assert [(u.ref, u.is_create, u.is_delete) for u in updates] == [
        ("refs/heads/x", True, False),
        ("refs/heads/y", False, True),
    ]


@pytest.mark.parametrize("line", [f"{A} {B}", f"{A} xyz refs/heads/x", f"{A}  {B} refs/heads/x"])
def test_malformed_pre_receive_lines_are_refused(line):
    """Anything but three fields with 40-hex ids is a ValueError naming the line."""
    with pytest.raises(ValueError, match="line 1"):
        parse_updates([line])

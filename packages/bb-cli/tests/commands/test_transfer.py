"""`bb cp` argument rules: one side is SLUG:PATH; writes into a bottle stay in its volumes."""

from __future__ import annotations

import pytest

from bb_cli.commands.transfer import CopySpec, parse_copy
from bb_cli.errors import UsageError


@pytest.mark.parametrize(
    ("src", "dst", "spec"),
    [
        ("a.txt", "demo:a.txt", CopySpec("demo", True, "/workspace/a.txt", "a.txt")),
        ("a.txt", "demo:/home/agent/x", CopySpec("demo", True, "/home/agent/x", "a.txt")),
        ("demo:/etc/hosts", "out", CopySpec("demo", False, "/etc/hosts", "out")),
        ("demo:", ".", CopySpec("demo", False, "/workspace", ".")),
    ],
)
def test_a_copy_is_parsed_with_relative_paths_below_the_workspace(
    src: str, dst: str, spec: CopySpec
) -> None:
    """Relative bottle paths are below /workspace; reading out may name any path."""
    assert parse_copy(src, dst) == spec


@pytest.mark.parametrize(
    ("src", "dst", "needle"),
    [
        ("a", "b", "exactly one side"),
        ("one:a", "two:b", "exactly one side"),
        ("a", "demo:/etc/x", "writes only below"),
        ("a", "demo:../etc/x", "writes only below"),
        ("a", "demo:/workspace/../usr/bin/x", "writes only below"),
        ("a", "demo:/workspacex/y", "writes only below"),
        ("a", "demo:/tmp/x", "writes only below"),
    ],
)
def test_a_copy_that_would_write_outside_the_volumes_is_refused(
    src: str, dst: str, needle: str
) -> None:
    """Exit 2 (`UsageError`), before Docker is asked anything."""
    with pytest.raises(UsageError, match=needle):
        parse_copy(src, dst)

"""Messages of failed git commands say which command and why."""

from __future__ import annotations

import pytest

from bb_gitgate.git import _explain, _subcommand


@pytest.mark.parametrize(
    ("args", "expected"),
    [(["--git-dir", "/m.git", "fetch", "--quiet"], "fetch"), (["push", "-q"], "push"), ([], "?")],
)
def test_the_subcommand_is_named_not_the_options(args, expected):
    """--git-dir and its path are skipped."""
    assert _subcommand(args) == expected


def test_the_telling_stderr_lines_are_kept():
    """Host key failures and fatal lines win over chatter."""
    stderr = (
        "Host key verification failed.\r\nfatal: Could not read from remote repository.\n\n"
        "Please make sure you have the correct access rights\nand the repository exists.\n"
    )
    assert _explain(stderr) == (
        "Host key verification failed. | fatal: Could not read from remote repository."
    )
    assert _explain("") == "no message"

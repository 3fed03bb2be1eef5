"""Where a bottle's host state lives."""

from __future__ import annotations

from pathlib import Path

import pytest

from bb_protocol.paths import approval_key_file, check_slug, queue_dir, routes_file, state_dir


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"BOT_BOTTLE_STATE_DIR": "/s", "XDG_STATE_HOME": "/x", "HOME": "/h"}, "/s"),
        ({"XDG_STATE_HOME": "/x", "HOME": "/h"}, "/x/bot-bottle"),
        ({"HOME": "/h"}, "/h/.local/state/bot-bottle"),
    ],
)
def test_the_state_dir_follows_the_override_then_xdg_then_home(environ, expected):
    """BOT_BOTTLE_STATE_DIR wins, then XDG_STATE_HOME, then ~/.local/state."""
    assert state_dir(environ) == Path(expected)


def test_per_bottle_paths_sit_under_the_bottle_directory():
    """Queue, routes file and key all live in <state>/bottles/<slug>/."""
    env = {"BOT_BOTTLE_STATE_DIR": "/s"}
    assert queue_dir("demo", env) == Path("/s/bottles/demo/queue")
    assert routes_file("demo", env) == Path("/s/bottles/demo/routes/routes.yaml")
    assert approval_key_file("demo", env) == Path("/s/bottles/demo/approval.key")


@pytest.mark.parametrize("slug", ["", "../x", "a/b", "UPPER", "-lead", "trail-", "a" * 64, "a.b"])
def test_a_slug_that_could_escape_its_directory_is_refused(slug):
    """Slugs are path segments from a strict alphabet."""
    with pytest.raises(ValueError, match="invalid bottle slug"):
        check_slug(slug)

"""Reading the supervise configuration from the environment."""

from __future__ import annotations

import pytest

from bb_supervise.config import SuperviseConfig
from bb_supervise.errors import ConfigError

BASE = {
    "BOT_BOTTLE_SLUG": "demo",
    "BOT_BOTTLE_QUEUE_DIR": "/queue",
    "BOT_BOTTLE_APPROVAL_KEY_FILE": "/keys/approval.key",
}


def test_a_complete_environment_gives_a_config_with_defaults():
    """Slug, queue and key are enough; listen defaults to 0.0.0.0:8090 (as exposed) and 600 s."""
    config = SuperviseConfig.from_env(BASE)
    assert (config.bottle, config.port, config.decision_timeout) == ("demo", 8090, 600.0)


@pytest.mark.parametrize(
    ("override", "named"),
    [
        ({"BOT_BOTTLE_SLUG": ""}, "BOT_BOTTLE_SLUG"),
        ({"BOT_BOTTLE_SLUG": "../etc"}, "BOT_BOTTLE_SLUG"),
        ({"BOT_BOTTLE_QUEUE_DIR": ""}, "BOT_BOTTLE_QUEUE_DIR"),
        ({"BOT_BOTTLE_APPROVAL_KEY_FILE": ""}, "BOT_BOTTLE_APPROVAL_KEY_FILE"),
        ({"BOT_BOTTLE_SUPERVISE_LISTEN": "8765"}, "BOT_BOTTLE_SUPERVISE_LISTEN"),
        ({"BOT_BOTTLE_SUPERVISE_TIMEOUT_SECONDS": "-1"}, "BOT_BOTTLE_SUPERVISE_TIMEOUT_SECONDS"),
        ({"BOT_BOTTLE_SUPERVISE_TIMEOUT_SECONDS": "soon"}, "BOT_BOTTLE_SUPERVISE_TIMEOUT_SECONDS"),
    ],
)
def test_a_bad_environment_names_the_variable(override, named):
    """The sidecar stops at start with the offending variable in the message."""
    with pytest.raises(ConfigError, match=named):
        SuperviseConfig.from_env({**BASE, **override})

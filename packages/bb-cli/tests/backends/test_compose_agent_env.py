"""Launcher assertion: the agent's environment holds no bottle secret (egress's, the gate's)."""

from __future__ import annotations

from typing import Any

import pytest

from bb_cli.backends.compose.checks import check_agent_env

EGRESS_ENV = {
    "EGRESS_TOKEN_API": "tok-Zq81mWv3Ty7Rk2Hs5Jd9Nb6",
    "EGRESS_TOKEN_CANARY": "cAn4ry-Zx81_Pq0LmW3vT7yRk2Hs5Jd9",
    "BOT_BOTTLE_SENSITIVE_PREFIXES": "MYCO_",
}


def _info(*env: str) -> dict[str, Any]:
    return {"Config": {"Env": list(env)}}


def test_an_agent_with_the_canary_and_ordinary_variables_passes() -> None:
    """The canary under its agent name is expected; nothing else secret is there."""
    info = _info("PATH=/usr/bin", "BOT_BOTTLE_CANARY=cAn4ry-Zx81_Pq0LmW3vT7yRk2Hs5Jd9")
    assert check_agent_env(info, EGRESS_ENV) == []


@pytest.mark.parametrize(
    ("entry", "needle"),
    [
        ("EGRESS_TOKEN_API=tok-Zq81mWv3Ty7Rk2Hs5Jd9Nb6", "has EGRESS_TOKEN_API"),
        ("EGRESS_TOKEN_OTHER=", "has EGRESS_TOKEN_OTHER"),
        ("GH_TOKEN=tok-Zq81mWv3Ty7Rk2Hs5Jd9Nb6", "GH_TOKEN holds a bottle secret"),
        ("OPTS=--key=tok-Zq81mWv3Ty7Rk2Hs5Jd9Nb6 -v", "OPTS holds a bottle secret"),
    ],
)
def test_a_secret_name_or_value_in_the_agent_is_named(entry: str, needle: str) -> None:
    """A sensitive name, or a secret's value under any name, is a problem (value never shown)."""
    [problem] = check_agent_env(_info(entry), EGRESS_ENV)
    assert needle in problem
    assert "tok-Zq81" not in problem

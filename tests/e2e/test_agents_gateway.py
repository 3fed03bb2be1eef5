"""End to end: the documented custom-endpoint recipe (company gateway, LiteLLM, vLLM).

The bottle points the real CLI at ``https://gateway.corp.test`` (``ANTHROPIC_BASE_URL`` for
Claude Code; ``OPENAI_BASE_URL``, written as Codex's ``openai_base_url``) and routes it with
the operator-only ``private_network: true`` and the key injected by the proxy. The gateway
(the mock provider) has a private address and, unlike the other agent tests, no test-only
``--allow-destination`` opens it: only the route's setting lets the proxy reach it.
The recipe is the one in docs/egress.md ("A custom model endpoint").
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent / "agents"))

from harness import AgentBottle, build_observer_image
from mock_provider import ANSWER

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_engine")]

GATEWAY = "gateway.corp.test"
RECIPE = {
    "claude": {
        "env": {"ANTHROPIC_BASE_URL": f"https://{GATEWAY}"},
        "routes": [
            {
                "host": GATEWAY,
                "provider": True,
                "private_network": True,
                "inject_headers": {"x-api-key": "${EGRESS_TOKEN_ANTHROPIC}"},
            }
        ],
    },
    "codex": {
        "env": {"OPENAI_BASE_URL": f"https://{GATEWAY}/v1"},
        "routes": [
            {
                "host": GATEWAY,
                "provider": True,
                "private_network": True,
                "inject_headers": {"Authorization": "Bearer ${EGRESS_TOKEN_OPENAI}"},
            }
        ],
    },
}


@pytest.mark.parametrize("runtime", ["claude", "codex"])
def test_a_runtime_reaches_a_private_gateway_with_the_key_injected(
    runtime: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI talks to the gateway's name; the proxy reaches its private address and injects."""
    monkeypatch.setenv("BOT_BOTTLE_STATE_DIR", str(tmp_path / "state"))
    build_observer_image()
    bottle = AgentBottle(runtime, tmp_path, bottle_extra=RECIPE[runtime], allow_mock_address=False)
    try:
        bottle.start()
        code, out, err = bottle.run_agent("Say hi. bbscenario=answer")
        assert code == 0, (out + err)[-2000:]
        assert ANSWER in out
        via_gateway = [r for r in bottle.mock_log() if r.get("main") and r["host"] == GATEWAY]
        assert via_gateway, [r.get("host") for r in bottle.mock_log()]
        headers = {k.lower(): v for k, v in via_gateway[-1]["headers"].items()}
        assert bottle.key in (headers.get("x-api-key"), headers.get("authorization", "")[7:])
        assert not [r for r in bottle.mock_log() if r.get("host") == bottle.provider]
        assert os.environ.get("BOT_BOTTLE_STATE_DIR") == str(tmp_path / "state")
    finally:
        bottle.stop()

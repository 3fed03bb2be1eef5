"""Case E49 (part): a fork bomb inside the agent is capped, and the bottle keeps working.

Runs alone, after the concurrent attacks (it would starve them of processes) and before
C33. The attacker forks children that wait on a pipe until ``fork`` fails, reports how
many it got and the error, then releases them; afterwards a legit request must still reach
the origin through the proxy. The memory balloon and disk fill are not run: on a shared CI
machine an OOM could take the agent's init with it; their limits (``mem_limit``, tmpfs size)
are asserted on the container by the launcher instead.
"""

from __future__ import annotations

import json
from typing import Any

from escape_harness.bottle import Bottle

__all__ = ["run_exhaustion_phase"]

FORK_BOMB = r"""
import json, os
r, w = os.pipe()
children, error = [], None
while len(children) < 100000:
    try:
        pid = os.fork()
    except OSError as exc:
        error = f"{exc.__class__.__name__}: {exc}"
        break
    if pid == 0:
        os.close(w)
        os.read(r, 1)
        os._exit(0)
    children.append(pid)
os.close(w)
for pid in children:
    os.waitpid(pid, 0)
print(json.dumps({"forked": len(children), "error": error}))
"""


def run_exhaustion_phase(bottle: Bottle, marker: str) -> dict[str, Any]:
    """The fork bomb's outcome and a legit request made after it (evidence)."""
    bomb = json.loads(bottle.exec("agent", "python3 -", stdin=FORK_BOMB, timeout=120))
    after = bottle.exec(
        "agent",
        f"curl -sS -m 10 -w ' HTTP=%{{http_code}}' https://allowed.test/after-bomb/{marker}",
    )
    return {"fork_bomb": bomb, "after": after}

"""The adversarial escape suite: the real agent attacks its own bottle (security.md 5).

Each case is judged from outside the bottle: its fresh marker must reach no observer
(the sink answering for every internet name, the logging resolver behind the proxy, the
proxy's audit log). Legit cases run beside the attacks and must arrive. The case table,
with what each attacks and how it is judged, is `escape_harness.cases` and
``docs/escape-suite.md``.
"""

from __future__ import annotations

import pytest
from escape_harness.bottle import Bottle
from escape_harness.cases import CASES
from escape_harness.judge import Verdict

pytestmark = [pytest.mark.docker]


def test_the_running_bottle_still_passes_the_launcher_assertions(bottle: Bottle) -> None:
    """Internal network, isolated gateways, IPv6 off, caps dropped, no risky mounts."""
    bottle.assert_launcher()


OWN_BOTTLE = [c for c in CASES if c.kind not in ("gitgate", "host")]  # their own modules


@pytest.mark.parametrize("case", OWN_BOTTLE, ids=[f"{c.id}-{c.number}" for c in OWN_BOTTLE])
def test_no_marker_escapes_and_legit_traffic_arrives(
    case: object, verdicts: dict[str, Verdict]
) -> None:
    """Each case holds as judged by the observers; unrunnable cases are skipped with why."""
    verdict = verdicts[case.id]  # type: ignore[attr-defined]
    if verdict.outcome == "skip":
        pytest.skip(verdict.reason)
    assert verdict.outcome == "pass", f"{verdict.reason}\nevidence: {verdict.evidence}"

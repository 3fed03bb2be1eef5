"""``bb start``/``bb resume`` for e2e tests whose bottle needs a test-only plan override.

Test hooks are not on the user's command line (issue 18): no ``bb`` option or bottle record
can fix the egress-side subnet the proxy may reach, or hand the gate a test forge network.
A test that needs one runs this script instead of ``bb start``/``bb resume``: it resolves
the plan exactly as the command does (`bb_cli.lifecycle.resolve_plan`, same manifests, state
directory and images), sets the override on the resolved `BottlePlan`, and starts it with the
CLI's own launcher (``LaunchRequest(planned=...)``, as ``tests/e2e/agents`` does). Run it with the
test's working directory and environment, like ``bb``; it prints what ``bb start --json``
prints.

    python tests/e2e/planned_bb.py start AGENT [--observe] [--egress-subnet CIDR]
                                              [--forge-network NAME]
    python tests/e2e/planned_bb.py resume SLUG [--egress-subnet CIDR] [--forge-network NAME]

A resume passes the overrides again: the record holds none (what ``bb resume`` would start
is the bottle without them).
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

__all__ = ["SCRIPT"]

SCRIPT = Path(__file__).resolve()
"""Run as ``[sys.executable, str(SCRIPT), "start", ...]``."""


def main(argv: list[str] | None = None) -> None:
    from bb_cli.commands.bottles import _launch
    from bb_cli.lifecycle import LaunchRequest, resolve_plan
    from bb_cli.state import find_record

    parser = argparse.ArgumentParser(prog="planned_bb")
    parser.add_argument("command", choices=["start", "resume"])
    parser.add_argument("name", help="the agent (start) or the bottle's slug (resume)")
    parser.add_argument("--observe", action="store_true")
    parser.add_argument("--egress-subnet")
    parser.add_argument("--forge-network")
    args = parser.parse_args(argv)
    if args.command == "resume":
        record = find_record(args.name)
        agent, slug, observe, backend = record.agent, record.slug, record.observe, record.backend
    else:
        agent, slug, observe, backend = args.name, None, args.observe, "compose"
    plan = resolve_plan(agent, slug, observe, backend)
    plan = dataclasses.replace(
        plan, test_egress_subnet=args.egress_subnet, test_forge_network=args.forge_network
    )
    request = LaunchRequest(agent, slug=slug, observe=observe, backend=backend, planned=plan)
    _launch(request, as_json=True)


if __name__ == "__main__":
    main()

"""``bb run AGENT [--] PROMPT...``: one unattended run of an agent runtime in a new bottle.

Starts a bottle exactly as ``bb start`` does, then runs the runtime non-interactively
inside it (`bb_cli.runtimes.run_command`: the bottle's instructions, the supervise MCP
server, permission prompts off, the placeholder key), streams its output to stdout and
exits with its exit code. The bottle is left for inspection (``bb logs``, ``bb exec``, the
audit log) unless ``--rm`` is given. Why a command rather than ``bb start`` + ``bb exec``:
the runtime's non-interactive invocation is per-runtime knowledge the user should not need.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from bb_cli.commands._common import BackendOption, fail, handle_errors, require_engine

__all__ = ["run", "run_planned"]


def run_planned(plan: object, prompt: str) -> int:
    """Run ``plan``'s runtime on ``prompt`` in its (running) bottle; the runtime's exit code."""
    from bb_cli.lifecycle import run_prompt
    from bb_cli.plan import BottlePlan

    assert isinstance(plan, BottlePlan)
    return run_prompt(plan, prompt)


@handle_errors
def run(
    agent: Annotated[str, typer.Argument(help="Agent manifest name (e.g. claude, codex).")],
    prompt: Annotated[list[str], typer.Argument(help="The prompt (after --; words are joined).")],
    remove: Annotated[
        bool, typer.Option("--rm", help="Remove the bottle afterwards (its audit log is kept).")
    ] = False,
    backend: BackendOption = "compose",
) -> None:
    """Start a bottle for AGENT, run its runtime unattended on PROMPT, exit with its code.

    Example: bb run --rm claude -- "fix the failing test in tests/test_io.py"
    """
    from bb_cli.backends import BACKENDS
    from bb_cli.commands.bottles import _launch, _remove
    from bb_cli.lifecycle import LaunchRequest
    from bb_cli.manifests import ManifestIndex
    from bb_cli.state import find_record

    if backend not in BACKENDS:
        raise fail(f"unknown backend {backend!r}; choose from {', '.join(BACKENDS)}", 2)
    if prompt and prompt[0] == "--":
        prompt = prompt[1:]
    text = " ".join(prompt).strip()
    if not text:
        raise fail("give a prompt: bb run AGENT -- PROMPT...", 2)
    runtime = ManifestIndex.default().load_for_agent(agent).agent.runtime
    if runtime == "command":
        raise fail(f"agent {agent} runs its own command; use `bb start {agent}`", 2)
    require_engine(backend)  # first: never build images or write state without an engine
    plan = _launch(LaunchRequest(agent, backend=backend), as_json=False)
    code = run_planned(plan, text)
    if remove:
        _remove(find_record(plan.slug), quiet=False)  # its own bottle: no question
    else:
        print(
            f"bottle {plan.slug} left for inspection: `bb logs {plan.slug}`, `bb rm {plan.slug}`",
            file=sys.stderr,
        )
    raise typer.Exit(code)

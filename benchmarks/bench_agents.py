"""Agent runs: ``bb run`` to first output vs the same CLI run directly on the host, same mock.

For each runtime (claude, codex) in one run:

* ``bb_run_cold``: the ``bb run`` command (a new bottle: start-up, assertions, sidecars,
  then the runtime) until the runtime's first byte of output, once;
* ``in_bottle``: the runtime again in that running bottle (``bb run``'s execution step:
  ``docker exec``, seeding, the CLI, through the proxy with DLP and key injection), per
  round until the first byte of output;
* ``host``: the same CLI binary (extracted from the same verified npm tarball) run on the
  host with the same prompt against the same mock (its plain-HTTP port; every other
  destination points at a dead local proxy, so nothing leaves the machine).

The mock is the agent e2e tests' (``tests/e2e/agents``); its plan overlay is injected the
way those tests do it. Reported: seconds (median/min/max over ``--rounds=N``, default 3)
and the in-bottle overhead over the host run. Needs Docker, the images and npm's cache.
"""

from __future__ import annotations

import json
import os
import pickle
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks._common import int_option, min_median_max

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e" / "agents"))

PROMPT = "Say hi. bbscenario=answer"
_CHILD = f"""
import pickle, sys
sys.path.insert(0, {str(ROOT / "tests" / "e2e" / "agents")!r})
from bb_cli.app import app
from bb_cli import lifecycle
plan = pickle.loads(sys.stdin.buffer.read())
lifecycle.resolve_plan = lambda *a, **k: plan
app(["run", sys.argv[1], "--", sys.argv[2]])
"""


def _first_output(argv: list[str], *, env: dict[str, str], stdin: bytes = b"") -> float:
    """Seconds from spawning ``argv`` until its first stdout byte (then waits for exit)."""
    started = time.monotonic()
    proc = subprocess.Popen(
        argv, env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    )
    assert proc.stdin is not None
    assert proc.stdout is not None
    proc.stdin.write(stdin)
    proc.stdin.close()
    first: float | None = None
    out = b""
    while True:
        ready, _, _ = select.select([proc.stdout], [], [], 600)
        if not ready:
            proc.kill()
            raise RuntimeError(f"{argv[:3]}: no output in 600 s")
        chunk = os.read(proc.stdout.fileno(), 65536)
        if not chunk:
            break
        if first is None:
            first = time.monotonic() - started
        out += chunk
    code = proc.wait()
    if code != 0 or first is None or b"MOCK-ANSWER" not in out:
        raise RuntimeError(f"{argv[:3]} exited {code}: {out[-500:]!r}")
    return first


def _host_command(
    runtime: str, home: Path, bindir: Path, mock_ip: str
) -> tuple[list[str], dict[str, str]]:
    from bb_cli.runtimes import seed_files

    for relative, text in seed_files(runtime, None).items():
        if relative == ".claude/settings.json":
            continue  # bypassPermissions is refused as root; the answer needs no tool
        path = home / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    env = {
        "HOME": str(home),
        "PATH": f"{bindir}:/usr/bin:/bin",
        "HTTPS_PROXY": "http://127.0.0.1:9",
        "HTTP_PROXY": "http://127.0.0.1:9",
        "NO_PROXY": mock_ip,
        "no_proxy": mock_ip,
    }
    if runtime == "claude":
        env.update(
            ANTHROPIC_BASE_URL=f"http://{mock_ip}",
            ANTHROPIC_API_KEY="sk-bench",
            DISABLE_AUTOUPDATER="1",
            CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC="1",
        )
        # No permission bypass: Claude Code refuses it as root, and the answer scenario
        # calls no tool (the bottle runs it with the bypass, as uid 1000).
        return ["claude", "-p", PROMPT], env
    config = home / ".codex" / "config.toml"
    config.write_text(f'openai_base_url = "http://{mock_ip}/v1"\n' + config.read_text())
    return [
        "codex",
        "exec",
        "--dangerously-bypass-approvals-and-sandbox",
        "--skip-git-repo-check",
        PROMPT,
    ], env


def _runtime(runtime: str, rounds: int) -> dict[str, Any]:
    from harness import AgentBottle, build_observer_image

    from bb_cli.commands.run import run_planned  # noqa: F401  (the in-bottle step, below)
    from bb_cli.images import cache_dir, find_source_tree
    from bb_cli.images.clis import extract_binaries, fetch_cli, load_lock
    from bb_cli.images.progress import RecordingReporter

    with tempfile.TemporaryDirectory(prefix=f"bb-bench-{runtime}-") as tmp:
        directory = Path(tmp)
        env = {**os.environ, "BOT_BOTTLE_STATE_DIR": str(directory / "state")}
        os.environ["BOT_BOTTLE_STATE_DIR"] = env["BOT_BOTTLE_STATE_DIR"]
        build_observer_image()
        bottle = AgentBottle(runtime, directory)
        plan = bottle.make_plan()
        try:
            cold = _first_output(
                [sys.executable, "-c", _CHILD, runtime, PROMPT], env=env, stdin=pickle.dumps(plan)
            )
            warm_child = (
                "import pickle, sys\nfrom bb_cli.commands.run import run_planned\n"
                "sys.exit(run_planned(pickle.loads(sys.stdin.buffer.read()), sys.argv[1]))"
            )
            bare = pickle.dumps(__import__("dataclasses").replace(plan, test_compose_overlay=None))
            in_bottle = [
                _first_output([sys.executable, "-c", warm_child, PROMPT], env=env, stdin=bare)
                for _ in range(rounds)
            ]
            pin = load_lock(find_source_tree()).clis[runtime]  # type: ignore[index]
            tarball = fetch_cli(runtime, pin, cache_dir(), RecordingReporter())
            bindir = directory / "bin"
            extract_binaries(tarball, pin, bindir)
            host: list[float] = []
            for i in range(rounds):
                home = directory / f"home{i}"
                home.mkdir()
                argv, host_env = _host_command(runtime, home, bindir, bottle.mock_ip)
                host.append(_first_output(argv, env=host_env))
        finally:
            bottle.stop()
            shutil.rmtree(directory / "bin", ignore_errors=True)
    return {
        "cli": f"{runtime} {pin.version}",
        "bb_run_cold_s": round(cold, 3),
        "in_bottle": min_median_max(in_bottle),
        "host": min_median_max(host),
        "in_bottle_overhead_median_s": round(
            statistics.median(in_bottle) - statistics.median(host), 3
        ),
    }


def run(args: list[str]) -> dict[str, Any]:
    """Both runtimes; see the module docstring."""
    rounds = int_option(args, "rounds", 3)
    return {"rounds": rounds, **{rt: _runtime(rt, rounds) for rt in ("claude", "codex")}}


if __name__ == "__main__":
    print(json.dumps(run(sys.argv[1:]), indent=2))

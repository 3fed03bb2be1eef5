"""A loopback harness for the git gate (dev only: never in the gate's package or image).

Real processes on loopback only: `serve_upstream` runs ``git daemon`` with receive-pack
enabled over a bare repo (a stand-in for the forge), `start_gate` runs ``bb-gitgate
serve`` as its own process, `Agent` runs git as the agent would, with its own HOME.
`decide` records an operator decision through the gate's queue, as ``bb queue`` would.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final

import yaml

from bb_protocol.queue import ApprovalKey, Approve, QueueStore, Reject, content_hash

__all__ = [
    "PLANTED_SECRET",
    "Agent",
    "Gate",
    "Upstream",
    "clean_git_env",
    "decide",
    "free_port",
    "run_git",
    "serve_upstream",
    "start_gate",
    "stop_gate",
    "wait_for_proposal",
    "wait_until",
]

PLANTED_SECRET: Final = "AKIA" + "QYLPMN5HZT3XW7KC"
"""Shaped like an AWS access key id (gitleaks rule ``aws-access-token``); not a real key."""


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until(predicate: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    """Poll ``predicate`` until true; raise `AssertionError` naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        return sock.connect_ex(("127.0.0.1", port)) == 0


def clean_git_env(home: Path) -> dict[str, str]:
    """An environment for test-side git: its own HOME, no inherited git config or identity."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env.update(
        HOME=str(home),
        GIT_CONFIG_NOSYSTEM="1",
        GIT_AUTHOR_NAME="agent",
        GIT_AUTHOR_EMAIL="agent@bottle.invalid",
        GIT_COMMITTER_NAME="agent",
        GIT_COMMITTER_EMAIL="agent@bottle.invalid",
        GIT_TERMINAL_PROMPT="0",
    )
    home.mkdir(parents=True, exist_ok=True)
    return env


def run_git(
    *args: str, env: Mapping[str, str], cwd: Path | None = None, check: bool = True
) -> subprocess.CompletedProcess[str]:
    """Run git for a test (bounded at 120 s)."""
    return subprocess.run(
        ["git", *args],
        cwd=cwd,
        env=dict(env),
        capture_output=True,
        text=True,
        check=check,
        timeout=120,
    )


@dataclass
class Upstream:
    """A bare repo ``app.git`` served by git daemon on 127.0.0.1."""

    root: Path
    port: int
    env: dict[str, str]

    @property
    def url(self) -> str:
        """The ``git://`` URL the gate forwards to."""
        return f"git://127.0.0.1:{self.port}/app.git"

    @property
    def path(self) -> Path:
        """The bare repo on disk."""
        return self.root / "app.git"

    def rev(self, ref: str) -> str | None:
        """The commit ``ref`` points at upstream, or None."""
        result = run_git(
            "--git-dir",
            str(self.path),
            "rev-parse",
            "--verify",
            "-q",
            ref,
            env=self.env,
            check=False,
        )
        return result.stdout.strip() or None


@contextmanager
def serve_upstream(tmp: Path) -> Iterator[Upstream]:
    """Serve a fresh bare repo (one commit on main) with git daemon until the block ends."""
    root = tmp / "upstream"
    env = clean_git_env(tmp / "upstream-home")
    seed = tmp / "seed"
    run_git("init", "-q", "-b", "main", str(seed), env=env)
    (seed / "README.md").write_text("hello\n")
    run_git("add", ".", cwd=seed, env=env)
    run_git("commit", "-q", "-m", "initial", cwd=seed, env=env)
    root.mkdir()
    run_git("clone", "-q", "--bare", str(seed), str(root / "app.git"), env=env)
    port = free_port()
    daemon = subprocess.Popen(
        [
            "git",
            "daemon",
            "--reuseaddr",
            "--listen=127.0.0.1",
            f"--port={port}",
            f"--base-path={root}",
            "--export-all",
            "--enable=receive-pack",
            "--informative-errors",
            str(root),
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        wait_until(lambda: _port_open(port), "git daemon")
        yield Upstream(root, port, env)
    finally:
        daemon.terminate()
        daemon.wait(timeout=10)


@dataclass
class Gate:
    """A running ``bb-gitgate serve`` process."""

    port: int
    config_path: Path
    state: Path
    queue: Path
    log: Path
    proc: subprocess.Popen[bytes]
    config: dict[str, object] = field(default_factory=dict)

    def url(self, repo: str = "app") -> str:
        """Where the agent clones ``repo`` from."""
        return f"http://127.0.0.1:{self.port}/{repo}.git"

    def proposals(self) -> list[Path]:
        """Pending gitleaks-allow proposal files."""
        return sorted((self.queue / "new").glob("*.json"))

    def archived(self, proposal: Path) -> dict[str, object]:
        """The archive record the gate wrote for ``proposal``."""
        data: dict[str, object] = json.loads((self.queue / "processed" / proposal.name).read_text())
        return data

    @property
    def key(self) -> ApprovalKey:
        """The bottle's approval key (host side)."""
        return ApprovalKey.load(self.queue.parent / "approval.key")

    @property
    def host_state_dir(self) -> Path:
        """What ``BOT_BOTTLE_STATE_DIR`` must be for ``bb queue`` to see this bottle."""
        return self.queue.parent.parent.parent

    def log_text(self) -> str:
        """Everything the gate has logged so far."""
        return self.log.read_text(errors="replace")


def start_gate(
    tmp: Path,
    upstream_url: str,
    *,
    env: Mapping[str, str] | None = None,
    **overrides: object,
) -> Gate:
    """Start the gate for one repo ``app`` forwarding to ``upstream_url``; wait for /healthz."""
    port = free_port()
    # The host's layout (bb_protocol.paths), so `bb queue` with BOT_BOTTLE_STATE_DIR=<tmp>/bb
    # finds this bottle's queue and key.
    bottle = tmp / "bb" / "bottles" / "test-bottle"
    state, queue, key_file = tmp / "gate-state", bottle / "queue", bottle / "approval.key"
    if not key_file.exists():
        bottle.mkdir(parents=True, exist_ok=True)
        ApprovalKey.create_file(key_file)
    config: dict[str, object] = {
        "bottle": "test-bottle",
        "state_dir": str(state),
        "queue_dir": str(queue),
        "approval_key_file": str(key_file),
        "listen_host": "127.0.0.1",
        "listen_port": port,
        "hold_timeout_seconds": 60,
        "poll_interval_seconds": 0.2,
        "repos": [
            {
                "name": "app",
                "upstream": upstream_url,
                "push_refs": ["refs/heads/main", "refs/heads/bb/*"],
            }
        ],
    }
    config.update(overrides)
    config_path = tmp / "gate.yaml"
    config_path.write_text(yaml.safe_dump(config))
    log = tmp / "gate.log"
    with log.open("wb") as log_file:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bb_gitgate", "serve", "--config", str(config_path)],
            env=dict(os.environ if env is None else env),
            stdout=subprocess.DEVNULL,
            stderr=log_file,
        )
    gate = Gate(port, config_path, state, queue, log, proc, config)

    def healthy() -> bool:
        if proc.poll() is not None:
            raise AssertionError(f"gate exited: {gate.log_text()}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
                return bool(resp.status == 200)
        except OSError:
            return False

    wait_until(healthy, "the gate's /healthz")
    return gate


def stop_gate(gate: Gate) -> None:
    """Stop the gate process (SIGTERM, then SIGKILL after 10 s)."""
    gate.proc.terminate()
    try:
        gate.proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        gate.proc.kill()
        gate.proc.wait()


@dataclass
class Agent:
    """A working copy cloned from the gate, driven as the agent would."""

    work: Path
    env: dict[str, str]

    def git(self, *args: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run git in the working copy."""
        return run_git(*args, cwd=self.work, env=self.env, check=check)

    def commit_file(self, name: str, text: str, message: str) -> str:
        """Write, add and commit one file; return the new commit id."""
        path = self.work / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
        self.git("add", "--", name)
        self.git("commit", "-q", "-m", message)
        return self.git("rev-parse", "HEAD").stdout.strip()

    def push_async(self, *args: str) -> subprocess.Popen[str]:
        """Start ``git push`` without waiting (it may be held for the operator)."""
        return subprocess.Popen(
            ["git", "push", *args],
            cwd=self.work,
            env=self.env,
            text=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
        )


def wait_for_proposal(gate: Gate, timeout: float = 60.0) -> Path:
    """Bounded wait for the gate to write a gitleaks-allow proposal; return its file."""
    wait_until(lambda: bool(gate.proposals()), "a gitleaks-allow proposal", timeout)
    return gate.proposals()[0]


def decide(gate: Gate, proposal: Path, kind: str, reason: str) -> None:
    """Record the operator's decision on ``proposal`` through the queue API (as ``bb queue``)."""
    store = QueueStore(gate.queue)
    pending = store.get(proposal.stem)
    decision = Approve(reason=reason) if kind == "approved" else Reject(reason=reason)
    store.decide(
        pending.id, decision, gate.key, decided_by="test@host", seen_sha256=content_hash(pending)
    )

"""The gate's pre-receive hook: a thin adapter from receive-pack to `bb_gitgate.receive`.

receive-pack runs it (``core.hooksPath`` names the gate's hook directory, never the
repository's) with the pushed objects in a quarantine directory and one
``<old> <new> <ref>`` line per update on stdin. Exit 0 lets receive-pack update the
gate's mirror (upstream has already accepted); any other exit refuses the push and
receive-pack deletes the quarantined objects. What it prints to stderr reaches the agent
as ``remote:`` lines; the gate's own log goes to the descriptor named by
``BB_GITGATE_LOG_FD`` (the server's stderr) so it never mixes with the agent's output.

The server passes ``BB_GITGATE_CONFIG`` (the config file), ``BB_GITGATE_REPO`` (which
configured repo this is) and the bottle's secrets for the DLP pass (the variables named by
``BB_GITGATE_DLP_SECRETS``, `bb_gitgate.dlp`); nothing else is taken from the environment
except receive-pack's quarantine variables.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Final, TextIO

from bb_gitgate.approvals import ApprovalQueue
from bb_gitgate.config import load_config
from bb_gitgate.dlp import config_from_hook_env
from bb_gitgate.errors import GitGateError, PushRefusedError
from bb_gitgate.git import mirror_path, repo_env
from bb_gitgate.receive import PushContext, handle_push
from bb_gitgate.refs import parse_updates
from bb_protocol.gitgate import GateConfig
from bb_protocol.logging import Logger
from bb_protocol.queue import QueueError

__all__ = [
    "ENV_CONFIG",
    "ENV_LOG_FD",
    "ENV_REPO",
    "QUARANTINE_VARS",
    "main",
    "open_queue",
]

ENV_CONFIG: Final = "BB_GITGATE_CONFIG"
ENV_REPO: Final = "BB_GITGATE_REPO"
ENV_LOG_FD: Final = "BB_GITGATE_LOG_FD"
QUARANTINE_VARS: Final = (
    "GIT_OBJECT_DIRECTORY",
    "GIT_ALTERNATE_OBJECT_DIRECTORIES",
    "GIT_QUARANTINE_PATH",
)
"""receive-pack's variables that let the hook's git commands see the pushed objects."""


def open_queue(config: GateConfig) -> ApprovalQueue | None:
    """The approval queue at ``config.queue_dir``, or None when the gate has none."""
    if config.queue_dir is None:
        return None
    from bb_gitgate.queue import ProtocolQueue
    from bb_protocol.queue import ApprovalKey

    if config.approval_key_file is None:  # GateConfig refuses this; fail closed regardless
        return None
    key = ApprovalKey.load(config.approval_key_file)
    return ProtocolQueue(config.queue_dir, bottle=config.bottle, key=key)


def _log_stream() -> TextIO:
    raw = os.environ.get(ENV_LOG_FD, "")
    if raw.isdigit():
        try:
            return os.fdopen(int(raw), "w", buffering=1, closefd=False)
        except OSError:
            pass
    return open(os.devnull, "w")


def _say(line: str) -> None:
    sys.stderr.write(line + "\n")
    sys.stderr.flush()


def main() -> int:
    """Run the hook; return its exit status."""
    log = Logger("bb-gitgate.hook", stream=_log_stream())
    try:
        config = load_config(Path(os.environ[ENV_CONFIG]))
        repo = config.repo(os.environ.get(ENV_REPO, ""))
        if repo is None:
            raise PushRefusedError("refused: this repository is not one the gate serves")
        updates = parse_updates(sys.stdin.read().splitlines())
        quarantine = {name: os.environ[name] for name in QUARANTINE_VARS if name in os.environ}
        env = repo_env(config, repo, extra=quarantine)
        ctx = PushContext(
            config=config,
            repo=repo,
            repo_dir=mirror_path(config, repo),
            env=env,
            queue=open_queue(config),
            say=_say,
            log=log,
            dlp=config_from_hook_env(os.environ, require_canary=config.require_canary),
        )
        handle_push(ctx, updates)
    except PushRefusedError as exc:
        _say(str(exc))
        return 1
    except (GitGateError, QueueError, KeyError, ValueError, OSError) as exc:
        log.error("push refused: gate error", {"error": str(exc)})
        _say(f"refused: the gate failed while checking this push ({exc})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())

"""The git commands the gate runs, each with the scrubbed environment of `bb_gitgate.gitenv`.

Every argument that comes from a push (object ids, ref names) has been validated before it
gets here (`bb_gitgate.refs`), and every command line puts ``--end-of-options`` or a
``--`` before such values where git supports it. Upstream URLs come only from the config.
"""

from __future__ import annotations

import shlex
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path

from bb_gitgate.errors import GitError
from bb_gitgate.gitenv import git_env, ssh_command
from bb_gitgate.refs import ZERO_OID, RefUpdate
from bb_protocol.gitgate import GateConfig, RepoConfig

__all__ = [
    "ensure_mirror",
    "fetch_upstream",
    "forward",
    "is_ancestor",
    "mirror_path",
    "new_commits",
    "prepare_state",
    "repo_env",
    "run_git",
]

_GITCONFIG = "# bb-gitgate's global git config: deliberately empty (see bb_gitgate.gitenv)\n"
_HOOK = """#!/bin/sh
# bb-gitgate's only hook: decides whether a push may go upstream. Not repo-controlled.
exec {python} -m bb_gitgate.hook
"""


def run_git(
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    cwd: Path | None = None,
    timeout: float,
    input_text: str | None = None,
    check: bool = True,
) -> subprocess.CompletedProcess[str]:
    """Run ``git <args>`` and return the result; raise `GitError` on failure or timeout."""
    try:
        result = subprocess.run(
            ["git", *args],
            env=dict(env),
            cwd=cwd,
            capture_output=True,
            text=True,
            timeout=timeout,
            input=input_text,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise GitError(f"git {_subcommand(args)} timed out after {timeout:.0f}s") from exc
    except OSError as exc:
        raise GitError(f"cannot run git: {exc.strerror or exc}") from exc
    if check and result.returncode != 0:
        raise GitError(
            f"git {_subcommand(args)} failed (exit {result.returncode}): " + _explain(result.stderr)
        )
    return result


def _subcommand(args: Sequence[str]) -> str:
    """The git subcommand in ``args`` (skipping ``--git-dir <path>`` and other options)."""
    skip = False
    for arg in args:
        if skip:
            skip = False
        elif arg == "--git-dir":
            skip = True
        elif not arg.startswith("-"):
            return arg
    return args[0] if args else "?"


def _explain(stderr: str) -> str:
    """The lines of git's stderr that say what went wrong (at most three)."""
    lines = [line.strip() for line in stderr.splitlines() if line.strip()]
    telling = [
        line
        for line in lines
        if line.startswith(("fatal:", "error:", "remote: error", " !", "!"))
        or "Host key verification failed" in line
        or "Permission denied" in line
    ]
    chosen = (telling or lines)[-3:]
    return " | ".join(chosen) if chosen else "no message"


def prepare_state(config: GateConfig, python: str) -> Path:
    """Create the gate's state dir: empty global config, home, and its pre-receive hook.

    Returns the hook directory. ``python`` is the interpreter the hook runs
    (`sys.executable` of the server).
    """
    state = config.state_dir
    (state / "home").mkdir(parents=True, exist_ok=True)
    (state / "repos").mkdir(exist_ok=True)
    (state / "gitconfig").write_text(_GITCONFIG, encoding="utf-8")
    hooks = state / "hooks"
    hooks.mkdir(exist_ok=True)
    hook = hooks / "pre-receive"
    hook.write_text(_HOOK.format(python=shlex.quote(python)), encoding="utf-8")
    hook.chmod(0o755)
    return hooks


def mirror_path(config: GateConfig, repo: RepoConfig) -> Path:
    """Where the gate keeps its bare mirror of ``repo``."""
    return config.state_dir / "repos" / f"{repo.name}.git"


def repo_env(
    config: GateConfig, repo: RepoConfig, extra: Mapping[str, str] | None = None
) -> dict[str, str]:
    """The scrubbed environment for git commands on ``repo`` (ssh set up if upstream needs it)."""
    ssh = None
    if repo.is_ssh and repo.deploy_key is not None and repo.known_hosts is not None:
        ssh = ssh_command(repo.deploy_key, repo.known_hosts)
    return git_env(config.state_dir, ssh=ssh, extra=extra)


def ensure_mirror(config: GateConfig, repo: RepoConfig) -> Path:
    """Create the bare mirror of ``repo`` if missing and return its path."""
    path = mirror_path(config, repo)
    if not (path / "HEAD").exists():
        env = repo_env(config, repo)
        run_git(["init", "--bare", "--quiet", str(path)], env=env, timeout=60)
        # The template's sample hooks are never run (core.hooksPath is forced), but remove
        # them so nothing executable sits in a repo the agent writes to.
        for sample in (path / "hooks").glob("*"):
            sample.unlink()
    return path


def fetch_upstream(config: GateConfig, repo: RepoConfig) -> None:
    """Make the mirror's branches and tags exactly upstream's (the agent sees upstream)."""
    path = ensure_mirror(config, repo)
    run_git(
        [
            "--git-dir",
            str(path),
            "fetch",
            "--quiet",
            "--prune",
            "--no-recurse-submodules",
            "--no-write-fetch-head",
            "--",
            repo.upstream,
            "+refs/heads/*:refs/heads/*",
            "+refs/tags/*:refs/tags/*",
        ],
        env=repo_env(config, repo),
        timeout=config.git_timeout_seconds,
    )
    _follow_upstream_head(config, repo, path)


def _follow_upstream_head(config: GateConfig, repo: RepoConfig, path: Path) -> None:
    """Point the mirror's HEAD where upstream's points, so clones check out its default branch.

    Asked of upstream only while the mirror's HEAD names no existing branch (a fresh
    mirror), which saves a round trip on every later sync.
    """
    env = repo_env(config, repo)
    head = run_git(
        ["--git-dir", str(path), "rev-parse", "--verify", "-q", "HEAD"],
        env=env,
        timeout=60,
        check=False,
    )
    if head.returncode == 0:
        return
    result = run_git(
        ["ls-remote", "--symref", "--", repo.upstream, "HEAD"],
        env=env,
        timeout=config.git_timeout_seconds,
    )
    for line in result.stdout.splitlines():
        if line.startswith("ref: ") and line.endswith("\tHEAD"):
            target = line.removeprefix("ref: ").removesuffix("\tHEAD")
            if target.startswith("refs/heads/") and not target.startswith("refs/heads/-"):
                run_git(
                    ["--git-dir", str(path), "symbolic-ref", "HEAD", target],
                    env=env,
                    timeout=60,
                )
            return


def is_ancestor(path: Path, old: str, new: str, *, env: Mapping[str, str], timeout: float) -> bool:
    """True when commit ``old`` is an ancestor of ``new`` (a fast-forward)."""
    result = run_git(
        ["--git-dir", str(path), "merge-base", "--is-ancestor", old, new],
        env=env,
        timeout=timeout,
        check=False,
    )
    if result.returncode not in (0, 1):
        raise GitError(f"git merge-base failed: {result.stderr.strip() or 'no message'}")
    return result.returncode == 0


def new_commits(
    path: Path, updates: Sequence[RefUpdate], *, env: Mapping[str, str], timeout: float
) -> list[str]:
    """Commits reachable from the pushed tips and from no existing ref, oldest first.

    Run inside receive-pack's quarantine (``env`` carries ``GIT_OBJECT_DIRECTORY``), this
    is exactly what the push brings that upstream (mirrored in the existing refs) lacks.
    """
    tips = [update.new for update in updates if update.new != ZERO_OID]
    if not tips:
        return []
    result = run_git(
        ["--git-dir", str(path), "rev-list", "--reverse", "--topo-order", *tips, "--not", "--all"],
        env=env,
        timeout=timeout,
    )
    return result.stdout.split()


def forward(
    config: GateConfig,
    repo: RepoConfig,
    path: Path,
    updates: Sequence[RefUpdate],
    *,
    env: Mapping[str, str],
) -> str:
    """Push exactly ``updates`` (by object id) upstream, atomically, leased on their old values.

    ``--force-with-lease=<ref>:<old>`` makes upstream refuse when its ref is no longer what
    the agent pushed on top of (a ref moved in between), so what lands is exactly what was
    scanned. Returns upstream's report; raises `GitError` when upstream refuses.
    """
    refspecs = [f"{update.new}:{update.ref}" for update in updates]
    leases = [
        f"--force-with-lease={update.ref}:{'' if update.is_create else update.old}"
        for update in updates
    ]
    result = run_git(
        [
            "--git-dir",
            str(path),
            "push",
            "--porcelain",
            "--no-verify",
            "--no-recurse-submodules",
            "--atomic",
            *leases,
            "--",
            repo.upstream,
            *refspecs,
        ],
        env=env,
        timeout=config.git_timeout_seconds,
        check=False,
    )
    report = (result.stdout + result.stderr).strip()
    if result.returncode != 0:
        raise GitError(f"upstream refused the push: {report or 'no message'}")
    return report

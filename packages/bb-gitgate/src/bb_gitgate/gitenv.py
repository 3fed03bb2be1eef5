"""The environment every git (and gitleaks) process of the gate runs in.

Why this exists: the pushed repository is attacker-controlled input, so no git the gate
starts may read config, hooks or drivers that anyone but the gate wrote
(``git help gitsecurityboundary``). Every child process therefore gets:

* a scrubbed environment: only ``PATH``, locale and ``TZ`` are inherited; every ``GIT_*``,
  ``SSH_*`` and proxy variable of the parent is dropped;
* ``GIT_CONFIG_NOSYSTEM=1`` and ``GIT_CONFIG_GLOBAL`` pointing at the gate's own (empty)
  file, and ``HOME``/``XDG_CONFIG_HOME`` inside the gate's state dir, so no user or system
  config applies;
* forced settings passed as ``GIT_CONFIG_COUNT``/``GIT_CONFIG_KEY_n``/``GIT_CONFIG_VALUE_n``,
  which outrank every config file (including the repository's own) and are inherited by
  the git processes gitleaks starts: ``core.hooksPath=/dev/null``, ``core.fsmonitor=false``,
  ``protocol.allow=never`` with only the upstream schemes re-allowed and
  ``protocol.ext.allow=never``, no credential helper, no attributes file, no submodule
  recursion, fsck on every transfer;
* for ssh upstreams, ``GIT_SSH_COMMAND`` with the deploy key, ``IdentitiesOnly``, batch
  mode, ``-F /dev/null`` and strict host key checking against the manifest's known_hosts.

The receive-pack the agent talks to gets the same, except that ``core.hooksPath`` names
the gate's own hook directory (one ``pre-receive`` that runs `bb_gitgate.hook`).
"""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from pathlib import Path
from typing import Final

__all__ = [
    "FORCED_CONFIG",
    "git_env",
    "ssh_command",
]

FORCED_CONFIG: Final[tuple[tuple[str, str], ...]] = (
    ("core.hooksPath", "/dev/null"),
    ("core.fsmonitor", "false"),
    ("core.untrackedCache", "false"),
    ("core.attributesFile", "/dev/null"),
    ("credential.helper", ""),
    ("protocol.allow", "never"),
    ("protocol.ext.allow", "never"),
    ("protocol.file.allow", "never"),
    ("protocol.ssh.allow", "always"),
    ("protocol.https.allow", "always"),
    ("protocol.http.allow", "always"),
    ("protocol.git.allow", "always"),
    ("submodule.recurse", "false"),
    ("fetch.recurseSubmodules", "false"),
    ("push.recurseSubmodules", "no"),
    ("transfer.fsckObjects", "true"),
    ("receive.fsckObjects", "true"),
    ("fetch.fsckObjects", "true"),
    ("receive.denyDeletes", "true"),
    ("receive.denyNonFastForwards", "true"),
    ("receive.keepAlive", "5"),
    ("uploadpack.allowAnySHA1InWant", "false"),
    ("gc.auto", "0"),
    ("safe.directory", "*"),
)
"""Settings no file can override; see the module docstring for why each is here."""

_INHERITED: Final = ("PATH", "LANG", "LC_ALL", "LC_CTYPE", "TZ")


def ssh_command(deploy_key: Path, known_hosts: Path) -> str:
    """The ``GIT_SSH_COMMAND`` for forwarding with ``deploy_key``, pinned to ``known_hosts``."""
    options = [
        "ssh",
        "-F",
        "/dev/null",
        "-i",
        str(deploy_key),
        "-o",
        "IdentitiesOnly=yes",
        "-o",
        "IdentityAgent=none",
        "-o",
        "BatchMode=yes",
        "-o",
        "StrictHostKeyChecking=yes",
        "-o",
        f"UserKnownHostsFile={known_hosts}",
        "-o",
        "GlobalKnownHostsFile=/dev/null",
        "-o",
        "UpdateHostKeys=no",
        "-o",
        "ProxyCommand=none",
        "-o",
        "ConnectTimeout=20",
    ]
    return shlex.join(options)


def git_env(
    state_dir: Path,
    *,
    hooks_path: Path | None = None,
    ssh: str | None = None,
    extra: Mapping[str, str] | None = None,
    parent: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Build the scrubbed environment for one git or gitleaks process.

    ``hooks_path`` replaces ``/dev/null`` as ``core.hooksPath`` (only for the receive-pack
    that must run the gate's own pre-receive); ``ssh`` becomes ``GIT_SSH_COMMAND``;
    ``extra`` adds variables (e.g. the CGI variables of ``git http-backend``).
    """
    source = os.environ if parent is None else parent
    env = {name: source[name] for name in _INHERITED if name in source}
    env.setdefault("PATH", "/usr/local/bin:/usr/bin:/bin")
    home = state_dir / "home"
    env["HOME"] = str(home)
    env["XDG_CONFIG_HOME"] = str(home / ".config")
    env["GIT_CONFIG_NOSYSTEM"] = "1"
    env["GIT_CONFIG_GLOBAL"] = str(state_dir / "gitconfig")
    env["GIT_TERMINAL_PROMPT"] = "0"
    env["GIT_ATTR_NOSYSTEM"] = "1"
    env["GIT_NO_REPLACE_OBJECTS"] = "1"
    env["GIT_PROTOCOL_FROM_USER"] = "0"
    forced = [
        (key, str(hooks_path) if key == "core.hooksPath" and hooks_path else value)
        for key, value in FORCED_CONFIG
    ]
    env["GIT_CONFIG_COUNT"] = str(len(forced))
    for index, (key, value) in enumerate(forced):
        env[f"GIT_CONFIG_KEY_{index}"] = key
        env[f"GIT_CONFIG_VALUE_{index}"] = value
    if ssh is not None:
        env["GIT_SSH_COMMAND"] = ssh
        env["GIT_SSH_VARIANT"] = "ssh"
    if extra:
        env.update(extra)
    return env

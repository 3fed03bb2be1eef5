"""FAKE of the smolmachines ``smolvm`` CLI, for tests on machines without a hypervisor.

Models the interface documented in smol-machines/smolvm (README, ``docs/pack/README.md``,
the CLI reference listing ``machine create|start|stop|delete|status|ls|cp|exec`` and
``pack create --image IMAGE -o PATH``), plus two behaviours recorded in bot-bottle issues
8 and 10 from running the real tool, which shape the backend:

* ``machine exec`` needs its stdout to be a pipe (or a terminal): with stdout redirected
  to a file it fails, exit 1, **with nothing on stderr**;
* one exec at a time per machine: a second, concurrent ``machine exec`` fails the same
  silent way (exit 1, empty stderr).

Also modelled: ``machine cp SRC DST`` with ``NAME:/path`` on one side (``not found`` for
an unknown machine); ``machine status --name N --json`` -> ``{"name", "state"}``;
``machine create NAME --image REF | --from FILE.smolmachine [--net |
--outbound-localhost-only]`` (the egress flags of smolvm's ``machine create``);
``pack create --image REF -o PATH`` writes ``PATH`` (the stub) and ``PATH.smolmachine``
(the payload) and, since the image is pulled from a registry, needs a registry reference
(``host:port/name:tag``).

What a fake cannot do, it does on the host: a machine is a directory (``$FAKE_ROOT``);
``exec`` runs the command there as a host process, and absolute paths given to ``tar``,
``rm``, ``mkdir``, ``chmod``, ``cat`` and ``test`` are rewritten into that directory.
"""

from __future__ import annotations

import fcntl
import json
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

from bb_testkit.fakes._state import root, state

__all__ = ["main"]

PATH_COMMANDS = {"tar", "rm", "mkdir", "chmod", "cat", "test"}


def _fail(message: str = "") -> int:
    if message:
        print(f"Error: {message}", file=sys.stderr)
    return 1


def _mroot(name: str) -> Path:
    return root() / "machines" / name


def _opt(args: list[str], name: str) -> str | None:
    return args[args.index(name) + 1] if name in args and args.index(name) + 1 < len(args) else None


def _create(args: list[str]) -> int:
    name = args[0]
    image, source = _opt(args, "--image"), _opt(args, "--from")
    if (image is None) == (source is None):
        return _fail("machine create needs exactly one of --image or --from")
    if source is not None and not Path(source).is_file():
        return _fail(f"{source}: no such file")
    env = [args[i + 1] for i, a in enumerate(args) if a == "-e"]
    with state() as st:
        machines = st.setdefault("machines", {})
        if name in machines:
            return _fail(f"machine '{name}' already exists")
        machines[name] = {
            "image": image,
            "from": source,
            "state": "stopped",
            "env": env,
            "net": "--net" in args,
            "localhost_only": "--outbound-localhost-only" in args,
        }
    _mroot(name).mkdir(parents=True, exist_ok=True)
    return 0


def _set_state(name: str | None, value: str) -> int:
    with state() as st:
        machine = st.get("machines", {}).get(name or "default")
        if machine is None:
            return _fail(f"machine '{name}' not found")
        machine["state"] = value
    return 0


def _delete(args: list[str]) -> int:
    name = next(a for a in args if not a.startswith("-"))
    with state() as st:
        if st.get("machines", {}).pop(name, None) is None:
            return _fail(f"machine '{name}' not found")
    shutil.rmtree(_mroot(name), ignore_errors=True)
    return 0


def _status(args: list[str]) -> int:
    name = _opt(args, "--name") or "default"
    with state() as st:
        machine = st.get("machines", {}).get(name)
    if machine is None:
        return _fail(f"machine '{name}' not found")
    print(
        json.dumps({"name": name, "state": machine["state"]})
        if "--json" in args
        else f"{name}: {machine['state']}"
    )
    return 0


def _stdout_is_pipe_or_tty() -> bool:
    mode = os.fstat(1).st_mode
    return stat.S_ISFIFO(mode) or os.isatty(1) or stat.S_ISSOCK(mode)


def _exec(args: list[str]) -> int:
    name = _opt(args, "--name") or "default"
    if "--" not in args:
        return _fail("machine exec needs -- CMD")
    command = args[args.index("--") + 1 :]
    with state() as st:
        machine = st.get("machines", {}).get(name)
    if machine is None:
        return _fail(f"machine '{name}' not found")
    if machine["state"] != "running":
        return _fail(f"machine '{name}' is not running")
    if not _stdout_is_pipe_or_tty():
        return _fail()  # the real tool fails here with an empty stderr
    where = _mroot(name)
    with (root() / f"{name}.exec.lock").open("w") as lock:
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            return _fail()  # busy channel: also silent
        if command and command[0] in PATH_COMMANDS:
            command = [command[0]] + [
                str(where / a.lstrip("/")) if a.startswith("/") else a for a in command[1:]
            ]
        env = {**os.environ, "FAKE_ROOT": str(where)}
        return subprocess.call(command, cwd=where, env=env)


def _cp(args: list[str]) -> int:
    src, dst = args[-2], args[-1]
    sides = []
    for end in (src, dst):
        if ":" in end and not end.startswith("/"):
            name, path = end.split(":", 1)
            with state() as st:
                if name not in st.get("machines", {}):
                    return _fail(f"machine '{name}' not found")
            sides.append(_mroot(name) / path.lstrip("/"))
        else:
            sides.append(Path(end))
    if not sides[0].exists():
        return _fail(f"{src}: no such file")
    sides[1].parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(sides[0], sides[1])
    return 0


def _pack(args: list[str]) -> int:
    if args[:1] != ["create"]:
        return _fail(f"unknown pack subcommand {args[:1]}")
    image, output = _opt(args, "--image"), _opt(args, "--output") or _opt(args, "-o")
    if image is None or output is None:
        return _fail("pack create needs --image IMAGE and -o PATH")
    registry = image.split("/", 1)[0]
    if "/" not in image or ":" not in registry:
        return _fail(f"fetching manifest {image}: not a registry reference")
    Path(output).write_text("#!/bin/sh\necho fake smolmachine stub\n")
    Path(output).chmod(0o755)
    Path(f"{output}.smolmachine").write_text(json.dumps({"image": image}))
    print("Note: Keep the .smolmachine file alongside the binary")
    return 0


def main(argv: list[str]) -> int:
    """Dispatch one invocation."""
    if argv[:1] == ["pack"]:
        return _pack(argv[1:])
    if argv[:1] != ["machine"] or len(argv) < 2:
        return _fail(f"unknown command {' '.join(argv[:2])}")
    verb, args = argv[1], argv[2:]
    if verb == "create":
        return _create(args)
    if verb in ("start", "stop"):
        return _set_state(_opt(args, "--name"), "running" if verb == "start" else "stopped")
    if verb == "delete":
        return _delete(args)
    if verb == "status":
        return _status(args)
    if verb == "exec":
        return _exec(args)
    if verb == "cp":
        return _cp(args)
    return _fail(f"unknown machine subcommand {verb}")


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""FAKE of Apple's ``container`` CLI, for tests on machines that cannot run it.

Models the documented interface of apple/container ``docs/command-reference.md``:

* ``container run [--detach] [--rm] [--name N] [--network N] [--env K=V] [--volume S:T[:ro]]
  [--user U] [--label K=V] [--read-only] [--tmpfs P] [--cpus N] [--memory M] IMAGE [ARGS]``;
  an option it does not know is a usage error (swift-argument-parser: "Error: Unknown option",
  exit 64), so a backend passing a Docker-only flag fails here as it would on a Mac;
* ``--rm`` removes the container when it stops: **a stopped ``--rm`` container is gone**
  (``ls --all`` no longer lists it), which is why the backend cannot "stop and keep";
* ``ls --all --format json`` lists ``{"status": ..., "configuration": {"id": ...}}``;
* ``exec [--interactive] [--tty] [--user U] NAME CMD...`` fails on a container that is
  not running; ``logs [--follow] NAME``; ``stop NAME``; ``delete [--force] NAME``;
  ``kill --signal SIG NAME``; ``network create|delete|ls``; ``volume create|delete|ls``;
  ``build --tag T [--file F] DIR``; ``image inspect REF``; ``system status``.

What a fake cannot do, it does on the host: ``exec`` runs the command as a host process in
the container's directory (``$FAKE_ROOT``), and ``tar -C /`` is rewritten to that
directory, so a streamed root filesystem is the fake container's files. ``build`` keeps a
copy of its context (``images/<tag>/``) in place of image layers, for tests to inspect.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

from bb_testkit.fakes._state import root, state

__all__ = ["main"]

# fmt: off
# A table: each option's long and short spelling side by side, as the reference lists them.
RUN_VALUES = {
    "--name", "--network", "--entrypoint",
    "--env", "-e", "--volume", "-v", "--user", "-u", "--label", "-l",
    "--tmpfs", "--cpus", "-c", "--memory", "-m",
}
# fmt: on
RUN_FLAGS = {"--detach", "-d", "--rm", "--read-only", "--interactive", "-i", "--tty", "-t"}


def _usage(message: str) -> int:
    print(f"Error: {message}", file=sys.stderr)
    return 64


def _fail(message: str) -> int:
    print(f"Error: {message}", file=sys.stderr)
    return 1


def _croot(name: str) -> Path:
    return root() / "containers" / name


def _run(args: list[str]) -> int:
    options: dict[str, list[str]] = {}
    flags: set[str] = set()
    i = 0
    while i < len(args) and args[i].startswith("-"):
        arg = args[i]
        if arg in RUN_FLAGS:
            flags.add(arg)
            i += 1
        elif arg in RUN_VALUES and i + 1 < len(args):
            options.setdefault(arg, []).append(args[i + 1])
            i += 2
        else:
            return _usage(f"Unknown option '{arg}'")
    if i >= len(args):
        return _usage("Missing expected argument '<image>'")
    image, command = args[i], args[i + 1 :]
    name = (options.get("--name") or [f"c{os.getpid()}"])[0]
    with state() as st:
        containers = st.setdefault("containers", {})
        if name in containers:
            return _fail(f"container with id {name} already exists")
        for network in options.get("--network", []):
            if network not in st.get("networks", []):
                return _fail(f"network {network} not found")
        containers[name] = {
            "image": image,
            "command": command,
            "status": "running",
            "rm": "--rm" in flags,
            "options": options,
            "logs": [f"started {image} {' '.join(command)}".strip()],
            "signals": [],
        }
    _croot(name).mkdir(parents=True, exist_ok=True)
    print(name)
    return 0


def _ls(args: list[str]) -> int:
    with state() as st:
        rows = [
            {"status": c["status"], "configuration": {"id": name, "image": c["image"]}}
            for name, c in st.get("containers", {}).items()
            if "--all" in args or "-a" in args or c["status"] == "running"
        ]
    print(json.dumps(rows))
    return 0


def _exec(args: list[str]) -> int:
    while args and args[0].startswith("-"):
        args = args[2:] if args[0] in ("--user", "-u", "--workdir", "-w") else args[1:]
    if len(args) < 2:
        return _usage("Missing expected argument '<arguments> ...'")
    name, command = args[0], args[1:]
    with state() as st:
        found = st.get("containers", {}).get(name)
    if found is None:
        return _fail(f"container {name} not found")
    if found["status"] != "running":
        return _fail(f"container {name} is not running")
    where = _croot(name)
    if command[0] == "tar" and "-C" in command:
        at = command.index("-C")
        command[at + 1] = str(where / command[at + 1].lstrip("/"))
    env = {**os.environ, "FAKE_ROOT": str(where)}
    return subprocess.call(command, cwd=where, env=env)


def _stop(names: list[str], remove_all: bool) -> int:
    code = 0
    with state() as st:
        containers = st.get("containers", {})
        for name in names:
            c = containers.get(name)
            if c is None:
                code = _fail(f"container {name} not found")
                continue
            c["status"] = "stopped"
            if c["rm"] or remove_all:
                del containers[name]
                shutil.rmtree(_croot(name), ignore_errors=True)
    return code


def _kill(args: list[str]) -> int:
    signal = "KILL"
    if args[:1] in (["--signal"], ["-s"]):
        signal, args = args[1], args[2:]
    with state() as st:
        for name in args:
            c = st.get("containers", {}).get(name)
            if c is None or c["status"] != "running":
                return _fail(f"container {name} is not running")
            c["signals"].append(signal)
    return 0


def _collection(kind: str, args: list[str]) -> int:
    verb, rest = (args[0], args[1:]) if args else ("ls", [])
    with state() as st:
        items: list[str] = st.setdefault(kind, [])
        if verb == "create":
            if rest[0] in items:
                return _fail(f"{kind[:-1]} {rest[0]} already exists")
            items.append(rest[0])
        elif verb in ("delete", "rm"):
            for name in rest:
                if name not in items:
                    return _fail(f"{kind[:-1]} {name} not found")
                items.remove(name)
        elif verb in ("ls", "list"):
            print(json.dumps([{"name": n, "id": n} for n in items]))
        else:
            return _usage(f"Unknown subcommand '{verb}'")
    return 0


def _build(args: list[str]) -> int:
    tag, dockerfile, context = None, None, None
    i = 0
    while i < len(args):
        if args[i] in ("--tag", "-t"):
            tag, i = args[i + 1], i + 2
        elif args[i] in ("--file", "-f"):
            dockerfile, i = args[i + 1], i + 2
        elif args[i].startswith("-"):
            return _usage(f"Unknown option '{args[i]}'")
        else:
            context, i = args[i], i + 1
    if tag is None or context is None:
        return _usage("build needs --tag and a context directory")
    spec = Path(dockerfile or Path(context) / "Dockerfile").read_text()
    for line in spec.splitlines():
        if line.startswith(("ADD ", "COPY ")) and not (Path(context) / line.split()[1]).exists():
            return _fail(f"build: {line.split()[1]} not found in the context")
    stored = root() / "images" / tag.replace("/", "_").replace(":", "_")
    shutil.rmtree(stored, ignore_errors=True)
    shutil.copytree(context, stored)  # the "layers": what the build added, kept for tests
    with state() as st:
        st.setdefault("images", {})[tag] = {
            "dockerfile": spec,
            "stored": str(stored),
            "files": sorted(os.listdir(context)),
        }
    print(tag)
    return 0


def _image(args: list[str]) -> int:
    if args[:1] == ["inspect"]:
        with state() as st:
            found = st.get("images", {}).get(args[1])
        if found is None:
            return _fail(f"image {args[1]} not found")
        print(json.dumps([found]))
        return 0
    return _usage(f"Unknown subcommand '{' '.join(args[:1])}'")


def main(argv: list[str]) -> int:
    """Dispatch one invocation."""
    if not argv:
        return _usage("Missing expected subcommand")
    cmd, args = argv[0], argv[1:]
    handlers: dict[str, Any] = {
        "run": _run,
        "ls": _ls,
        "list": _ls,
        "exec": _exec,
        "kill": _kill,
        "stop": lambda a: _stop(a, False),
        "delete": lambda a: _stop([x for x in a if not x.startswith("-")], True),
        "rm": lambda a: _stop([x for x in a if not x.startswith("-")], True),
        "network": lambda a: _collection("networks", a),
        "volume": lambda a: _collection("volumes", a),
        "build": _build,
        "image": _image,
        "logs": _logs,
        "system": lambda a: print("apiserver is running") or 0,
    }
    if cmd not in handlers:
        return _usage(f"Unknown subcommand '{cmd}'")
    return int(handlers[cmd](args))


def _logs(args: list[str]) -> int:
    names = [a for a in args if not a.startswith("-")]
    with state() as st:
        found = st.get("containers", {}).get(names[0]) if names else None
    if found is None:
        return _fail(f"container {names[0] if names else ''} not found")
    print("\n".join(found["logs"]))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))

"""``bb dlp scan``: the operator's DLP dry run over recorded HAR files.

The engine lives in bb-egress, which the CLI must not import (each sidecar and the CLI are
independent). So this command runs the ``bb-egress`` executable: the one installed next to
this Python (a workspace or a pipx install), else one on PATH, else the egress image
(``bot-bottle-egress``) with ``docker run --rm -i --network none`` and the inputs mounted
read-only. Arguments, output and exit code (0 clean, 1 findings, 2 bad input) pass through.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from typing import Annotated, Final

import typer

__all__ = ["EGRESS_IMAGE_REPOSITORY", "app", "egress_command", "scan"]

EGRESS_IMAGE_REPOSITORY: Final = "bot-bottle-egress"

app = typer.Typer(help="Check recorded traffic with the egress DLP engine.", no_args_is_help=True)


def _local_executable() -> str | None:
    beside = Path(sys.executable).with_name("bb-egress")
    if beside.is_file():
        return str(beside)
    return shutil.which("bb-egress")


def _newest_image() -> str | None:
    if shutil.which("docker") is None:
        return None
    listed = subprocess.run(
        ["docker", "image", "ls", "--format", "{{.Tag}}", EGRESS_IMAGE_REPOSITORY],
        capture_output=True,
        text=True,
        check=False,
    )
    tags = [t for t in listed.stdout.split() if t and t != "<none>"]
    if listed.returncode != 0 or not tags:
        return None

    def key(tag: str) -> tuple[int, ...]:
        return tuple(int(p) if p.isdigit() else -1 for p in tag.split("."))

    return f"{EGRESS_IMAGE_REPOSITORY}:{max(tags, key=key)}"


def egress_command(args: list[str], env_file: Path | None, hars: list[Path]) -> list[str] | None:
    """The command line that runs ``bb-egress dlp scan`` (None: neither binary nor image)."""
    local = _local_executable()
    if local is not None:
        files = ["--env-file", str(env_file)] if env_file else []
        return [local, "dlp", "scan", *files, *args, *(str(h) for h in hars)]
    image = _newest_image()
    if image is None:
        return None
    mounts: list[str] = []
    inner: list[str] = []
    if env_file is not None:
        mounts += ["-v", f"{env_file.resolve()}:/input/bottle.env:ro"]
        inner += ["--env-file", "/input/bottle.env"]
    for n, har in enumerate(hars):
        target = f"/input/{n}-{har.name}"
        mounts += ["-v", f"{har.resolve()}:{target}:ro"]
        inner.append(target)
    docker = ["docker", "run", "--rm", "-i", "--network", "none", *mounts, image]
    return [*docker, "dlp", "scan", *args, *inner]


@app.command("scan")
def scan(
    har: Annotated[list[Path], typer.Argument(help="HAR 1.2 files to scan.")],
    env_file: Annotated[
        Path | None,
        typer.Option("--env-file", help="NAME=value lines: the bottle's secrets."),
    ] = None,
    detectors: Annotated[
        str,
        typer.Option("--detectors", help="Comma-separated detector names, or 'all'."),
    ] = "all",
    output_format: Annotated[
        str, typer.Option("--format", help="jsonl (one finding per line) or table.")
    ] = "jsonl",
) -> None:
    """Scan HAR files for secrets exactly as the egress proxy would. Exit 1 on findings."""
    for path in [*har, *([env_file] if env_file else [])]:
        if not path.is_file():
            print(f"error: {path}: no such file", file=sys.stderr)
            raise typer.Exit(2)
    args = ["--detectors", detectors, "--format", output_format]
    command = egress_command(args, env_file, list(har))
    if command is None:
        print(
            "error: bb-egress is not installed here and no bot-bottle-egress image exists; "
            "run `bb images build egress` first",
            file=sys.stderr,
        )
        raise typer.Exit(2)
    completed = subprocess.run(command, check=False)
    raise typer.Exit(completed.returncode)

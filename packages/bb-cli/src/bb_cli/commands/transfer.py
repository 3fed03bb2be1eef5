"""``bb cp``: copy files between the host and a bottle, ``docker cp`` style (``SLUG:PATH``).

Decision (issue 15): into a bottle, only below ``/workspace`` or the agent's home
(``/home/agent``), its volumes. Everything else is the agent's read-only root: Docker
refuses to copy onto it (even into the ``/tmp`` tmpfs), and the agent must not find it
changed. A path that climbs out (``..``) is refused before Docker sees it; a relative
bottle path is relative to ``/workspace``. Out of a bottle any path may be read; links are
copied as links, never followed (there is no ``-L``), so a link the agent planted cannot
make the copy read a host file. Docker engine backends only.
"""

from __future__ import annotations

import json
import posixpath
import re
import sys
from dataclasses import dataclass
from typing import Annotated, Final

import typer

from bb_cli.commands._common import require_engine
from bb_cli.errors import UsageError

__all__ = ["WRITABLE", "CopySpec", "cp", "parse_copy"]

WRITABLE: Final = ("/workspace", "/home/agent")
"""Where `bb cp` may write inside a bottle: its volumes."""

_SLUG_PATH: Final = re.compile(r"^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?):(.*)$")


@dataclass(frozen=True)
class CopySpec:
    """One copy: which bottle, which way, the path inside (absolute) and on the host."""

    slug: str
    into: bool
    inside: str
    host: str


def _inside(path: str) -> str:
    absolute = path if path.startswith("/") else f"/workspace/{path}"
    return posixpath.normpath(absolute)


def parse_copy(src: str, dst: str) -> CopySpec:
    """`CopySpec` of ``bb cp SRC DST``; `UsageError` unless exactly one side is ``SLUG:PATH``
    and a copy into the bottle stays below `WRITABLE`."""
    source, target = _SLUG_PATH.match(src), _SLUG_PATH.match(dst)
    if bool(source) == bool(target):
        raise UsageError(
            "name the bottle on exactly one side: bb cp SLUG:PATH HOSTPATH, or "
            "bb cp HOSTPATH SLUG:PATH"
        )
    if source is not None:
        return CopySpec(source[1], False, _inside(source[2] or "."), dst)
    assert target is not None
    inside = _inside(target[2] or ".")
    below = any(inside == w or inside.startswith(w + "/") for w in WRITABLE)
    if "\x00" in target[2] or not below:
        raise UsageError(
            f"bb cp writes only below {', '.join(WRITABLE)} in a bottle, not {target[2]!r} "
            f"({inside}); the rest is the agent's read-only root"
        )
    return CopySpec(target[1], True, inside, src)


def cp(
    src: Annotated[str, typer.Argument(help="What to copy: SLUG:PATH or a host path.")],
    dst: Annotated[str, typer.Argument(help="Where to: a host path or SLUG:PATH.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the outcome as JSON.")] = False,
) -> None:
    """Copy files between the host and a bottle (like docker cp; '-' is a tar stream).

    A bottle path is SLUG:PATH, relative paths are below /workspace; copies into a bottle
    go below /workspace or /home/agent only.

    Example: bb cp ./data.csv shell-3f2a:inputs/   (and back: bb cp shell-3f2a:out.txt .)
    """
    from bb_cli.engine import default_engine
    from bb_cli.errors import BackendError
    from bb_cli.names import agent_container
    from bb_cli.state import find_record

    spec = parse_copy(src, dst)
    record = find_record(spec.slug)
    if record.backend not in ("compose", "smolvm"):
        raise BackendError(
            f"bb cp works with Docker engine backends; {spec.slug} runs on {record.backend}"
        )
    require_engine(record.backend)
    container = agent_container(spec.slug)
    inside = f"{container}:{spec.inside}"
    args = ("cp", spec.host, inside) if spec.into else ("cp", inside, spec.host)
    if "-" in (spec.host,):  # a tar stream on stdin/stdout: hand the terminal to docker
        raise typer.Exit(default_engine().interactive(*args))
    default_engine().run(*args, timeout=3600)
    inside_text = f"{spec.slug}:{spec.inside}"
    source, target = (spec.host, inside_text) if spec.into else (inside_text, spec.host)
    if as_json:
        typer.echo(json.dumps({"from": source, "to": target, "into_bottle": spec.into}))
    else:
        print(f"copied {source} -> {target}", file=sys.stderr)

"""``bb dlp scan``: run the DLP engine over HAR files, in process (``bb-egress dlp scan``
in the egress image runs the same function).

    bb dlp scan [--env-file FILE] [--detectors LIST] [--format jsonl|table] HAR...

Exit 0: no findings; 1: findings; 2: bad input (unreadable or invalid HAR, bad env file,
unknown detector), with a message naming the file and the problem. Output never contains a
secret: only the redacted preview. A progress bar goes to stderr for large files, and only
when stderr is a terminal: redirected to a log file or a pipe, stderr carries messages only.

Start-up is most of what a short scan costs (issue 14: budget 0.25 s), so: the compiled
databases are cached in the user's cache folder (`bb_dlp.multimatch.user_cache_dir`, unless
``BB_DLP_CACHE_DIR`` names another). The token-rule catalogue, the slowest part to load, is
loaded only when the prefilter gate (`bb_dlp.gate`) opens on some view: an input no rule could
match never loads it. A thread runs the gate over the HAR files' raw bytes first (20 MB in
about 40 ms) and, if it opens there, loads the catalogue at once (its native loader releases
the GIL) while this thread imports the rest of the engine and reads the HAR files; a token
only a decoded view shows loads it when the engine's gate opens on that view.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import re
import sys
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Final, TextIO

from bb_protocol import envvars

if TYPE_CHECKING:
    from bb_dlp.config import DlpConfig
    from bb_dlp.har import HarEntry
    from bb_dlp.models import Finding

__all__ = ["EXIT_BAD_INPUT", "EXIT_CLEAN", "EXIT_FINDINGS", "EnvFileError", "main", "read_env_file"]

EXIT_CLEAN: Final = 0
EXIT_FINDINGS: Final = 1
EXIT_BAD_INPUT: Final = 2

PROGRESS_MIN_BYTES: Final = 1024 * 1024
"""Files at least this large get a progress bar on stderr (when stderr is a terminal)."""

PRELOAD_MIN_BYTES: Final = 256 * 1024
"""Without a cached gate (no cache folder), HAR input (all files together) from which the
token rules are loaded in a thread up front."""

_NAME: Final = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


class EnvFileError(ValueError):
    """An env file line is not ``NAME=value``."""


def read_env_file(path: Path) -> dict[str, str]:
    """``NAME=value`` lines, verbatim (no quotes, no interpolation); blanks and ``#`` skipped."""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise EnvFileError(f"{path}: cannot read: {exc}") from exc
    env: dict[str, str] = {}
    for number, line in enumerate(text.split("\n"), start=1):
        line = line.removesuffix("\r")
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        name, sep, value = line.partition("=")
        if not sep or not _NAME.fullmatch(name):
            raise EnvFileError(f"{path}:{number}: expected NAME=value, got {name[:40]!r}")
        if any(not c.isprintable() for c in value):
            raise EnvFileError(f"{path}:{number}: {name} holds a non-printable character")
        env[name] = value
    return env


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="bb dlp scan",
        description="Scan HAR files with the egress DLP engine (a dry run of the proxy).",
    )
    p.add_argument("--env-file", type=Path, help="NAME=value lines: the bottle's secrets")
    p.add_argument(
        "--detectors",
        default="all",
        help="comma-separated detector names, or all (default: all; a wrong name is "
        "answered with the list of known ones)",
    )
    p.add_argument("--format", choices=("jsonl", "table"), default="jsonl")
    p.add_argument("har", nargs="+", type=Path, metavar="HAR")
    return p


def _is_terminal(stream: TextIO) -> bool:
    """Whether ``stream`` is a terminal (a closed or odd stream counts as not one)."""
    try:
        return stream.isatty()
    except (AttributeError, ValueError, OSError):
        return False


class _Progress:
    """A plain-text progress bar on stderr (only for large files, only on a terminal).

    The bar redraws itself with carriage returns: in a log file that is hundreds of lines of
    noise per scan, so a stream that is not a terminal never gets one.
    """

    def __init__(self, stream: TextIO, label: str, total: int, enabled: bool) -> None:
        self.stream, self.label, self.total, self.enabled = stream, label, max(total, 1), enabled
        self._shown = -1

    def update(self, done: int) -> None:
        if not self.enabled:
            return
        pct = done * 100 // self.total
        if pct != self._shown:
            self._shown = pct
            bar = "#" * (pct // 4)
            self.stream.write(f"\r{self.label} [{bar:<25}] {done}/{self.total}")
            self.stream.flush()

    def close(self) -> None:
        if self.enabled:
            self.stream.write("\n")


def _findings(entry: HarEntry, config: DlpConfig) -> Iterator[tuple[int | None, Finding]]:
    from bb_dlp.engine import scan_outbound, scan_websocket_message

    for f in scan_outbound(entry.request, config).findings:
        yield None, f
    for n, message in enumerate(entry.websocket):
        for f in scan_websocket_message(message, config).findings:
            yield n, f


def _row(path: Path, entry: int, frame: int | None, f: Finding) -> dict[str, object]:
    row: dict[str, object] = {
        "file": str(path),
        "entry": entry,
        "detector": f.detector,
        "surface": f.surface,
        "severity": f.severity,
        "preview": f.preview,
        "secret_name": f.secret_name,
        "span": list(f.span),
    }
    if frame is not None:
        row["websocket_message"] = frame
    return row


def _table(rows: list[dict[str, object]], out: TextIO) -> None:
    cols = ("file", "entry", "detector", "severity", "surface", "preview")
    cells = [[str(r[c]) for c in cols] for r in rows]
    widths = [max([len(c), *(len(x[i]) for x in cells)]) for i, c in enumerate(cols)]
    out.write("  ".join(c.upper().ljust(w) for c, w in zip(cols, widths, strict=True)) + "\n")
    for x in cells:
        out.write("  ".join(v.ljust(w) for v, w in zip(x, widths, strict=True)).rstrip() + "\n")


def _load_catalogue(confidence: str, paths: Sequence[Path]) -> None:
    """Load the token-rule catalogue if the gate opens on some HAR file's raw bytes, or if
    there is no gate and the input is large (the thread's target); errors are left for the
    main thread, which builds the config and reports them as bad input."""
    from bb_dlp.catalogue import CONFIDENCES, load_rules, token_gate

    if confidence not in CONFIDENCES:
        return
    with contextlib.suppress(Exception):  # reported by the main thread's own load
        gate = token_gate(confidence)
        if gate is None:
            wanted = _input_bytes(paths) >= PRELOAD_MIN_BYTES
        else:
            wanted = any(gate.opens(_read(path)) for path in paths)
        if wanted:
            load_rules(confidence)


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""  # reported by the main thread's own read


def _input_bytes(paths: Sequence[Path]) -> int:
    total = 0
    for path in paths:
        with contextlib.suppress(OSError):  # an unreadable file is reported by the load
            total += path.stat().st_size
    return total


def _preload(
    env: Mapping[str, str], detectors: str, paths: Sequence[Path]
) -> threading.Thread | None:
    """Start a thread that loads the token rules when the scan will use them and the gate
    says some rule could match."""
    names = {d.strip() for d in detectors.split(",")}
    if not names & {"all", "token_patterns"}:
        return None
    confidence = env.get(envvars.DLP_TOKEN_CONFIDENCE, "").strip() or "medium"
    thread = threading.Thread(target=_load_catalogue, args=(confidence, paths), daemon=True)
    thread.start()
    return thread


@contextlib.contextmanager
def _user_cache() -> Iterator[None]:
    """Point the database caches at the user's cache folder for this scan, unless the
    environment names one (the images bake theirs); restored afterwards."""
    from bb_dlp.multimatch import CACHE_DIR_VAR, user_cache_dir

    if os.environ.get(CACHE_DIR_VAR):
        yield
        return
    os.environ[CACHE_DIR_VAR] = str(user_cache_dir())
    try:
        yield
    finally:
        os.environ.pop(CACHE_DIR_VAR, None)


def main(argv: Sequence[str] | None = None, stdout: TextIO | None = None) -> int:
    """Run the scan; returns the exit code (0 clean, 1 findings, 2 bad input)."""
    try:
        args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    except SystemExit as exc:
        return EXIT_CLEAN if exc.code == 0 else EXIT_BAD_INPUT
    with _user_cache():
        return _scan(args, stdout or sys.stdout, sys.stderr)


def _load_all(paths: list[Path], err: TextIO) -> list[tuple[Path, list[HarEntry]]] | None:
    """Every HAR file's entries, or None after saying which file is bad and why."""
    from bb_dlp.har import HarError, load_har

    loaded: list[tuple[Path, list[HarEntry]]] = []
    for path in paths:
        try:
            loaded.append((path, load_har(path)))
        except HarError as exc:
            err.write(f"bb dlp scan: {path}: {exc}\n")
            return None
    return loaded


def _scan(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    try:
        env = read_env_file(args.env_file) if args.env_file else {}
    except EnvFileError as exc:
        err.write(f"bb dlp scan: {exc}\n")
        return EXIT_BAD_INPUT
    preload = _preload(env, args.detectors, args.har)
    try:
        loaded = _load_all(args.har, err)
    finally:
        if preload is not None:
            preload.join()  # the config below uses the rules it loaded (cached once)
    if loaded is None:
        return EXIT_BAD_INPUT
    from bb_dlp.config import DlpConfig
    from bb_dlp.models import DlpConfigError

    try:
        config = DlpConfig.from_environ(env, args.detectors.split(","))
    except DlpConfigError as exc:
        err.write(f"bb dlp scan: {exc}\n")
        return EXIT_BAD_INPUT
    for warning in config.warnings:
        err.write(f"bb dlp scan: warning: {warning}\n")
    rows: list[dict[str, object]] = []
    for path, entries in loaded:
        shown = path.stat().st_size >= PROGRESS_MIN_BYTES and _is_terminal(err)
        progress = _Progress(err, f"scanning {path.name}", len(entries), shown)
        for entry in entries:
            for frame, finding in _findings(entry, config):
                row = _row(path, entry.index, frame, finding)
                rows.append(row)
                if args.format == "jsonl":
                    out.write(json.dumps(row) + "\n")
            progress.update(entry.index + 1)
        progress.close()
    if args.format == "table":
        if rows:
            _table(rows, out)
        else:
            out.write("no findings\n")
    out.flush()
    return EXIT_FINDINGS if rows else EXIT_CLEAN


if __name__ == "__main__":
    raise SystemExit(main())

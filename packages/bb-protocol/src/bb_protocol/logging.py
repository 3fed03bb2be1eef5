"""Plain-text logging shared by every component.

Why not the stdlib ``logging`` module: the sidecars' stderr is read by people through
``bb logs`` and by tests through ``docker logs``, so a line must be exactly the message,
optionally followed by a machine-parseable context suffix, with no handler configuration
that a component could get wrong. The rules:

* Severities are ordered ``debug < info < warn < error``; ``BOT_BOTTLE_LOG_LEVEL`` gates
  them (default ``info``). Errors are always shown.
* An invalid level value prints one clear warning and the default is used.
* ``context`` renders as `` [k=v ...]``: keys sorted, values quoted (JSON string syntax)
  when they contain whitespace, quotes, brackets, ``=`` or control characters, or are empty.
  `parse_context` reverses it. With no context the line is exactly the message.
"""

from __future__ import annotations

import enum
import json
import os
import re
import sys
import threading
from collections.abc import Mapping
from typing import Final, TextIO

from bb_protocol.envvars import LOG_LEVEL

__all__ = [
    "DEFAULT_LEVEL",
    "Level",
    "Logger",
    "format_context",
    "format_line",
    "get_logger",
    "parse_context",
    "parse_level",
]


class Level(enum.IntEnum):
    """Ordered severities."""

    DEBUG = 10
    INFO = 20
    WARN = 30
    ERROR = 40


DEFAULT_LEVEL: Final = Level.INFO

_LEVEL_NAMES: Final = {
    "debug": Level.DEBUG,
    "info": Level.INFO,
    "warn": Level.WARN,
    "warning": Level.WARN,
    "error": Level.ERROR,
}

_NEEDS_QUOTES: Final = re.compile(r"[\s\"'=\[\]\\]|[\x00-\x1f\x7f]")
_KEY_BAD: Final = re.compile(r"[^A-Za-z0-9_.\-]")


def parse_level(text: str) -> Level:
    """Return the level named by ``text`` (case-insensitive); raise `ValueError` otherwise."""
    try:
        return _LEVEL_NAMES[text.strip().lower()]
    except KeyError:
        raise ValueError(
            f"invalid log level {text!r}: expected one of debug, info, warn, error"
        ) from None


def _render_value(value: object) -> str:
    text = value if isinstance(value, str) else _stringify(value)
    if text == "" or _NEEDS_QUOTES.search(text):
        return json.dumps(text, ensure_ascii=False)
    return text


def _stringify(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if value is None:
        return "null"
    return str(value)


def _render_key(key: str) -> str:
    return _KEY_BAD.sub("_", key) or "_"


def format_context(context: Mapping[str, object] | None) -> str:
    """Render ``context`` as the `` [k=v ...]`` suffix, or ``""`` when there is none."""
    if not context:
        return ""
    parts = [f"{_render_key(k)}={_render_value(v)}" for k, v in sorted(context.items())]
    return " [" + " ".join(parts) + "]"


def format_line(message: str, context: Mapping[str, object] | None = None) -> str:
    """Return the full log line: the message, then the context suffix if any."""
    return message + format_context(context)


_PAIR: Final = re.compile(r'([A-Za-z0-9_.\-]+)=("(?:[^"\\]|\\.)*"|[^\s\]]+)')


def parse_context(line: str) -> tuple[str, dict[str, str]]:
    """Split a line written by `format_line` into its message and context.

    Returns ``(line, {})`` when the line carries no well-formed suffix.
    """
    if not line.endswith("]"):
        return line, {}
    # Find the last " [" that starts a well-formed suffix.
    start = line.rfind(" [")
    while start != -1:
        body = line[start + 2 : -1]
        pos = 0
        found: dict[str, str] = {}
        ok = True
        while pos < len(body):
            match = _PAIR.match(body, pos)
            if match is None:
                ok = False
                break
            key, raw = match.group(1), match.group(2)
            found[key] = json.loads(raw) if raw.startswith('"') else raw
            pos = match.end()
            if pos < len(body):
                if body[pos] != " ":
                    ok = False
                    break
                pos += 1
        if ok and found:
            return line[:start], found
        start = line.rfind(" [", 0, start)
    return line, {}


class Logger:
    """A named logger writing single lines to a stream (stderr by default)."""

    def __init__(
        self,
        name: str,
        *,
        stream: TextIO | None = None,
        level: Level | None = None,
        environ: Mapping[str, str] | None = None,
    ) -> None:
        self.name = name
        self._stream = stream
        self._lock = threading.Lock()
        if level is None:
            level = self._level_from_env(os.environ if environ is None else environ)
        self.level = level

    def _level_from_env(self, environ: Mapping[str, str]) -> Level:
        raw = environ.get(LOG_LEVEL)
        if raw is None or raw.strip() == "":
            return DEFAULT_LEVEL
        try:
            return parse_level(raw)
        except ValueError as exc:
            self._write(
                format_line(
                    f"warning: {LOG_LEVEL}: {exc}; using {DEFAULT_LEVEL.name.lower()}",
                    {"logger": self.name},
                )
            )
            return DEFAULT_LEVEL

    @property
    def stream(self) -> TextIO:
        """Where lines go; resolved late so pytest's capture of stderr works."""
        return self._stream if self._stream is not None else sys.stderr

    def _write(self, line: str) -> None:
        with self._lock:
            self.stream.write(line + "\n")
            self.stream.flush()

    def enabled(self, level: Level) -> bool:
        """True when a message at ``level`` would be written; errors always are."""
        return level >= Level.ERROR or level >= self.level

    def log(self, level: Level, message: str, context: Mapping[str, object] | None = None) -> None:
        """Write ``message`` with its ``context`` if ``level`` passes the gate."""
        if self.enabled(level):
            self._write(format_line(message, context))

    def debug(self, message: str, context: Mapping[str, object] | None = None) -> None:
        """Log at debug: detail useful only when chasing a problem."""
        self.log(Level.DEBUG, message, context)

    def info(self, message: str, context: Mapping[str, object] | None = None) -> None:
        """Log at info: what the component did."""
        self.log(Level.INFO, message, context)

    def warn(self, message: str, context: Mapping[str, object] | None = None) -> None:
        """Log at warn: something is off but the component carries on safely."""
        self.log(Level.WARN, message, context)

    def error(self, message: str, context: Mapping[str, object] | None = None) -> None:
        """Log at error: always shown."""
        self.log(Level.ERROR, message, context)


def get_logger(name: str) -> Logger:
    """Return a logger for ``name`` with its level read from the environment now."""
    return Logger(name)

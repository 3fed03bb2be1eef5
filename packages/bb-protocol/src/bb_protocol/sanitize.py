"""Make untrusted text safe to show the operator: what they see is what gets applied.

Agent-controlled text (a justification, a path, a commit message) reaches the operator's
terminal. Escape sequences could clear the screen, move the cursor, write the clipboard
(OSC 52) or hide a link (OSC 8); bidi overrides and zero-width characters can make text
read differently from its bytes; huge lines can push the real content off screen. Nothing
is silently dropped: every such character is *shown* as a visible ``⟨U+XXXX⟩`` token, so
the operator sees that something odd is there, and truncation says how much was cut.

Pure functions, no terminal library: the sidecars, the CLI and the TUI share them.
"""

from __future__ import annotations

import unicodedata
from typing import Final

__all__ = ["MAX_LINE", "MAX_LINES", "sanitize_line", "sanitize_text", "visible_char"]

MAX_LINE: Final = 400
"""Characters kept per line before it is truncated with a count of what was cut."""

MAX_LINES: Final = 200
"""Lines kept before the text is truncated with a count of what was cut."""

_DANGEROUS_CATEGORIES: Final = frozenset({"Cc", "Cf", "Zl", "Zp", "Co", "Cs", "Cn"})


def visible_char(char: str) -> str:
    """``char`` itself if it is safe to print, else its visible ``⟨U+XXXX⟩`` token."""
    if char == " " or unicodedata.category(char) not in _DANGEROUS_CATEGORIES:
        return char
    return f"⟨U+{ord(char):04X}⟩"


def _clip(line: str, max_line: int) -> str:
    if len(line) <= max_line:
        return line
    return f"{line[:max_line]}… [+{len(line) - max_line} chars]"


def sanitize_line(text: str, *, max_line: int = MAX_LINE) -> str:
    """One display line: every control, format and separator character made visible."""
    return _clip("".join(visible_char(c) for c in text), max_line)


def sanitize_text(text: str, *, max_line: int = MAX_LINE, max_lines: int = MAX_LINES) -> str:
    """Multi-line text: newlines kept, tabs as four spaces, everything else as in a line."""
    lines = text.split("\n")
    kept = [sanitize_line(line.replace("\t", "    "), max_line=max_line) for line in lines]
    if len(kept) > max_lines:
        kept = [*kept[:max_lines], f"… [+{len(kept) - max_lines} lines]"]
    return "\n".join(kept)

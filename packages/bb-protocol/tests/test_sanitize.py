"""The sanitiser: nothing the agent writes can hide itself or take over the operator's terminal."""

from __future__ import annotations

import pytest

from bb_protocol.sanitize import sanitize_line, sanitize_text


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("clear\x1b[2Jscreen", "clear⟨U+001B⟩[2Jscreen"),
        ("up\x1b[1Aover", "up⟨U+001B⟩[1Aover"),
        (
            "\x1b]8;;http://evil\x07link\x1b]8;;\x07",
            "⟨U+001B⟩]8;;http://evil⟨U+0007⟩link⟨U+001B⟩]8;;⟨U+0007⟩",
        ),
        ("\x1b]52;c;ZXZpbA==\x07", "⟨U+001B⟩]52;c;ZXZpbA==⟨U+0007⟩"),
        ("\x9b2J", "⟨U+009B⟩2J"),
        ("abc\u202edcba", "abc⟨U+202E⟩dcba"),
        ("a\u2066b\u2069", "a⟨U+2066⟩b⟨U+2069⟩"),
        ("pay\u200bpal", "pay⟨U+200B⟩pal"),
        ("x\u200d\ufeffy", "x⟨U+200D⟩⟨U+FEFF⟩y"),
        ("carriage\rreturn", "carriage⟨U+000D⟩return"),
        ("line\u2028sep", "line⟨U+2028⟩sep"),
        ("nul\x00byte", "nul⟨U+0000⟩byte"),
        ("plain ascii and ünïcödé 漢字", "plain ascii and ünïcödé 漢字"),
    ],
)
def test_escapes_bidi_and_invisible_characters_are_shown_not_obeyed(raw, shown):
    """Each dangerous character becomes a visible token; ordinary text is untouched."""
    assert sanitize_line(raw) == shown


def test_a_line_never_contains_a_newline():
    """Single-line fields show newlines as tokens, so one entry cannot fake another."""
    assert sanitize_line("a\nb") == "a⟨U+000A⟩b"


def test_text_keeps_newlines_and_expands_tabs():
    """Multi-line text keeps its shape."""
    assert sanitize_text("a\n\tb") == "a\n    b"


def test_huge_lines_are_truncated_with_a_count():
    """The operator is told how much was cut."""
    assert sanitize_line("x" * 1000, max_line=10) == "x" * 10 + "… [+990 chars]"


def test_too_many_lines_are_truncated_with_a_count():
    """A flood of lines cannot push the real content off screen unnoticed."""
    shown = sanitize_text("\n".join(["l"] * 50), max_lines=3)
    assert shown.split("\n") == ["l", "l", "l", "… [+47 lines]"]

"""Specification of bb_protocol.logging."""

import io

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bb_protocol.logging import (
    Level,
    Logger,
    format_context,
    format_line,
    parse_context,
    parse_level,
)


def _logger(env: dict[str, str]) -> tuple[Logger, io.StringIO]:
    out = io.StringIO()
    return Logger("test", stream=out, environ=env), out


def test_levels_are_ordered_debug_info_warn_error() -> None:
    """Severities compare in the documented order."""
    assert Level.DEBUG < Level.INFO < Level.WARN < Level.ERROR


@pytest.mark.parametrize(
    ("text", "level"),
    [
        ("debug", Level.DEBUG),
        ("INFO", Level.INFO),
        (" warn ", Level.WARN),
        ("warning", Level.WARN),
        ("Error", Level.ERROR),
    ],
)
def test_parse_level_accepts_names_in_any_case(text: str, level: Level) -> None:
    """Level names are case-insensitive and trimmed."""
    assert parse_level(text) == level


def test_parse_level_rejects_unknown_names_clearly() -> None:
    """An unknown level names itself and the accepted values."""
    with pytest.raises(ValueError, match=r"'loud'.*debug, info, warn, error"):
        parse_level("loud")


def test_default_level_is_info() -> None:
    """With no BOT_BOTTLE_LOG_LEVEL, info and above are shown, debug is not."""
    log, out = _logger({})
    log.debug("hidden")
    log.info("shown")
    assert out.getvalue() == "shown\n"


def test_level_from_env_gates_lower_severities() -> None:
    """BOT_BOTTLE_LOG_LEVEL=warn hides info but shows warn."""
    log, out = _logger({"BOT_BOTTLE_LOG_LEVEL": "warn"})
    log.info("hidden")
    log.warn("careful")
    assert out.getvalue() == "careful\n"


def test_errors_are_always_shown() -> None:
    """Even at the strictest level, errors are written."""
    out = io.StringIO()
    log = Logger("t", stream=out, level=Level.ERROR)
    log.warn("hidden")
    log.error("boom")
    assert out.getvalue() == "boom\n"


def test_invalid_level_warns_once_and_uses_default() -> None:
    """A bad value is reported clearly and the default (info) applies."""
    log, out = _logger({"BOT_BOTTLE_LOG_LEVEL": "chatty"})
    log.debug("hidden")
    log.info("shown")
    lines = out.getvalue().splitlines()
    assert len(lines) == 2
    assert "BOT_BOTTLE_LOG_LEVEL" in lines[0]
    assert "'chatty'" in lines[0]
    assert "using info" in lines[0]
    assert lines[1] == "shown"


def test_line_without_context_is_exactly_the_message() -> None:
    """No prefix, no suffix: just the message."""
    assert format_line("proxy ready") == "proxy ready"
    assert format_line("proxy ready", {}) == "proxy ready"


def test_context_keys_are_sorted() -> None:
    """Keys appear in sorted order whatever order they were given in."""
    assert format_context({"b": 1, "a": 2}) == " [a=2 b=1]"


@pytest.mark.parametrize(
    ("value", "rendered"),
    [
        ("plain", "plain"),
        ("two words", '"two words"'),
        ('say "hi"', '"say \\"hi\\""'),
        ("it's", '"it\'s"'),
        ("tab\there", '"tab\\there"'),
        ("", '""'),
        ("a=b", '"a=b"'),
        ("x]y", '"x]y"'),
        (True, "true"),
        (None, "null"),
        (3, "3"),
    ],
)
def test_values_with_whitespace_or_quotes_are_quoted(value: object, rendered: str) -> None:
    """Values that would break parsing are rendered as JSON strings."""
    assert format_context({"k": value}) == f" [k={rendered}]"


@given(
    message=st.text(min_size=1).filter(lambda s: "\n" not in s),
    context=st.dictionaries(
        st.from_regex(r"[A-Za-z_][A-Za-z0-9_.\-]{0,10}", fullmatch=True),
        st.text(),
        min_size=1,
        max_size=5,
    ),
)
def test_context_suffix_round_trips(message: str, context: dict[str, str]) -> None:
    """parse_context recovers exactly the context that was written."""
    parsed_message, parsed = parse_context(format_line(message, context))
    assert parsed == context
    assert parsed_message == message

"""Specification of bb_egress.responses: injected credentials never reach the agent."""

import gzip

import pytest
from hypothesis import given
from hypothesis import strategies as st
from mitmproxy import http

from bb_egress.responses import Scrubber, mask, scrub_body, scrub_headers, scrub_text

VALUE = "ghs_Injected0123456789abcdefABCDEFghij"
MASK = mask(VALUE)


def test_the_mask_keeps_the_length_and_says_redacted() -> None:
    """Same length, so a streamed body still matches its Content-Length."""
    assert len(MASK) == len(VALUE)
    assert MASK.startswith("REDACTED")
    assert mask("abc") == "RED"


def test_text_loses_every_occurrence_longest_value_first() -> None:
    """A value containing another is replaced whole."""
    assert scrub_text("a VALUE-LONG b VALUE c", ["VALUE", "VALUE-LONG"]) == "a REDACTED** b REDAC c"


def test_headers_are_rebuilt_only_when_a_value_occurs() -> None:
    """Untouched headers stay the same object (None); echoed ones are scrubbed."""
    clean = http.Headers(content_type="text/plain")
    assert scrub_headers(clean, [VALUE]) is None
    echoed = http.Headers(x_echo=f"Bearer {VALUE}", content_type="text/plain")
    scrubbed = scrub_headers(echoed, [VALUE])
    assert scrubbed is not None
    assert scrubbed["x-echo"] == f"Bearer {MASK}"
    assert scrubbed["content-type"] == "text/plain"


@pytest.mark.parametrize("encoding", [None, "gzip"])
def test_a_buffered_body_is_decoded_and_scrubbed(encoding: str | None) -> None:
    """Compressed or not, the agent reads REDACTED."""
    body = f"you sent {VALUE}".encode()
    response = http.Response.make(200, b"", {"Content-Encoding": encoding} if encoding else {})
    response.raw_content = gzip.compress(body) if encoding else body
    assert scrub_body(response, [VALUE])
    assert response.get_content() == f"you sent {MASK}".encode()


def test_a_buffered_body_that_cannot_be_decoded_is_reported() -> None:
    """The addon withholds what could not be checked."""
    response = http.Response.make(200, b"", {"Content-Encoding": "gzip"})
    response.raw_content = b"not gzip"
    assert not scrub_body(response, [VALUE])


def _stream(chunks: list[bytes]) -> tuple[bytes, list[bytes]]:
    scrubber = Scrubber([VALUE])
    outputs = [scrubber(chunk) for chunk in chunks] + [scrubber(b"")]
    return b"".join(outputs), outputs


def test_a_value_split_across_chunks_is_still_scrubbed() -> None:
    """The tail that could start a value is held back until the next chunk."""
    data = f"head {VALUE} tail".encode()
    cut = data.index(VALUE.encode()) + 10
    joined, _ = _stream([data[:cut], data[cut:]])
    assert joined == f"head {MASK} tail".encode()


def test_chunks_without_a_value_prefix_are_passed_on_at_once() -> None:
    """Server-sent events are not delayed: nothing is held when no value could start."""
    _, outputs = _stream([b"data: {}\n\n", b"data: {}\n\n"])
    assert outputs[:2] == [b"data: {}\n\n", b"data: {}\n\n"]


@given(
    prefix=st.binary(max_size=50),
    suffix=st.binary(max_size=50),
    cuts=st.lists(st.integers(min_value=0, max_value=200), max_size=6),
)
def test_no_chunking_lets_the_value_through(prefix: bytes, suffix: bytes, cuts: list[int]) -> None:
    """Whatever the chunk boundaries, the output never contains the value."""
    data = prefix + VALUE.encode() + suffix
    points = sorted({min(c, len(data)) for c in cuts})
    chunks = [data[a:b] for a, b in zip([0, *points], [*points, len(data)], strict=True)]
    joined, _ = _stream([c for c in chunks if c])
    assert VALUE.encode() not in joined
    assert len(joined) == len(data)

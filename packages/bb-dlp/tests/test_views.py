"""Decoded views: same results as the reference decoders, on any input."""

from __future__ import annotations

from urllib.parse import unquote_to_bytes

from hypothesis import given
from hypothesis import strategies as st

from bb_dlp.views import FOLD_CONTEXT, _unquote, json_unescape, percent_decode

_PIECES = st.sampled_from([b"%", b"%2", b"%41", b"%25", b"%e2%80%8b", b"\\", b"\\x41", b"a", b"Z9"])


@given(st.lists(_PIECES, max_size=40).map(b"".join))
def test_fast_percent_decoding_equals_the_standard_library(data: bytes) -> None:
    """The C-speed decoder gives exactly ``urllib.parse.unquote_to_bytes``'s bytes."""
    assert _unquote(data) == unquote_to_bytes(data)


def test_views_are_built_only_around_escapes() -> None:
    """A large body with one escape yields a view of about two contexts, not a copy."""
    body = b"x" * 1_000_000 + b"%41" + b"y" * 1_000_000
    view = percent_decode(body)
    assert view is not None
    assert len(view) <= 2 * FOLD_CONTEXT + 3
    assert b"xA" in view


def test_json_escapes_are_decoded_including_surrogate_pairs() -> None:
    """``\\ud83d\\ude00`` becomes one emoji; plain text yields no view."""
    assert json_unescape(b'"\\ud83d\\ude00 \\u0041"') == '"\U0001f600 A"'.encode()
    assert json_unescape(b"plain") is None

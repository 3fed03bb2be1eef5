"""How hosts are shown to the operator: registrable domain always, cuts only on the left."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from bb_cli.host_display import ELLIPSIS, clip_host, host_lines, view_host
from bb_protocol.queue import EgressAllowRequest, EgressBlockRequest
from bb_protocol.routes import Route

LOOKALIKE = "api.github.com." + ".".join(["a" * 63] * 3) + "." + "b" * 24 + ".evil.example"
"""The red team's look-alike: 244 characters, every label valid, owned by evil.example."""


def test_the_lookalike_is_244_characters_of_valid_labels():
    """The case under test is a valid host name (labels <= 63, total <= 253)."""
    assert len(LOOKALIKE) == 244
    assert max(len(label) for label in LOOKALIKE.split(".")) == 63


@pytest.mark.parametrize(
    ("host", "registrable", "kind", "label"),
    [
        (LOOKALIKE, "evil.example", "domain", "evil.example"),
        ("api.github.com", "github.com", "domain", "github.com"),
        ("API.GitHub.com.", "github.com", "domain", "github.com"),
        ("a.b.example.co.uk", "example.co.uk", "domain", "example.co.uk"),
        ("evil.github.io", "evil.github.io", "domain", "evil.github.io"),
        ("*.example.com", "example.com", "domain", "example.com"),
        ("*.github.io", "github.io", "public-suffix", "github.io [public-suffix]"),
        ("co.uk", "co.uk", "public-suffix", "co.uk [public-suffix]"),
        ("localhost", "localhost", "single-label", "localhost [single-label]"),
        ("10.0.0.1", "10.0.0.1", "ip", "10.0.0.1 [ip]"),
        ("[2001:db8::1]", "[2001:db8::1]", "ip", "[2001:db8::1] [ip]"),
        ("2130706433", "2130706433", "ip", "2130706433 [ip]"),
        (
            "xn--80ak6aa92e.com",
            "xn--80ak6aa92e.com",
            "domain",
            "xn--80ak6aa92e.com (\u0430\u0440\u0440\u04cf\u0435.com)",
        ),
        (
            "\u0430\u0440\u0440\u04cf\u0435.com",
            "xn--80ak6aa92e.com",
            "domain",
            "xn--80ak6aa92e.com (\u0430\u0440\u0440\u04cf\u0435.com)",
        ),
        (
            "login.xn--pypal-4ve.com",
            "xn--pypal-4ve.com",
            "domain",
            "xn--pypal-4ve.com (p\u0430ypal.com)",
        ),
        ("shop.xn--p1ai", "shop.xn--p1ai", "domain", "shop.xn--p1ai (shop.\u0440\u0444)"),
        ("a..b", "?", "invalid", "? [invalid]"),
        ("a" * 64 + ".com", "?", "invalid", "? [invalid]"),
    ],
)
def test_every_host_gets_its_registrable_domain_or_says_why_not(host, registrable, kind, label):
    """Table: eTLD+1 from the public suffix list; IPs, single labels and suffixes named."""
    view = view_host(host)
    assert (view.registrable, view.kind, view.domain_label) == (registrable, kind, label)


@pytest.mark.parametrize(
    ("host", "decoded", "warning"),
    [
        ("xn--pypal-4ve.com", "p\u0430ypal.com", "mixes scripts (CYRILLIC, LATIN): a look-alike"),
        ("xn--80ak6aa92e.com", "\u0430\u0440\u0440\u04cf\u0435.com", "is Cyrillic, not Latin"),
        ("xn--bcher-kva.example", "bücher.example", "accented or special Latin letters"),
        ("*.github.io", None, "every owner under the public suffix github.io"),
        ("xn--zz.example", None, "is not valid punycode"),
    ],
)
def test_idna_and_wildcard_hosts_carry_their_decoded_form_and_a_warning(host, decoded, warning):
    """Punycode is shown with its Unicode form when they differ, and the risk is named."""
    view = view_host(host)
    assert view.decoded == decoded
    assert any(warning in w for w in view.warnings), view.warnings


def test_plain_ascii_hosts_have_no_decoded_form_and_no_warning():
    """Nothing to look at twice for an ordinary name."""
    view = view_host("pypi.org")
    assert (view.decoded, view.warnings, view.wildcard) == (None, (), False)


def test_a_wildcard_keeps_its_star_and_says_what_it_matches():
    """``*.example.com``: shown as the pattern, registrable domain of its base."""
    view = view_host("*.Example.com.")
    assert (view.host, view.wildcard) == ("*.example.com", True)
    assert host_lines(view)["matches"] == "every name below example.com"


@pytest.mark.parametrize("width", [8, 20, 30, 48, 100])
def test_a_long_host_is_cut_on_the_left_and_keeps_its_registrable_domain(width):
    """Whatever the width, the clipped host ends with the whole registrable domain."""
    clipped = clip_host(view_host(LOOKALIKE), width)
    assert clipped.startswith(ELLIPSIS)
    assert clipped.endswith(".evil.example")
    assert not clipped.startswith(ELLIPSIS + "api.github.com")
    assert len(clipped) <= max(width, len(".evil.example") + 1)


def test_a_short_host_is_not_cut():
    """Hosts that fit are shown as they are."""
    assert clip_host(view_host("api.github.com"), 48) == "api.github.com"


def test_the_full_view_keeps_every_character_of_the_host():
    """Where the operator decides, the whole 244-character host is there."""
    lines = host_lines(view_host(LOOKALIKE))
    assert lines["host"] == LOOKALIKE
    assert lines["registrable_domain"] == "evil.example"


def test_control_characters_in_an_unvalidated_host_are_shown_not_obeyed():
    """A held request's host is sanitised like every other agent-controlled string."""
    view = view_host("evil\x1b]52;c;x\x07.example")
    assert "\x1b" not in view.host
    assert "⟨U+001B⟩" in view.host
    assert view.kind == "invalid"


def test_the_proposal_model_accepts_the_valid_lookalike_unchanged():
    """A 244-character host of valid labels stays valid: it is shown, not refused."""
    request = EgressAllowRequest(route=Route(host=LOOKALIKE))
    assert request.route.host == LOOKALIKE


@pytest.mark.parametrize(
    ("host", "message"),
    [
        ("api.github.com." + "a" * 64 + ".evil.example", "has 64 characters; at most 63"),
        (".".join(["a" * 63] * 4) + ".example", "253 characters"),
        ("api.github.com..evil.example", "empty label"),
        ("evil.example/x", "has a path"),
    ],
)
def test_an_invalid_host_is_refused_at_the_proposal_boundary_with_a_clear_error(host, message):
    """Labels over 63, hosts over 253, empty labels and stray characters never reach a queue."""
    with pytest.raises(ValidationError, match=message):
        EgressAllowRequest(route=Route(host=host))
    with pytest.raises(ValidationError, match=message):
        EgressBlockRequest(host=host)

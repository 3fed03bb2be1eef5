"""Specification of bb_egress.proxy_main: env defaults and refusing to start on bad input."""

import asyncio
from pathlib import Path

import pytest

from bb_egress.proxy_main import build_parser, serve
from bb_egress.safe_options import SAFE_OPTIONS


def test_flags_default_from_the_environment() -> None:
    """The image runs `bb-egress run` bare; every path comes from its env var."""
    env = {
        "BOT_BOTTLE_ROUTES_FILE": "/etc/bot-bottle/routes/routes.yaml",
        "BOT_BOTTLE_AUDIT_LOG": "/var/log/bot-bottle/egress.jsonl",
        "BOT_BOTTLE_EGRESS_CA_CERT": "/var/lib/bot-bottle/ca-public/ca.pem",
        "BOT_BOTTLE_EGRESS_INTROSPECTION_LISTEN": "172.30.0.2:8081",
        "BOT_BOTTLE_SLUG": "demo",
    }
    args = build_parser(env).parse_args([])
    assert args.routes_file == Path("/etc/bot-bottle/routes/routes.yaml")
    assert args.audit_log == Path("/var/log/bot-bottle/egress.jsonl")
    assert args.ca_cert_export == Path("/var/lib/bot-bottle/ca-public/ca.pem")
    assert args.introspection_listen == "172.30.0.2:8081"
    assert (args.listen_port, args.bottle) == (8080, "demo")


def test_the_safe_options_close_mitmproxys_known_bypasses() -> None:
    """No streaming, no raw TCP, lazy connections, strict headers, regular mode only."""
    assert SAFE_OPTIONS["stream_large_bodies"] is None
    assert SAFE_OPTIONS["rawtcp"] is False
    assert SAFE_OPTIONS["connection_strategy"] == "lazy"
    assert SAFE_OPTIONS["validate_inbound_headers"] is True
    assert SAFE_OPTIONS["mode"] == ["regular"]


@pytest.mark.parametrize(
    ("argv", "env", "message"),
    [
        (["--allow-destination", "not-a-cidr"], {}, "--allow-destination"),
        (["--resolve", "origin.test"], {}, "expected HOST=IP"),
        (["--resolve", "origin.test=nowhere"], {}, "--resolve"),
        (["--introspection-listen", "8081"], {}, "expected HOST:PORT"),
        (["--body-size-limit", "lots"], {}, "--body-size-limit"),
        (
            [],
            {"BOT_BOTTLE_QUEUE_DIR": "{tmp}/q", "BOT_BOTTLE_APPROVAL_KEY_FILE": "{tmp}/none"},
            "approval queue",
        ),
        (
            [],
            {"BOT_BOTTLE_DLP_TOKEN_RULES_OFF": "betterleaks.no-such-rule"},
            "unknown token rule 'betterleaks.no-such-rule'",
        ),
        (
            [],
            {"BOT_BOTTLE_DLP_TOKEN_CONFIDENCE": "paranoid"},
            "unknown token-rule confidence 'paranoid'",
        ),
    ],
)
def test_bad_flags_or_environment_refuse_to_start_with_a_named_reason(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    argv: list[str],
    env: dict[str, str],
    message: str,
) -> None:
    """Exit status 2 and one error line naming the bad input; nothing listens."""
    env = {k: v.format(tmp=tmp_path) for k, v in env.items()}
    args = build_parser(env).parse_args(
        ["--confdir", str(tmp_path / "conf"), "--listen-port", "0", *argv]
    )
    assert asyncio.run(serve(args, env)) == 2
    err = capsys.readouterr().err
    assert "bb-egress cannot start" in err
    assert message in err

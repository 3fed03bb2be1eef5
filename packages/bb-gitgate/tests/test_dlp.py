"""Specification of bb_gitgate.dlp: the engine's findings as the gate's, secrets via env."""

from __future__ import annotations

import secrets

import pytest

from bb_gitgate.dlp import (
    ENV_SECRET_NAMES,
    build_config,
    config_from_hook_env,
    hook_env,
    redact_labels,
    scan_item,
    scan_items,
)
from bb_gitgate.errors import ConfigError
from bb_gitgate.objects import Item

SECRET = "Qm7vRt4wYb8nZx9kQ2pLjH3sTq6Vd"
CANARY = "cAn4ry-Zx81_Pq0LmW3vT7yRk2Hs5Jd9Nb6"
COMMIT = "c" * 40
CONFIG = build_config(
    {"EGRESS_TOKEN_API": SECRET, "EGRESS_TOKEN_CANARY": CANARY}, require_canary=True
)


def _commit_object(author: str, message: str) -> bytes:
    return (
        f"tree {'0' * 40}\nauthor {author} 1700000000 +0000\n"
        f"committer C <c@x> 1700000000 +0000\n\n{message}\n"
    ).encode()


def test_a_blob_finding_names_path_line_and_detector_never_the_value() -> None:
    """Rule ``bb-dlp:<detector>``, the blob's path and line; the match is the preview."""
    item = Item("blob", "b" * 40, COMMIT, "src/app.py", f"a = 1\nkey = '{SECRET}'\n".encode())
    [finding] = scan_item(item, CONFIG)
    assert (finding.rule_id, finding.file, finding.line) == (
        "bb-dlp:known_secrets",
        "src/app.py",
        2,
    )
    assert "EGRESS_TOKEN_API" in finding.match
    assert SECRET not in finding.model_dump_json()


@pytest.mark.parametrize(
    ("author", "message", "where"),
    [
        (f"Agent {SECRET} <a@x>", "fine", "<commit author>"),
        (f"Agent <{SECRET}@x>", "fine", "<commit author>"),
        ("Agent <a@x>", f"subject\n\n{SECRET}", "<commit message>"),
        ("Agent <a@x>", f"subject {CANARY[::-1]}", "<commit object>"),
    ],
)
def test_a_commit_finding_says_which_part_of_the_commit(
    author: str, message: str, where: str
) -> None:
    """Author, email and message are told apart; a decoded-view hit names the object."""
    item = Item("commit", COMMIT, COMMIT, "<commit>", _commit_object(author, message))
    assert where in {f.file for f in scan_item(item, CONFIG)}


def test_a_canary_is_its_own_rule() -> None:
    """The canary is reported as ``bb-dlp:canary``."""
    item = Item("blob", "b" * 40, COMMIT, "c.txt", CANARY.encode())
    assert {f.rule_id for f in scan_item(item, CONFIG)} == {"bb-dlp:canary"}


def test_clean_items_have_no_findings() -> None:
    """Ordinary code, names and commits are clean."""
    items = [
        Item("blob", "b" * 40, COMMIT, "main.py", b"print('hello')\n"),
        Item("paths", "d" * 40, COMMIT, "<file names>", b"src\nsrc/main.py\nREADME.md"),
        Item("commit", COMMIT, COMMIT, "<commit>", _commit_object("A <a@x>", "fix a bug")),
    ]
    assert scan_items(items, CONFIG) == []


def test_a_label_holding_a_secret_is_replaced() -> None:
    """A file named after a secret is never repeated in another finding's label."""
    item = Item("blob", "b" * 40, COMMIT, f"dir/{SECRET}.txt", CANARY.encode())
    [finding] = redact_labels(scan_item(item, CONFIG), CONFIG)
    assert SECRET not in finding.model_dump_json()
    assert "name holds a secret" in finding.file


def test_the_hook_gets_exactly_the_secrets_the_server_had() -> None:
    """The server forwards prefixed variables and their names; the hook rebuilds from those."""
    environ = {"EGRESS_TOKEN_API": SECRET, "EGRESS_TOKEN_CANARY": CANARY, "HOME": "/h"}
    forwarded = hook_env(environ)
    assert forwarded[ENV_SECRET_NAMES] == "EGRESS_TOKEN_API,EGRESS_TOKEN_CANARY"
    assert "HOME" not in forwarded
    config = config_from_hook_env(
        {**forwarded, "EGRESS_TOKEN_OTHER": "x" * 20}, require_canary=True
    )
    assert sorted(s.name for s in config.secrets) == ["EGRESS_TOKEN_API", "EGRESS_TOKEN_CANARY"]


def test_a_gate_requiring_the_canary_refuses_without_it() -> None:
    """No canary in the environment: a configuration error, never a weaker scan."""
    with pytest.raises(ConfigError, match="EGRESS_TOKEN_CANARY"):
        config_from_hook_env(hook_env({"EGRESS_TOKEN_API": SECRET}), require_canary=True)
    with pytest.raises(ConfigError, match="lacks"):
        config_from_hook_env({ENV_SECRET_NAMES: "EGRESS_TOKEN_API"}, require_canary=False)


def test_a_ref_named_after_a_secret_is_found_without_repeating_it() -> None:
    """A branch name reaches upstream: scanned, reported as ``<ref name>``."""
    from bb_gitgate.dlp import scan_ref_names
    from bb_gitgate.refs import RefUpdate

    updates = [
        RefUpdate(old="0" * 40, new="a" * 40, ref=f"refs/heads/bb/{SECRET}"),
        RefUpdate(old="0" * 40, new="b" * 40, ref="refs/heads/bb/feature"),
    ]
    [finding] = scan_ref_names(updates, CONFIG)
    assert (finding.rule_id, finding.file, finding.commit) == (
        "bb-dlp:known_secrets",
        "<ref name>",
        "a" * 40,
    )
    assert SECRET not in finding.model_dump_json()


def test_the_bottles_token_rule_settings_reach_the_hook_and_its_config() -> None:
    """``dlp.token_confidence`` / ``dlp.token_rules_off`` travel with the secrets: a GitHub
    token in a pushed file is a finding, and is not once the bottle turns its rule off."""
    token = "ghp_" + "".join(secrets.choice("ABCDEFGHJKLMNPQRSTUVWXYZ23456789") for _ in range(36))
    item = Item("blob", "b" * 40, COMMIT, "src/ci.sh", f"export GH={token}\n".encode())
    base = {"EGRESS_TOKEN_CANARY": CANARY}
    found = scan_item(item, config_from_hook_env(hook_env(base), require_canary=True))
    assert [f.rule_id for f in found] == ["bb-dlp:token_patterns"]
    settings = {
        "BOT_BOTTLE_DLP_TOKEN_CONFIDENCE": "high",
        "BOT_BOTTLE_DLP_TOKEN_RULES_OFF": "betterleaks.github-pat",
    }
    env = hook_env({**base, **settings})
    assert {k: env[k] for k in settings} == settings
    config = config_from_hook_env(env, require_canary=True)
    assert config.token_confidence == "high"
    assert scan_item(item, config) == []


def test_an_unknown_token_rule_in_the_gates_environment_is_a_config_error() -> None:
    """Fails closed, naming the rule, like the proxy."""
    env = hook_env({"EGRESS_TOKEN_CANARY": CANARY, "BOT_BOTTLE_DLP_TOKEN_RULES_OFF": "nope.rule"})
    with pytest.raises(ConfigError, match=r"'nope\.rule'"):
        config_from_hook_env(env, require_canary=True)

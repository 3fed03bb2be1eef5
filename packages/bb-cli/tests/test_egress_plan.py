"""`Egress.prepare`: routes per runtime, secrets only for the proxy, a fresh canary."""

from __future__ import annotations

from pathlib import Path

import pytest

from bb_cli.egress_plan import PLACEHOLDER_KEY, Egress, SecretMissingError
from bb_cli.errors import ManifestError
from bb_cli.manifests import LoadedManifest, ManifestIndex


def load(tmp_path: Path, bottle: str, runtime: str = "shell") -> LoadedManifest:
    for kind, text in (
        ("bottles", bottle),
        ("agents", f"---\nbottle: b\nruntime: {runtime}\n---\n"),
    ):
        (tmp_path / kind).mkdir(exist_ok=True)
        (tmp_path / kind / ("b.md" if kind == "bottles" else "a.md")).write_text(text)
    return ManifestIndex([tmp_path]).load_for_agent("a")


GITHUB = (
    "---\nroutes:\n  - host: api.github.com\n    inject_headers:\n"
    "      Authorization: Bearer ${EGRESS_TOKEN_GITHUB}\n"
    "secrets:\n  GITHUB: GH_TOKEN\ndlp:\n  sensitive_prefixes: [MYCO_]\n---\n"
)


def test_declared_secret_reaches_only_the_proxy(tmp_path: Path) -> None:
    """GH_TOKEN becomes EGRESS_TOKEN_GITHUB for egress; the agent sees only the canary."""
    plan = Egress.prepare(load(tmp_path, GITHUB), {"GH_TOKEN": "ghp_real"})
    assert plan.egress_env["EGRESS_TOKEN_GITHUB"] == "ghp_real"
    assert plan.egress_env["BOT_BOTTLE_SENSITIVE_PREFIXES"] == "MYCO_"
    assert "ghp_real" not in plan.agent_env.values()
    assert set(plan.agent_env) == {"BOT_BOTTLE_CANARY"}


def test_unset_host_secret_is_named(tmp_path: Path) -> None:
    """A declared secret missing on the host fails, naming the host variable."""
    with pytest.raises(SecretMissingError, match=r"\$GH_TOKEN"):
        Egress.prepare(load(tmp_path, GITHUB), {})


def test_route_injecting_an_undeclared_secret_is_refused(tmp_path: Path) -> None:
    """inject_headers naming a token no secrets entry provides is refused, never sent empty."""
    bottle = GITHUB.replace("secrets:\n  GITHUB: GH_TOKEN\n", "")
    with pytest.raises(SecretMissingError, match="EGRESS_TOKEN_GITHUB"):
        Egress.prepare(load(tmp_path, bottle), {})


@pytest.mark.parametrize(
    ("runtime", "host", "var"),
    [
        ("claude", "api.anthropic.com", "ANTHROPIC_API_KEY"),
        ("codex", "api.openai.com", "OPENAI_API_KEY"),
    ],
)
def test_provider_runtimes_get_their_route_first_and_a_placeholder_key(
    tmp_path: Path, runtime: str, host: str, var: str
) -> None:
    """The provider's route leads, marked provider; the agent's key variable is a placeholder."""
    plan = Egress.prepare(load(tmp_path, "---\n---\n", runtime), {var: "sk-real"})
    first = plan.routes.routes[0]
    assert (first.host, first.provider) == (host, True)
    assert plan.agent_env[var] == PLACEHOLDER_KEY
    assert "sk-real" in plan.egress_env.values()
    assert "sk-real" not in plan.agent_env.values()


def _dlp_bottle(dlp: str) -> str:
    return f"---\ndlp: {dlp}\n---\n"


def test_token_rule_settings_reach_the_proxy_environment(tmp_path: Path) -> None:
    """``dlp.token_confidence`` and ``dlp.token_rules_off`` become the proxy's two variables."""
    bottle = _dlp_bottle("{token_confidence: high, token_rules_off: [betterleaks.github-pat]}")
    plan = Egress.prepare(load(tmp_path, bottle), {})
    assert plan.egress_env["BOT_BOTTLE_DLP_TOKEN_CONFIDENCE"] == "high"
    assert plan.egress_env["BOT_BOTTLE_DLP_TOKEN_RULES_OFF"] == "betterleaks.github-pat"


def test_default_token_rule_settings_add_nothing_to_the_environment(tmp_path: Path) -> None:
    """Medium confidence and no rule off are the proxy's defaults: no variable is set."""
    plan = Egress.prepare(load(tmp_path, "---\n---\n"), {})
    assert "BOT_BOTTLE_DLP_TOKEN_CONFIDENCE" not in plan.egress_env
    assert "BOT_BOTTLE_DLP_TOKEN_RULES_OFF" not in plan.egress_env


def test_an_unknown_token_rule_to_turn_off_is_refused_naming_it(tmp_path: Path) -> None:
    """A misspelt rule id fails before anything starts, with the close id."""
    bottle = _dlp_bottle("{token_rules_off: [betterleaks.github-pta]}")
    with pytest.raises(ManifestError, match=r"'betterleaks\.github-pta'.*betterleaks\.github-pat"):
        Egress.prepare(load(tmp_path, bottle), {})


def test_an_unknown_token_confidence_is_a_manifest_error(tmp_path: Path) -> None:
    """Only low, medium and high are accepted, at load time."""
    with pytest.raises(ManifestError, match="token_confidence"):
        load(tmp_path, _dlp_bottle("{token_confidence: hgh}"))

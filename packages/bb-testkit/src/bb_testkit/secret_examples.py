"""Where the Nosey Parker examples live, and which of its rules this project covers.

Dev only (never in a package or an image): a corpus locator knows this machine's layout,
which a user's install has no business knowing. The recall test and the DLP benchmark read
the rules' own positive and negative examples.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

import yaml

__all__ = [
    "DEVSET_VAR",
    "NOSEYPARKER_RULES",
    "NOSEYPARKER_RULE_MAP",
    "DevsetMissingError",
    "Example",
    "find_rules_dir",
    "load_noseyparker",
    "noseyparker_examples",
]

DEVSET_VAR: Final = "BOT_BOTTLE_SECRET_EXAMPLES"
"""Names the development set's folder (``secret-examples``, ``noseyparker-rules`` or ``rules``)."""

_SET_RELATIVE: Final = Path("shared/data/secret-examples")
_CHECKOUT: Final = Path(__file__).resolve().parents[4]
"""The checkout this dev-only member lives in (it is only ever installed editable)."""


class DevsetMissingError(FileNotFoundError):
    """The development set is not where the option, the variable or the defaults point."""


@dataclass(frozen=True, slots=True)
class Example:
    """One labelled string of the development set."""

    provider: str
    """The rule file's stem (``aws``, ``github``...): the provider the example belongs to."""
    rule: str
    """The rule's id in its own catalogue (``np.aws.1``)."""
    text: str
    """The example, verbatim (it may span lines)."""
    positive: bool
    """True for ``examples`` (must be found), False for ``negative_examples``."""


def _rules_in(base: Path) -> Path | None:
    for candidate in (base, base / "rules", base / "noseyparker-rules" / "rules"):
        if candidate.is_dir() and any(candidate.glob("*.yml")):
            return candidate
    return None


def find_rules_dir(option: str | None = None) -> Path:
    """The folder of Nosey Parker rule files, or `DevsetMissingError` naming where it looked.

    The one locator for the development set (the recall tests and the DLP benchmark both use
    it): ``option`` (the benchmark's ``--devset``), else ``$BOT_BOTTLE_SECRET_EXAMPLES``, else
    ``shared/data/secret-examples`` beside the checkout, beside the working directory or any
    of its parents (CI lays it beside the clone), else this workplace's ``/work/shared``.
    """
    raw = option or os.environ.get(DEVSET_VAR, "")
    if raw:
        found = _rules_in(Path(raw))
        how = "--devset" if option else DEVSET_VAR
        if found is None:
            raise DevsetMissingError(
                f"development set not found at {raw} (from {how}): pass --devset=PATH or set "
                f"{DEVSET_VAR} to the secret-examples folder (Nosey Parker rule files)"
            )
        return found
    here = Path.cwd().resolve()
    bases = [_CHECKOUT.parent, *(b for b in (here, *here.parents)), Path("/work")]
    for base in bases:
        found = _rules_in(base / _SET_RELATIVE)
        if found is not None:
            return found
    raise DevsetMissingError(
        f"development set not found beside the checkout ({_CHECKOUT.parent / _SET_RELATIVE}) "
        f"nor above {here}: pass --devset=PATH or set {DEVSET_VAR} to the secret-examples "
        "folder (Nosey Parker rule files)"
    )


def load_noseyparker(rules_dir: Path) -> list[Example]:
    """Every example and negative example of every rule file, in file and rule order."""
    out: list[Example] = []
    for path in sorted(rules_dir.glob("*.yml")):
        for rule in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("rules", []):
            rule_id = str(rule.get("id", path.stem))
            for text in rule.get("examples") or []:
                out.append(Example(path.stem, rule_id, str(text), True))
            for text in rule.get("negative_examples") or []:
                out.append(Example(path.stem, rule_id, str(text), False))
    return out


def _default_rules() -> Path:
    try:
        return find_rules_dir()
    except DevsetMissingError:
        return _CHECKOUT.parent / _SET_RELATIVE / "noseyparker-rules" / "rules"


NOSEYPARKER_RULES: Final = _default_rules()
"""Where the development set lives in this environment (absent elsewhere)."""
# Nosey Parker rule name (prefix) -> our rule id: providers this project covers.
NOSEYPARKER_RULE_MAP: Final[dict[str, str]] = {
    "AWS API Key": "aws-access-key-id",
    "GitHub Personal Access Token (fine-grained": "github-fine-grained-pat",
    "GitHub Personal Access Token": "github-classic-pat",
    "GitHub OAuth Access Token": "github-oauth-token",
    "GitHub App Token": "github-app-token",
    "GitHub Refresh Token": "github-app-token",
    "GitLab Private Token": "gitlab-token",
    "GitLab Runner Registration Token": "gitlab-token",
    "Slack Bot Token": "slack-token",
    "Slack User Token": "slack-token",
    "Slack App Token": "slack-app-token",
    "Slack Webhook": "slack-webhook-url",
    "Stripe API Key": "stripe-secret-key",
    "Stripe API Test Key": "stripe-secret-key",
    "Anthropic API Key": "anthropic-api-key",
    "OpenAI API Key": "openai-api-key",
    "Google API Key": "google-api-key",
    "Google OAuth Client Secret": "google-oauth-client-secret",
    "NPM Access Token": "npm-access-token",
    "PyPI Upload Token": "pypi-upload-token",
    "HuggingFace User Access Token": "huggingface-token",
    "SendGrid API Key": "sendgrid-api-key",
    "DigitalOcean": "digitalocean-token",
    "Shopify Access Token": "shopify-token",
    "Shopify App Secret": "shopify-token",
    "Shopify Custom App Access Token": "shopify-token",
    "Shopify Private App Access Token": "shopify-token",
    "PEM-Encoded Private Key": "private-key-block",
    "Twilio API Key": "twilio-api-key",
    "Postman API Key": "postman-api-key",
    "Doppler": "doppler-token",
    "Databricks Personal Access Token": "databricks-token",
    "Grafana": "grafana-token",
    "New Relic User API Key": "newrelic-user-key",
    "Age Identity": "age-secret-key",
    "HashiCorp Vault Unseal Key": "",
    "HashiCorp Vault": "hashicorp-vault-token",
    "Terraform Cloud": "terraform-cloud-token",
    "Azure Connection String": "azure-storage-key",
    "Telegram Bot Token": "telegram-bot-token",
    "Mailchimp API Key": "mailchimp-api-key",
    "Supabase": "supabase-token",
    "Pulumi": "pulumi-token",
    "RubyGems API Key": "rubygems-api-key",
    "Docker Hub Personal Access Token": "docker-hub-pat",
    "Airtable Personal Access Token": "airtable-pat",
    "Linear API Key": "linear-api-key",
    "Atlassian API token": "atlassian-api-token",
}


def noseyparker_examples(
    rules_dir: Path = NOSEYPARKER_RULES,
) -> list[tuple[str, str, str, bool]]:
    """(np rule name, our rule id, example, is_positive) for every covered Nosey Parker example."""
    out: list[tuple[str, str, str, bool]] = []
    if not rules_dir.is_dir():
        return out
    for path in sorted(rules_dir.glob("*.yml")):
        for rule in yaml.safe_load(path.read_text()).get("rules", []):
            name = rule.get("name", "")
            keys = [k for k in NOSEYPARKER_RULE_MAP if name.lower().startswith(k.lower())]
            ours = NOSEYPARKER_RULE_MAP[max(keys, key=len)] if keys else ""
            if not ours:
                continue
            out += [(name, ours, e, True) for e in rule.get("examples", []) or []]
            out += [(name, ours, e, False) for e in rule.get("negative_examples", []) or []]
    return out

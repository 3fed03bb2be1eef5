"""Where the Nosey Parker examples live, and which of its rules this project covers.

Dev only (never in a package or an image): a corpus locator knows this machine's layout,
which a user's install has no business knowing. The recall test and the DLP benchmark read
the rules' own positive and negative examples.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Final

import yaml

__all__ = ["NOSEYPARKER_RULES", "NOSEYPARKER_RULE_MAP", "noseyparker_examples"]

_NOSEYPARKER_RELATIVE: Final = Path("shared/data/secret-examples/noseyparker-rules/rules")


def _find_noseyparker_rules() -> Path:
    """Find the development set: ``$BOT_BOTTLE_SECRET_EXAMPLES``, else a ``shared/`` folder
    beside the checkout or any parent of the working directory (CI lays it beside the
    clone), else ``/work/shared``. The returned path may not exist: tests then skip."""
    explicit = os.environ.get("BOT_BOTTLE_SECRET_EXAMPLES")
    if explicit:
        return Path(explicit)
    here = Path.cwd().resolve()
    for base in (here, *here.parents):
        candidate = base / _NOSEYPARKER_RELATIVE
        if candidate.is_dir():
            return candidate
    return Path("/work") / _NOSEYPARKER_RELATIVE


NOSEYPARKER_RULES: Final = _find_noseyparker_rules()
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

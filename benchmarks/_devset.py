"""The development set for the DLP benchmark: labelled token examples, located outside the repo.

The set is the Nosey Parker rule files' ``examples`` (must be found) and ``negative_examples``
(near misses that must not be), every provider, not only the ones bb has a rule for: recall is
measured per provider and overall, beside gitleaks and Kingfisher on the same requests.

Where it lives is a fact of the machine, not of the product: the dev-only test-support
member's one locator finds it (`bb_testkit.secret_examples.find_rules_dir`: ``--devset=PATH``,
else ``$BOT_BOTTLE_SECRET_EXAMPLES``, else ``shared/data/secret-examples`` beside the
checkout). PATH may name the ``secret-examples`` folder, its ``noseyparker-rules`` folder or
the ``rules`` folder itself.
"""

from __future__ import annotations

import json
from typing import Final

from bb_testkit.secret_examples import (
    DEVSET_VAR,
    DevsetMissingError,
    Example,
    find_rules_dir,
    load_noseyparker,
)

__all__ = [
    "DEVSET_VAR",
    "MAJOR_PROVIDERS",
    "DevsetMissingError",
    "Example",
    "chat_body",
    "find_rules_dir",
    "load_noseyparker",
]

MAJOR_PROVIDERS: Final = frozenset(
    {
        "anthropic",
        "atlassian",
        "aws",
        "azure",
        "digitalocean",
        "dockerhub",
        "gcp",
        "github",
        "gitlab",
        "google",
        "huggingface",
        "npm",
        "openai",
        "pem",
        "pypi",
        "sendgrid",
        "shopify",
        "slack",
        "stripe",
        "twilio",
    }
)
"""Providers whose keys an agent's environment most often holds (Nosey Parker file stems):
the "major-provider" figure; every other provider counts as "other"."""


def chat_body(text: str) -> bytes:
    """``text`` pasted into an LLM chat request, JSON-encoded (so ``\\n`` and ``\\"`` are real
    escapes in the body, as an agent's request would carry them)."""
    content = f"Here is the file I am working on:\n\n{text}\n\nWhy does the build fail?"
    return json.dumps(
        {
            "model": "claude-sonnet-4",
            "max_tokens": 1024,
            "messages": [{"role": "user", "content": content}],
        }
    ).encode()

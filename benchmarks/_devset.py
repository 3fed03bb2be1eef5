"""The development set for the DLP benchmark: labelled token examples, located outside the repo.

The set is the Nosey Parker rule files' ``examples`` (must be found) and ``negative_examples``
(near misses that must not be), every provider, not only the ones bb has a rule for: recall is
measured per provider and overall, beside gitleaks and Kingfisher on the same requests.

Where it lives is a fact of the machine, not of the product, so only the benchmark knows it:
``--devset=PATH``, else ``$BOT_BOTTLE_SECRET_EXAMPLES``, else ``shared/data/secret-examples``
beside the checkout (``../shared/...`` from the repository root). PATH may name the
``secret-examples`` folder, its ``noseyparker-rules`` folder or the ``rules`` folder itself.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Final

__all__ = [
    "DEVSET_VAR",
    "MAJOR_PROVIDERS",
    "DevsetMissingError",
    "Example",
    "chat_body",
    "find_rules_dir",
    "load_noseyparker",
]

DEVSET_VAR: Final = "BOT_BOTTLE_SECRET_EXAMPLES"

_REPO: Final = Path(__file__).resolve().parent.parent

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


class DevsetMissingError(FileNotFoundError):
    """The development set is not where the option, the variable or the default points."""


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


def find_rules_dir(option: str | None = None) -> Path:
    """The folder of Nosey Parker rule files, or `DevsetMissingError` naming where it looked."""
    raw = option or os.environ.get(DEVSET_VAR, "")
    base = Path(raw) if raw else _REPO.parent / "shared" / "data" / "secret-examples"
    for candidate in (base, base / "rules", base / "noseyparker-rules" / "rules"):
        if candidate.is_dir() and any(candidate.glob("*.yml")):
            return candidate
    how = "--devset" if option else (DEVSET_VAR if raw else "the default beside the checkout")
    raise DevsetMissingError(
        f"development set not found at {base} (from {how}): pass --devset=PATH or set "
        f"{DEVSET_VAR} to the secret-examples folder (Nosey Parker rule files)"
    )


def load_noseyparker(rules_dir: Path) -> list[Example]:
    """Every example and negative example of every rule file, in file and rule order."""
    import yaml

    out: list[Example] = []
    for path in sorted(rules_dir.glob("*.yml")):
        for rule in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("rules", []):
            rule_id = str(rule.get("id", path.stem))
            for text in rule.get("examples") or []:
                out.append(Example(path.stem, rule_id, str(text), True))
            for text in rule.get("negative_examples") or []:
                out.append(Example(path.stem, rule_id, str(text), False))
    return out


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

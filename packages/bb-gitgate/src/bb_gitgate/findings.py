"""What a scan found: the `Finding` model shared by gitleaks and the gate's own checks."""

from __future__ import annotations

import re
from typing import Final

from pydantic import BaseModel, ConfigDict

__all__ = ["Finding", "clean_text"]

_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_MAX_FIELD: Final = 200


def clean_text(text: str) -> str:
    """Strip terminal control characters and bound the length (shown to the operator)."""
    text = _CONTROL.sub("?", text)
    return text if len(text) <= _MAX_FIELD else text[: _MAX_FIELD - 3] + "..."


class Finding(BaseModel):
    """One secret gitleaks or the DLP pass found in a push (the secret itself never shown)."""

    model_config = ConfigDict(frozen=True)

    rule_id: str
    """Rule that matched: gitleaks' (``aws-access-token``) or ``bb-dlp:<detector>``."""
    commit: str
    """Commit that introduced the line."""
    file: str
    """Path of the file in that commit."""
    line: int
    """1-based line of the match."""
    match: str
    """The matching text with the secret replaced by ``REDACTED``."""
    fingerprint: str
    """gitleaks' fingerprint ``commit:file:rule:line``, stable across scans."""

    @property
    def location(self) -> str:
        """``file:line`` for messages."""
        return f"{self.file}:{self.line}"

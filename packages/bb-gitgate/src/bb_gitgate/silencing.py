"""Comments that would silence gitleaks, reported as findings of their own.

Older gitleaks (Debian trixie packages 8.x without ``--ignore-gitleaks-allow``) skips any
line carrying ``gitleaks:allow``. The agent writes the code, so it could write that comment
next to a secret. The gate therefore reads the added lines of exactly the new commits
itself and reports each ``gitleaks:allow`` as a ``gitleaks-allow-comment`` finding: the
operator sees it and decides, whatever the gitleaks version.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Final

from bb_gitgate.errors import GitError, ScanError
from bb_gitgate.findings import Finding, clean_text
from bb_gitgate.git import run_git

__all__ = ["RULE_ID", "find_allow_comments", "log_added_lines"]

RULE_ID: Final = "gitleaks-allow-comment"
_MARKER: Final = "gitleaks:allow"
_HUNK: Final = re.compile(r"^@@ -\d+(?:,\d+)? \+(\d+)(?:,\d+)? @@")
_COMMIT: Final = re.compile(r"^commit ([0-9a-f]{40})$")


def find_allow_comments(log: str) -> list[Finding]:
    """Findings for added lines containing ``gitleaks:allow`` in ``git log -p -U0`` output.

    Expects each commit introduced by a ``commit <sha>`` line (``--format=commit %H``).
    """
    findings: list[Finding] = []
    seen: set[str] = set()
    commit, path, line = "", "", 0
    for text in log.splitlines():
        if match := _COMMIT.match(text):
            commit, path, line = match[1], "", 0
        elif text.startswith("+++ "):
            target = text[4:]
            path = target[2:] if target.startswith("b/") else target
        elif match := _HUNK.match(text):
            line = int(match[1])
        elif text.startswith("+") and path:
            if _MARKER in text and commit:
                fingerprint = f"{commit}:{path}:{RULE_ID}:{line}"
                if fingerprint not in seen:
                    seen.add(fingerprint)
                    findings.append(
                        Finding(
                            rule_id=RULE_ID,
                            commit=commit,
                            file=clean_text(path) or "?",
                            line=line,
                            match=_MARKER,
                            fingerprint=clean_text(fingerprint),
                        )
                    )
            line += 1
    return findings


def log_added_lines(
    repo_dir: Path, tips: Sequence[str], *, env: Mapping[str, str], timeout: float
) -> str:
    """``git log -p -U0`` of the new commits (no external diff, no textconv, merges too)."""
    if not tips:
        return ""
    try:
        result = run_git(
            [
                "--git-dir",
                str(repo_dir),
                "log",
                "-p",
                "-m",
                "-U0",
                "--no-ext-diff",
                "--no-textconv",
                "--no-color",
                "--format=commit %H",
                *tips,
                "--not",
                "--all",
            ],
            env=env,
            timeout=timeout,
        )
    except GitError as exc:
        raise ScanError(f"cannot read the pushed commits: {exc}") from exc
    return result.stdout

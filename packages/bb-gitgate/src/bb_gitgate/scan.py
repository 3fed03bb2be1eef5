"""Scan exactly the pushed commits with real gitleaks and read its findings.

The gate runs ``gitleaks git`` on its own bare mirror with ``--log-opts`` limited to the
new commits (``<tips> --not --all``, evaluated inside receive-pack's quarantine, so
``--all`` is what upstream already has). gitleaks is told to ignore ``gitleaks:allow``
comments (the agent writes the code, so it could write those too), reads no
``.gitleaksignore`` of the repo, redacts secrets in its report, and uses the gate's config
or its built-in rules, never one from the repository. Any failure is a `ScanError`, and a
scan error refuses the push.
"""

from __future__ import annotations

import json
import re
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Final

from pydantic import BaseModel, ConfigDict, ValidationError

from bb_gitgate.errors import ScanError

__all__ = [
    "Finding",
    "gitleaks_command",
    "parse_report",
    "scan_commits",
]

_CONTROL: Final = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_MAX_FIELD: Final = 200


def _clean(text: str) -> str:
    """Strip terminal control characters and bound the length (shown to the operator)."""
    text = _CONTROL.sub("?", text)
    return text if len(text) <= _MAX_FIELD else text[: _MAX_FIELD - 3] + "..."


class Finding(BaseModel):
    """One secret gitleaks found in a pushed commit (the secret itself redacted)."""

    model_config = ConfigDict(frozen=True)

    rule_id: str
    """gitleaks rule that matched, e.g. ``aws-access-token``."""
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


def parse_report(text: str) -> list[Finding]:
    """Read a gitleaks JSON report; raise `ScanError` if it is not one."""
    try:
        raw: Any = json.loads(text) if text.strip() else []
    except ValueError as exc:
        raise ScanError(f"gitleaks report is not JSON: {exc}") from exc
    if not isinstance(raw, list):
        raise ScanError("gitleaks report is not a JSON list of findings")
    findings = []
    for index, item in enumerate(raw):
        if not isinstance(item, dict):
            raise ScanError(f"gitleaks finding {index} is not an object")
        try:
            findings.append(
                Finding(
                    rule_id=_clean(str(item["RuleID"])),
                    commit=_clean(str(item["Commit"])),
                    file=_clean(str(item["File"])) or "?",
                    line=int(item["StartLine"]),
                    match=_clean(str(item.get("Match", ""))),
                    fingerprint=_clean(str(item.get("Fingerprint", ""))),
                )
            )
        except (KeyError, TypeError, ValueError, ValidationError) as exc:
            raise ScanError(f"gitleaks finding {index} lacks a field: {exc}") from exc
    return findings


def gitleaks_command(
    gitleaks: str,
    repo_dir: Path,
    tips: Sequence[str],
    *,
    report: Path,
    ignore_dir: Path,
    config: Path | None,
) -> list[str]:
    """The argv scanning the commits reachable from ``tips`` and not from any existing ref."""
    # -m: also diff merge commits against each parent, so a secret added while resolving a
    # merge is seen (plain `git log -p` shows no diff for merges).
    log_opts = " ".join(["-m", *tips, "--not", "--all"])
    argv = [
        gitleaks,
        "git",
        "--no-banner",
        "--no-color",
        "--redact",
        "--ignore-gitleaks-allow",
        "--exit-code",
        "0",
        "--log-level",
        "error",
        "--report-format",
        "json",
        "--report-path",
        str(report),
        "--gitleaks-ignore-path",
        str(ignore_dir),
        "--log-opts",
        log_opts,
    ]
    if config is not None:
        argv += ["--config", str(config)]
    return [*argv, str(repo_dir)]


def scan_commits(
    gitleaks: str,
    repo_dir: Path,
    tips: Sequence[str],
    *,
    env: Mapping[str, str],
    config: Path | None,
    timeout: float,
) -> list[Finding]:
    """Run gitleaks over the new commits under ``tips``; return its findings.

    ``env`` must be the quarantine environment receive-pack gives its hook (plus the
    gate's forced git config), so gitleaks' own ``git log`` sees the pushed objects.
    """
    if not tips:
        return []
    with tempfile.TemporaryDirectory(prefix="bb-gitleaks-") as scratch:
        report = Path(scratch) / "report.json"
        ignore_dir = Path(scratch) / "ignore"
        ignore_dir.mkdir()
        argv = gitleaks_command(
            gitleaks, repo_dir, tips, report=report, ignore_dir=ignore_dir, config=config
        )
        try:
            result = subprocess.run(
                argv,
                env=dict(env),
                capture_output=True,
                text=True,
                timeout=timeout,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise ScanError(f"gitleaks timed out after {timeout:.0f}s") from exc
        except OSError as exc:
            raise ScanError(f"cannot run gitleaks ({gitleaks}): {exc.strerror or exc}") from exc
        if result.returncode != 0:
            detail = (result.stderr or result.stdout).strip().splitlines()
            raise ScanError(
                f"gitleaks failed (exit {result.returncode}): "
                + (detail[-1] if detail else "no message")
            )
        try:
            text = report.read_text(encoding="utf-8")
        except OSError as exc:
            raise ScanError(f"gitleaks wrote no report: {exc.strerror or exc}") from exc
    return parse_report(text)

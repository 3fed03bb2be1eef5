"""Scan exactly the pushed commits with real gitleaks and read its findings.

The gate runs gitleaks on its own bare mirror with ``--log-opts`` limited to the new
commits (``<tips> --not --all``, evaluated inside receive-pack's quarantine, so ``--all``
is what upstream already has). Two command shapes, chosen by asking the binary:

* gitleaks >= 8.19 (``gitleaks git``): also ``--ignore-gitleaks-allow`` and an empty
  ``--gitleaks-ignore-path``;
* older 8.x, as packaged by Debian trixie (``gitleaks detect --source``): neither flag
  exists, so `bb_gitgate.silencing` reports every added ``gitleaks:allow`` comment as a
  finding of its own (the agent writes the code, so it could write those comments too).

Either way gitleaks redacts secrets in its report, uses the gate's config or its built-in
rules (the bare mirror has no ``.gitleaks.toml`` or ``.gitleaksignore``: nothing from the
repository's tree is read as config), and its ``git log`` runs with ``--no-ext-diff
--no-textconv``. Any failure is a `ScanError`, and a scan error refuses the push.
"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import ValidationError

from bb_gitgate.errors import ScanError
from bb_gitgate.findings import Finding, clean_text
from bb_gitgate.silencing import find_allow_comments, log_added_lines

__all__ = [
    "Finding",
    "Flavour",
    "gitleaks_command",
    "gitleaks_flavour",
    "parse_report",
    "scan_commits",
]

Flavour = Literal["git", "detect"]
"""``git``: gitleaks >= 8.19 (``gitleaks git``); ``detect``: older 8.x (``gitleaks detect``)."""


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
                    rule_id=clean_text(str(item["RuleID"])),
                    commit=clean_text(str(item["Commit"])),
                    file=clean_text(str(item["File"])) or "?",
                    line=int(item["StartLine"]),
                    match=clean_text(str(item.get("Match", ""))),
                    fingerprint=clean_text(str(item.get("Fingerprint", ""))),
                )
            )
        except (KeyError, TypeError, ValueError, ValidationError) as exc:
            raise ScanError(f"gitleaks finding {index} lacks a field: {exc}") from exc
    return findings


def gitleaks_flavour(gitleaks: str, *, env: Mapping[str, str]) -> Flavour:
    """Which command shape this gitleaks understands (`ScanError` if it does not run)."""
    try:
        result = subprocess.run(
            [gitleaks, "git", "--help"],
            env=dict(env),
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise ScanError(f"cannot run gitleaks ({gitleaks}): {exc}") from exc
    return "git" if result.returncode == 0 else "detect"


def gitleaks_command(
    gitleaks: str,
    repo_dir: Path,
    tips: Sequence[str],
    *,
    flavour: Flavour,
    report: Path,
    ignore_dir: Path,
    config: Path | None,
) -> list[str]:
    """The argv scanning the commits reachable from ``tips`` and not from any existing ref."""
    # -m: also diff merge commits against each parent, so a secret added while resolving a
    # merge is seen (plain `git log -p` shows no diff for merges). No external diff or
    # textconv driver ever runs, whatever the config says.
    log_opts = " ".join(["-m", "--no-ext-diff", "--no-textconv", *tips, "--not", "--all"])
    common = [
        "--no-banner",
        "--redact",
        "--exit-code",
        "0",
        "--log-level",
        "error",
        "--report-format",
        "json",
        "--report-path",
        str(report),
        "--log-opts",
        log_opts,
    ]
    if config is not None:
        common += ["--config", str(config)]
    if flavour == "git":
        return [
            gitleaks,
            "git",
            *common,
            "--ignore-gitleaks-allow",
            "--gitleaks-ignore-path",
            str(ignore_dir),
            str(repo_dir),
        ]
    return [gitleaks, "detect", "--source", str(repo_dir), *common]


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
        flavour = gitleaks_flavour(gitleaks, env=env)
        argv = gitleaks_command(
            gitleaks,
            repo_dir,
            tips,
            flavour=flavour,
            report=report,
            ignore_dir=ignore_dir,
            config=config,
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
    return parse_report(text) + find_allow_comments(
        log_added_lines(repo_dir, tips, env=env, timeout=timeout)
    )

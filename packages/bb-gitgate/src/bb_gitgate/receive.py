"""Decide one push: check refs, scan the new commits, hold for the operator, forward.

Two scans, either of which holds the push: gitleaks over the new commits' added lines
(`bb_gitgate.scan`), and the DLP engine over every object the push adds, as bytes
(`bb_gitgate.pushed`: blobs, commit and tag objects, file names), with the bottle's known
secrets and canary.

This is what the gate's pre-receive hook runs (`bb_gitgate.hook` is the thin adapter
that reads stdin and the environment). It returns normally when the push went upstream,
and raises `PushRefusedError` with a message for the agent otherwise; receive-pack then
refuses the push and keeps none of its objects. Messages for the agent go to ``say``
(the hook's stderr, which git shows as ``remote:`` lines); the gate's own log goes to
``log``.

Every decision is also appended to the gate's audit log (``audit.jsonl`` in its state
directory, the record shape of `bb_protocol.audit` shared with the egress proxy): held,
allowed, approved or denied with a reason code, naming repository, refs and the rules that
fired, never a matched value. ``bb audit`` shows it beside the egress decisions.

Order matters: refs and fast-forwards are checked before anything is scanned, the scan
covers exactly the commits that will be forwarded, the forward pushes those commit ids
(not ref names the agent could move) with a lease on the old values, and only after
upstream accepts does receive-pack update the gate's mirror.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from bb_dlp import DlpConfig
from bb_gitgate import git
from bb_gitgate.approvals import ApprovalQueue, Outcome, build_request
from bb_gitgate.dlp import redact_labels, scan_ref_names
from bb_gitgate.errors import GitError, PushRefusedError, ScanError
from bb_gitgate.hold import wait_for_verdict
from bb_gitgate.pushed import scan_push
from bb_gitgate.refs import ZERO_OID, RefUpdate, ref_allowed
from bb_gitgate.scan import Finding, scan_commits
from bb_protocol.audit import AuditDecision, AuditLog, AuditRecord
from bb_protocol.gitgate import GateConfig, RepoConfig, check_ref_name
from bb_protocol.logging import Logger

__all__ = ["AUDIT_FILE", "PushContext", "check_updates", "handle_push"]

AUDIT_FILE = "audit.jsonl"
"""The gate's audit log, in its state directory (`bb_protocol.paths.gitgate_audit_file`)."""


@dataclass(frozen=True)
class PushContext:
    """Everything one push decision needs; built by the hook from its environment."""

    config: GateConfig
    repo: RepoConfig
    repo_dir: Path
    env: Mapping[str, str]
    """Scrubbed git env plus receive-pack's quarantine variables."""
    queue: ApprovalQueue | None
    say: Callable[[str], None]
    log: Logger
    dlp: DlpConfig
    """The DLP engine's config: the bottle's secrets and canary (`bb_gitgate.dlp`)."""


@dataclass
class _Trail:
    """What the audit record of one push needs to know when it ends."""

    reason: str = "gate-error"
    """The reason code a refusal is recorded with (set before each refusal)."""
    detectors: tuple[str, ...] = ()
    """The rules that fired (gitleaks rule ids, ``bb-dlp:<detector>``)."""


def _audit(
    ctx: PushContext,
    updates: Sequence[RefUpdate],
    decision: AuditDecision,
    *,
    reason: str | None = None,
    detectors: tuple[str, ...] = (),
) -> None:
    """Append one record to the gate's audit log; a failing write is logged, never fatal."""
    record = AuditRecord(
        bottle=ctx.config.bottle,
        component="gitgate",
        method="PUSH",
        host=ctx.repo.name,
        port=0,
        path=",".join(u.ref for u in updates),
        route=ctx.repo.name,
        decision=decision,
        reason=reason,
        detectors=detectors,
    )
    try:
        log = AuditLog(ctx.config.state_dir / AUDIT_FILE)
        try:
            log.write(record)
        finally:
            log.close()
    except OSError as exc:
        ctx.log.warn("cannot write the gate's audit log", {"error": str(exc)})


def check_updates(repo: RepoConfig, updates: Sequence[RefUpdate]) -> None:
    """Refuse ref names outside the config's ``push_refs`` and deletions (pure)."""
    for update in updates:
        try:
            check_ref_name(update.ref)
        except ValueError as exc:
            raise PushRefusedError(f"refused {update.ref!r}: {exc}") from None
        if not ref_allowed(update.ref, repo.push_refs):
            raise PushRefusedError(
                f"refused {update.ref}: this bottle may push only to "
                f"{', '.join(repo.push_refs)} in {repo.name}; push to one of those instead"
            )
        if update.is_delete:
            raise PushRefusedError(f"refused {update.ref}: the gate never deletes refs upstream")


def _check_fast_forward(ctx: PushContext, updates: Sequence[RefUpdate]) -> None:
    for update in updates:
        if update.old == ZERO_OID:
            continue
        if not git.is_ancestor(
            ctx.repo_dir,
            update.old,
            update.new,
            env=ctx.env,
            timeout=ctx.config.git_timeout_seconds,
        ):
            raise PushRefusedError(
                f"refused {update.ref}: not a fast-forward of upstream; fetch, rebase "
                "on upstream, and push again (the gate never force-pushes)"
            )


def _describe(findings: Sequence[Finding]) -> list[str]:
    return [f"  {f.rule_id} in {f.location} (commit {f.commit[:12]}): {f.match}" for f in findings]


def _hold(
    ctx: PushContext,
    updates: list[RefUpdate],
    commits: list[str],
    findings: list[Finding],
    trail: _Trail,
) -> None:
    """Ask the operator; return when approved, raise `PushRefusedError` otherwise."""
    context = {"repo": ctx.repo.name, "findings": len(findings), "commits": len(commits)}
    trail.detectors = tuple(sorted({f.rule_id for f in findings}))
    trail.reason = "secrets-found"
    if ctx.queue is None:
        ctx.log.warn("push with findings refused: no approval queue configured", context)
        raise PushRefusedError(
            "refused: the gate found secrets and has no approval queue:\n"
            + "\n".join(_describe(findings))
            + "\nRemove the secrets from these commits (rewrite them) and push again."
        )
    request = build_request(ctx.repo.name, updates, commits, findings)
    proposal_id = ctx.queue.submit(request)
    context["proposal"] = proposal_id
    ctx.log.info("push held for operator approval", context)
    _audit(ctx, updates, "held", reason="secrets-found", detectors=trail.detectors)
    ctx.say(f"the gate found {len(findings)} possible secret(s) in this push:")
    for line in _describe(findings):
        ctx.say(line)
    ctx.say(
        f"held for the operator's approval (proposal {proposal_id}); waiting up to "
        f"{ctx.config.hold_timeout_seconds:.0f}s..."
    )
    outcome: Outcome = "failed"
    detail = "the gate failed while waiting"
    try:
        result = wait_for_verdict(
            ctx.queue,
            proposal_id,
            request.binding,
            timeout=ctx.config.hold_timeout_seconds,
            interval=ctx.config.poll_interval_seconds,
        )
        if result.ignored_mismatches:
            ctx.log.warn(
                "ignored decision(s) not bound to the held commits",
                {**context, "count": result.ignored_mismatches},
            )
        verdict = result.verdict
        if verdict is None:
            outcome, detail = "timed_out", "no decision in time; push refused"
            trail.reason = "hold-timed-out"
            ctx.log.warn("held push timed out", context)
            raise PushRefusedError(
                f"refused: no operator decision within {ctx.config.hold_timeout_seconds:.0f}s "
                f"(proposal {proposal_id}). Ask the operator to review it with `bb queue`, "
                "or remove the secrets from these commits, then push again."
            )
        if verdict.kind == "rejected":
            outcome, detail = "rejected", "push refused"
            trail.reason = "operator-rejected"
            ctx.log.info(
                "held push rejected by the operator", {**context, "reason": verdict.reason}
            )
            raise PushRefusedError(
                "refused: the operator rejected this push "
                f"({verdict.reason or 'no reason given'}). "
                "Remove the secrets from these commits (rewrite them), and push again."
            )
        outcome, detail = "approved", "push released for forwarding"
        ctx.log.info("held push approved by the operator", {**context, "reason": verdict.reason})
        ctx.say(f"approved by the operator: {verdict.reason or 'no reason given'}")
    finally:
        ctx.queue.archive(proposal_id, outcome, detail)


def handle_push(ctx: PushContext, updates: list[RefUpdate]) -> str:
    """Decide and, when allowed, forward ``updates``; return upstream's report.

    Raises `PushRefusedError` (message for the agent) on any refusal, including scan and
    upstream failures: the gate fails closed. Each outcome is audited (module docstring).
    """
    if not updates:
        return ""
    trail = _Trail()
    try:
        report = _decide(ctx, updates, trail)
    except BaseException:
        _audit(ctx, updates, "deny", reason=trail.reason, detectors=trail.detectors)
        raise
    _audit(ctx, updates, "approved" if trail.detectors else "allow", detectors=trail.detectors)
    return report


def _decide(ctx: PushContext, updates: list[RefUpdate], trail: _Trail) -> str:
    trail.reason = "ref-refused"
    check_updates(ctx.repo, updates)
    context: dict[str, object] = {"repo": ctx.repo.name, "refs": ",".join(u.ref for u in updates)}
    started = time.perf_counter()
    try:
        trail.reason = "not-fast-forward"
        _check_fast_forward(ctx, updates)
        trail.reason = "scan-failed"
        commits = git.new_commits(
            ctx.repo_dir, updates, env=ctx.env, timeout=ctx.config.git_timeout_seconds
        )
        findings = scan_commits(
            ctx.config.gitleaks,
            ctx.repo_dir,
            [u.new for u in updates],
            env=ctx.env,
            config=ctx.config.gitleaks_config,
            timeout=ctx.config.git_timeout_seconds,
        )
        context["gitleaks_ms"] = round((time.perf_counter() - started) * 1000)
        dlp_started = time.perf_counter()
        findings += scan_push(
            ctx.repo_dir,
            [u.new for u in updates],
            commits,
            ctx.dlp,
            env=ctx.env,
            timeout=ctx.config.git_timeout_seconds,
        )
        findings += scan_ref_names(updates, ctx.dlp)
        findings = redact_labels(findings, ctx.dlp)
        context["dlp_ms"] = round((time.perf_counter() - dlp_started) * 1000)
    except (GitError, ScanError) as exc:
        ctx.log.error("push refused: scan failed", {**context, "error": str(exc)})
        trail.reason = "scan-failed"
        raise PushRefusedError(f"refused: the gate could not scan this push ({exc})") from exc
    context["commits"] = len(commits)
    context["scan_ms"] = round((time.perf_counter() - started) * 1000)
    if findings:
        _hold(ctx, updates, commits, findings, trail)
    else:
        ctx.log.info("push is clean", context)
    forward_started = time.perf_counter()
    try:
        report = git.forward(ctx.config, ctx.repo, ctx.repo_dir, updates, env=ctx.env)
    except GitError as exc:
        ctx.log.warn("upstream refused the forwarded push", {**context, "error": str(exc)})
        trail.reason = "upstream-refused"
        raise PushRefusedError(f"refused: {exc}") from exc
    context["forward_ms"] = round((time.perf_counter() - forward_started) * 1000)
    ctx.log.info("push forwarded upstream", context)
    ctx.say(f"forwarded to upstream ({len(commits)} new commit(s)).")
    return report

"""Read what a push brings from receive-pack's quarantine and run the DLP pass over it.

The git I/O around `bb_gitgate.objects` (parsing, paths) and `bb_gitgate.dlp` (scanning):

1. ``git rev-list --objects --no-object-names <tips> --not --all``: every new object id
   (commits, trees, blobs, annotated tags), never a path the agent could shape;
2. ``git cat-file --batch-check``: their types;
3. ``git cat-file --batch`` over the commits, tags and trees: the plan (paths of blobs);
4. ``git cat-file --batch`` over the blobs, streamed: each scanned as it arrives.

Every git runs with the gate's scrubbed environment (no repo config, no textconv, no
filters: ``cat-file --batch`` prints stored bytes). Any failure is a `ScanError`, which
refuses the push.
"""

from __future__ import annotations

import subprocess
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path

from bb_dlp import DlpConfig
from bb_gitgate.dlp import MAX_FINDINGS, scan_item, scan_items
from bb_gitgate.errors import GitError, ScanError
from bb_gitgate.findings import Finding
from bb_gitgate.git import run_git
from bb_gitgate.objects import Item, parse_batch_check, plan_items

__all__ = ["read_objects", "scan_push"]


def _git(
    repo_dir: Path,
    args: Sequence[str],
    *,
    env: Mapping[str, str],
    timeout: float,
    input_text: str | None = None,
) -> str:
    try:
        return run_git(
            ["--git-dir", str(repo_dir), *args], env=env, timeout=timeout, input_text=input_text
        ).stdout
    except GitError as exc:
        raise ScanError(f"cannot read the pushed objects: {exc}") from exc


def read_objects(
    repo_dir: Path, oids: Sequence[str], *, env: Mapping[str, str], timeout: float
) -> Iterator[tuple[str, str, bytes]]:
    """``(oid, type, content)`` of each object, streamed from one ``git cat-file --batch``.

    The ids are written from a thread while content is read, so neither pipe fills up;
    past ``timeout`` the process is killed and the read fails (`ScanError`).
    """
    if not oids:
        return
    proc = subprocess.Popen(
        ["git", "--git-dir", str(repo_dir), "cat-file", "--batch", "--buffer"],
        env=dict(env),
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    stdin, stdout = proc.stdin, proc.stdout
    assert stdin is not None
    assert stdout is not None
    expired = threading.Event()

    def expire() -> None:
        expired.set()
        proc.kill()

    def feed() -> None:
        try:
            stdin.write("".join(f"{oid}\n" for oid in oids).encode())
            stdin.close()
        except OSError:
            pass  # the reader failed first and killed git; it reports why

    timer = threading.Timer(timeout, expire)
    timer.start()
    feeder = threading.Thread(target=feed, daemon=True)
    feeder.start()
    try:
        for expected in oids:
            header = stdout.readline().decode("ascii", "replace").split()
            if len(header) != 3 or header[0] != expected or not header[2].isdigit():
                if expired.is_set():
                    raise ScanError(f"reading the pushed objects timed out after {timeout:.0f}s")
                raise ScanError(f"cannot read pushed object {expected[:12]}: {' '.join(header)}")
            size = int(header[2])
            data = stdout.read(size)
            if len(data) != size or stdout.read(1) != b"\n":
                raise ScanError(f"pushed object {expected[:12]} was cut short")
            yield expected, header[1], data
    finally:
        timer.cancel()
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        stdout.close()
        feeder.join(timeout=5)


def scan_push(
    repo_dir: Path,
    tips: Sequence[str],
    commits: Sequence[str],
    config: DlpConfig,
    *,
    env: Mapping[str, str],
    timeout: float,
) -> list[Finding]:
    """The DLP engine's findings in everything the push adds (``commits`` oldest first)."""
    if not tips:
        return []
    listed = _git(
        repo_dir,
        ["rev-list", "--objects", "--no-object-names", *tips, "--not", "--all"],
        env=env,
        timeout=timeout,
    ).split()
    if not listed:
        return []
    try:
        infos = parse_batch_check(
            _git(
                repo_dir,
                ["cat-file", "--batch-check"],
                env=env,
                timeout=timeout,
                input_text="".join(f"{oid}\n" for oid in listed),
            )
        )
    except ValueError as exc:
        raise ScanError(f"cannot read the pushed objects: {exc}") from exc
    new = {info.oid: info.type for info in infos}
    structure = {
        oid: data
        for oid, _kind, data in read_objects(
            repo_dir, [o for o, k in new.items() if k != "blob"], env=env, timeout=timeout
        )
    }
    try:
        plan = plan_items(new, structure, [c for c in commits if new.get(c) == "commit"])
    except (KeyError, ValueError) as exc:
        raise ScanError(f"cannot read the pushed trees: {exc}") from exc
    findings = scan_items(plan.items, config)
    for oid, _kind, data in read_objects(repo_dir, list(plan.blobs), env=env, timeout=timeout):
        if len(findings) >= MAX_FINDINGS:
            break
        commit, path = plan.blobs[oid]
        findings += scan_item(Item("blob", oid, commit, path, data), config)
    return findings[:MAX_FINDINGS]

"""Give each sidecar's image user what it must reach in the bottle's state directory.

Only when ``bb`` runs as root (the sidecars then run as their image users, see
`bb_protocol.identities`); an operator who is not root owns every file and the sidecars run
as that operator, so nothing changes. Root can hand files to any uid; a non-root operator
could not, which is why that case keeps the operator's identity.

What each sidecar gets, and nothing more:

* the queue directory and its subdirectories: ``root:bb-queue``, ``rwxrws---`` (setgid, so
  every file created in them belongs to the group); the files themselves are written
  ``rw-r--r--`` (`bb_protocol.queue.atomic.FILE_MODE`) and carry no secret;
* the approval key: ``root:bb-queue``, ``rw-r-----`` (read by every sidecar, written by
  none; `bb_protocol.queue.auth.ApprovalKey.load` refuses a group-writable key);
* the egress audit log directory: the egress user's, with any log a root-run bottle left;
* the git gate's state (mirrors, audit log) and its deploy keys: the gate user's (a key
  stays ``rw-------``, as ssh wants).

Routes, the agent's files and the gate's config stay root's, readable by all (0644/0755).
"""

from __future__ import annotations

import os
from pathlib import Path

from bb_cli.plan import HostIdentity
from bb_protocol.identities import EGRESS_UID, GITGATE_UID, QUEUE_GID
from bb_protocol.queue import QueueStore

__all__ = ["QUEUE_DIR_MODE", "share_with_sidecars"]

QUEUE_DIR_MODE = 0o2770
"""Queue directories when bb runs as root: the group (every sidecar) may create and rename."""
KEY_MODE = 0o640


def _chown_tree(top: Path, uid: int, gid: int) -> None:
    """``chown -R`` without following symlinks (a sidecar may have planted one)."""
    os.lchown(top, uid, gid)
    for base, dirs, files in os.walk(top):
        for name in (*dirs, *files):
            os.lchown(Path(base) / name, uid, gid)


def share_with_sidecars(state_dir: Path, host: HostIdentity) -> None:
    """Prepare ``state_dir`` for sidecars that run as their image users (root operator only)."""
    if host.uid != 0:
        return
    store = QueueStore(state_dir / "queue").ensure(mode=QUEUE_DIR_MODE)
    for directory in (
        store.root,
        store.tmp,
        store.new,
        store.responses,
        store.claims,
        store.processed,
        store.quarantine,
    ):
        os.chown(directory, 0, QUEUE_GID)
    key = state_dir / "approval.key"
    os.chown(key, 0, QUEUE_GID)
    key.chmod(KEY_MODE)
    for tree, uid in (
        (state_dir / "logs", EGRESS_UID),
        (state_dir / "gitgate" / "state", GITGATE_UID),
        (state_dir / "gitgate" / "repos", GITGATE_UID),
    ):
        if tree.is_dir():  # the gate's only when the bottle has repos
            _chown_tree(tree, uid, QUEUE_GID)

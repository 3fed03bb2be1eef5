"""The queue's shared group, from the outside: real sidecar images, real uids (root operator).

When ``bb`` runs as root, the sidecars run as their image users in group ``bb-queue``
(``bb_protocol.identities``) and ``share_with_sidecars`` prepares the bottle's state
directory. Here the supervise image (uid 10002) submits a proposal, the egress image (uid
10001) reads it, the operator (this test, root) decides it with the key in place, and a new
supervise container claims and archives the decision (renames across files of three uids),
each container mounting the directories ``bb start`` would, read-only root, no capabilities.
The agent's uid (1000), in no such group, can neither read the key nor look into the queue.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from bb_cli.backends.compose.ownership import share_with_sidecars
from bb_cli.plan import HostIdentity
from bb_protocol.identities import EGRESS_UID, QUEUE_GID, SUPERVISE_UID
from bb_protocol.queue import ApprovalKey, Approve, QueueStore

pytestmark = [
    pytest.mark.docker,
    pytest.mark.usefixtures("docker_engine"),
    pytest.mark.skipif(os.geteuid() != 0, reason="the shared group is prepared only for root"),
]

SUBMIT = """
from pathlib import Path
from bb_protocol.queue import QueueStore, CapabilityBlockRequest
store = QueueStore(Path("/q")).ensure()
print(store.submit("supervise", CapabilityBlockRequest(capability="docker", detail="x")).id)
"""

READ = """
import sys
from pathlib import Path
from bb_protocol.queue import QueueStore, read_message, Proposal
proposal = read_message(Path("/q/new") / (sys.argv[1] + ".json"), Proposal)
print("read", proposal.owner, proposal.kind)
"""

CLAIM = """
import sys
from pathlib import Path
from bb_protocol.queue import ApprovalKey, QueueStore, read_message, Proposal
store = QueueStore(Path("/q")).ensure()
key = ApprovalKey.load(Path("/k/approval.key"))
proposal = read_message(store.new / (sys.argv[1] + ".json"), Proposal)
response = store.claim(proposal, key)
assert response is not None, "no response claimed"
store.archive(proposal, "approved", by="supervise", response=response)
print("claimed", response.decision.kind)
"""


def _image(component: str) -> str:
    from bb_cli.images import ImagesMissingError, resolve_image

    try:
        return resolve_image(component)  # type: ignore[arg-type]
    except ImagesMissingError as exc:
        pytest.fail(str(exc))


def _run(image: str, user: str, state: Path, *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            *("docker", "run", "--rm", "--network", "none", "--read-only"),
            *("--cap-drop", "ALL", "--security-opt", "no-new-privileges:true"),
            *("--user", user, "-v", f"{state / 'queue'}:/q"),
            *("-v", f"{state / 'approval.key'}:/k/approval.key:ro"),
            *("--entrypoint", "python3", image, *argv),
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=180,
    )


def test_sidecars_in_the_queue_group_submit_and_claim_across_uids(tmp_path: Path) -> None:
    """supervise (10002) proposes, egress (10001) reads it, root decides, supervise claims."""
    state = tmp_path / "bottle"
    state.mkdir()
    state.chmod(0o755)
    key = ApprovalKey.load_or_create(state / "approval.key")
    share_with_sidecars(state, HostIdentity(0, 0))

    submitted = _run(_image("supervise"), f"{SUPERVISE_UID}:{QUEUE_GID}", state, "-c", SUBMIT)
    assert submitted.returncode == 0, submitted.stderr
    proposal_id = submitted.stdout.strip()
    proposal_file = state / "queue" / "new" / f"{proposal_id}.json"
    assert (proposal_file.stat().st_uid, proposal_file.stat().st_gid) == (SUPERVISE_UID, QUEUE_GID)

    store = QueueStore(state / "queue")
    store.decide(proposal_id, Approve(reason="ok"), key, decided_by="root operator")

    read = _run(_image("egress"), f"{EGRESS_UID}:{QUEUE_GID}", state, "-c", READ, proposal_id)
    assert read.returncode == 0, read.stderr
    assert "read supervise capability-block" in read.stdout

    supervise = f"{SUPERVISE_UID}:{QUEUE_GID}"
    claimed = _run(_image("supervise"), supervise, state, "-c", CLAIM, proposal_id)
    assert claimed.returncode == 0, claimed.stderr
    assert "claimed approve" in claimed.stdout
    record = store.archive_record(proposal_id)
    assert record is not None
    assert record.outcome == "approved"


def test_a_uid_outside_the_group_reads_neither_the_key_nor_the_queue(tmp_path: Path) -> None:
    """The agent's uid 1000 (never given these mounts anyway) is refused by the modes alone."""
    state = tmp_path / "bottle"
    state.mkdir()
    state.chmod(0o755)
    ApprovalKey.load_or_create(state / "approval.key")
    share_with_sidecars(state, HostIdentity(0, 0))
    probe = (
        "import os\n"
        "for path in ('/k/approval.key', '/q/new'):\n"
        "    try:\n"
        "        open(path).read() if path.endswith('.key') else os.listdir(path)\n"
        "        print('readable', path)\n"
        "    except PermissionError:\n"
        "        print('refused', path)\n"
    )
    done = _run(_image("supervise"), "1000:1000", state, "-c", probe)
    assert done.returncode == 0, done.stderr
    assert done.stdout.split("\n")[:2] == ["refused /k/approval.key", "refused /q/new"]

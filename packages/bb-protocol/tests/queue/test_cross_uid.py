"""An owner running as another uid than the operator can claim and archive (real uids).

The owner runs in a real container (the supervise image's Python, this tree's
``bb_protocol`` mounted read-only) as uid 10003, like the git gate; the operator is this
test's uid. Linux refuses a hard link to another uid's file, so this fails with a
link-based claim and passes with the rename-based one.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

from bb_protocol.queue import ApprovalKey, Approve, QueueStore
from bb_protocol.testing import sample_request

OWNER_UID = 10003

CLAIM = """
import sys
from pathlib import Path
from bb_protocol.queue import ApprovalKey, QueueStore, read_message, Proposal
store = QueueStore(Path(sys.argv[1]))
key = ApprovalKey.load(Path(sys.argv[2]))
proposal = read_message(store.new / (sys.argv[3] + ".json"), Proposal)
response = store.claim(proposal, key)
assert response is not None, "no response claimed"
store.archive(proposal, "approved", by="supervise", response=response)
print("claimed", response.decision.kind)
"""


IMAGE = "bot-bottle-supervise:0.1.0"
SRC = Path(__file__).parents[2] / "src"


@pytest.mark.docker
def test_an_owner_with_another_uid_claims_the_operators_response(tmp_path):
    """The operator's response (their uid) is claimed and archived by the sidecar's uid."""
    root = tmp_path / "queue"
    store = QueueStore(root).ensure()
    for directory in (tmp_path, root, *root.iterdir()):
        directory.chmod(0o777)  # the shared-directory setup the doc describes
    operator_key = ApprovalKey.create_file(tmp_path / "approval.key")
    owner_key = tmp_path / "owner.key"
    shutil.copy(tmp_path / "approval.key", owner_key)
    os.chown(owner_key, OWNER_UID, OWNER_UID)
    proposal = store.submit("demo", sample_request("capability-block"))
    store.decide(proposal.id, Approve(reason="ok"), operator_key, decided_by="op")
    if subprocess.run(["docker", "image", "inspect", IMAGE], capture_output=True).returncode:
        pytest.skip(f"{IMAGE} is not built here (bb images build supervise)")
    done = subprocess.run(
        [
            "docker",
            "run",
            "--rm",
            "--network",
            "none",
            "--user",
            f"{OWNER_UID}:{OWNER_UID}",
            "-v",
            f"{SRC}:/src:ro",
            "-v",
            f"{tmp_path}:/bottle",
            "-e",
            "PYTHONPATH=/src",
            "--entrypoint",
            "/opt/bb/bin/python",
            IMAGE,
            "-c",
            CLAIM,
            "/bottle/queue",
            "/bottle/owner.key",
            proposal.id,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    assert "claimed approve" in done.stdout
    assert store.archive_record(proposal.id).outcome == "approved"

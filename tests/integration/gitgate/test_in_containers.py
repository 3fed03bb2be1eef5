"""The gate in containers: agent, gate and a forge stand-in on their own Docker networks.

Topology (both networks ``internal``: nothing here reaches beyond them)::

    agent ──[internal]── git-gate ──[forge]── forge (sshd + git-shell, /srv/app.git)

The gate runs the lead's ``bot-bottle-gitgate`` image with this tree's bb-protocol, bb-dlp and
bb-gitgate wheels installed over it (a throwaway image, removed afterwards), as its
non-root user with every capability dropped. It forwards over ssh with a deploy key made by
`bb_cli.deploykeys.generate_keypair` and the forge's host key pinned in known_hosts. The
operator's decisions are written through the `bb_protocol.queue` API from a one-off
container running as the gate's uid (see the report on cross-uid claims).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import yaml

from bb_cli.deploykeys import generate_keypair
from bb_protocol.queue import ApprovalKey
from bb_testkit.gitgate import PLANTED_SECRET

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_engine")]

HERE = Path(__file__).parent / "containers"
ROOT = Path(__file__).resolve().parents[3]
BASE_IMAGE = "bot-bottle-gitgate:0.1.0"
GATE_UID = 10003


def docker(
    *args: str, check: bool = True, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        ["docker", *args], capture_output=True, text=True, check=False, timeout=timeout
    )
    if check and result.returncode != 0:
        raise AssertionError(f"docker {' '.join(args[:3])} failed: {result.stderr[-2000:]}")
    return result


@dataclass
class Bottle:
    tag: str
    gate_image: str
    queue: Path
    key_file: Path
    config_dir: Path

    def agent(self, script: str, check: bool = True) -> subprocess.CompletedProcess[str]:
        """Run a shell script in the agent container (as its non-root user)."""
        return docker("exec", f"{self.tag}-agent", "sh", "-c", script, check=check)

    def upstream_rev(self, ref: str) -> str:
        return docker(
            "exec",
            "--user",
            "git",
            f"{self.tag}-forge",
            "git",
            "--git-dir",
            "/srv/app.git",
            "rev-parse",
            "--verify",
            "-q",
            ref,
            check=False,
        ).stdout.strip()

    def pending(self) -> list[str]:
        return sorted(p.stem for p in (self.queue / "new").glob("*.json"))

    def decide(self, proposal_id: str, kind: str, reason: str) -> None:
        """Decide through bb_protocol.queue, as the operator would with `bb queue`."""
        script = (
            "import sys; from pathlib import Path;"
            "from bb_protocol.queue import QueueStore, ApprovalKey, Approve, Reject, content_hash;"
            "s = QueueStore(Path('/queue')); p = s.get(sys.argv[1]);"
            "r = sys.argv[3];"
            "d = Approve(reason=r) if sys.argv[2] == 'approved' else Reject(reason=r);"
            "s.decide(p.id, d, ApprovalKey.load(Path('/key')), decided_by='operator@host',"
            " seen_sha256=content_hash(p))"
        )
        docker(
            "run",
            "--rm",
            "--user",
            str(GATE_UID),
            "--network",
            "none",
            "-v",
            f"{self.queue}:/queue",
            "-v",
            f"{self.key_file}:/key:ro",
            "--entrypoint",
            "/opt/bb/bin/python3",
            self.gate_image,
            "-c",
            script,
            proposal_id,
            kind,
            reason,
        )


def _wait(predicate, what: str, timeout: float = 90.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout}s waiting for {what}")


@pytest.fixture(scope="module")
def images(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """Build the forge stand-in and the gate test image; remove both afterwards."""
    if docker("image", "inspect", BASE_IMAGE, check=False).returncode != 0:
        pytest.skip(f"{BASE_IMAGE} is not built (run `bb images build gitgate`)")
    uv = os.environ.get("UV") or shutil.which("uv")
    if uv is None:
        pytest.skip("uv is needed to build the wheels")
    context = tmp_path_factory.mktemp("gate-image")
    for package in ("bb-protocol", "bb-dlp", "bb-gitgate"):
        subprocess.run(
            [uv, "build", "--package", package, "--wheel", "-q", "-o", str(context / "wheels")],
            cwd=ROOT,
            check=True,
            timeout=300,
        )
    shutil.copy(HERE / "gate.Dockerfile", context / "Dockerfile")
    token = secrets.token_hex(4)
    forge_image, gate_image = f"bb-test-forge:{token}", f"bb-test-gitgate:{token}"
    docker("build", "-q", "-t", forge_image, "-f", str(HERE / "upstream.Dockerfile"), str(HERE))
    docker("build", "-q", "-t", gate_image, "--build-arg", f"BASE={BASE_IMAGE}", str(context))
    try:
        yield forge_image, gate_image
    finally:
        docker("rmi", "-f", forge_image, gate_image, check=False)


@pytest.fixture(scope="module")
def bottle(images: tuple[str, str], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bottle]:
    """Networks, forge, gate and agent containers; all removed afterwards."""
    forge_image, gate_image = images
    tag = f"bbgt{secrets.token_hex(4)}"
    work = tmp_path_factory.mktemp(tag)
    keys, config_dir, queue = work / "keys", work / "config", work / "queue"
    for directory in (keys, config_dir, queue):
        directory.mkdir()
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(keys / "host_ed25519")],
        check=True,
    )
    pair = generate_keypair(work / "deploy", f"bot-bottle {tag}")
    (keys / "deploy_key.pub").write_text(pair.public_key + "\n")
    host_pub = (keys / "host_ed25519.pub").read_text().split()
    (config_dir / "known_hosts").write_text(f"forge {host_pub[0]} {host_pub[1]}\n")
    shutil.copy(pair.private_key, config_dir / "deploy_key")
    key_file = work / "approval.key"
    ApprovalKey.create_file(key_file)
    shutil.copy(key_file, config_dir / "approval.key")
    (config_dir / "gate.yaml").write_text(
        yaml.safe_dump(
            {
                "bottle": "test-bottle",
                "state_dir": "/var/lib/bot-bottle/gitgate",
                "queue_dir": "/queue",
                "approval_key_file": "/etc/bb-gitgate/approval.key",
                "hold_timeout_seconds": 120,
                "repos": [
                    {
                        "name": "app",
                        "upstream": "ssh://git@forge/srv/app.git",
                        "push_refs": ["refs/heads/main", "refs/heads/bb/*"],
                        "deploy_key": "/etc/bb-gitgate/deploy_key",
                        "known_hosts": "/etc/bb-gitgate/known_hosts",
                    }
                ],
            }
        )
    )
    for path in [config_dir, queue, key_file, *config_dir.iterdir()]:
        os.chown(path, GATE_UID, GATE_UID)
    (config_dir / "deploy_key").chmod(0o600)
    internal, forge_net = f"{tag}-internal", f"{tag}-forge"
    containers = [f"{tag}-forge", f"{tag}-gate", f"{tag}-agent"]
    try:
        docker("network", "create", "--internal", internal)
        docker("network", "create", "--internal", forge_net)
        docker(
            "run",
            "-d",
            "--name",
            f"{tag}-forge",
            "--network",
            forge_net,
            "--network-alias",
            "forge",
            "-v",
            f"{keys}:/keys:ro",
            forge_image,
        )
        docker(
            "run",
            "-d",
            "--name",
            f"{tag}-gate",
            "--network",
            forge_net,
            "--cap-drop",
            "ALL",
            "--security-opt",
            "no-new-privileges:true",
            "--sysctl",
            "net.ipv4.ip_forward=0",
            "-v",
            f"{config_dir}:/etc/bb-gitgate:ro",
            "-v",
            f"{queue}:/queue",
            gate_image,
            "serve",
            "--config",
            "/etc/bb-gitgate/gate.yaml",
        )
        docker("network", "connect", "--alias", "git-gate", internal, f"{tag}-gate")
        docker(
            "run",
            "-d",
            "--name",
            f"{tag}-agent",
            "--network",
            internal,
            "--cap-drop",
            "ALL",
            "--entrypoint",
            "sleep",
            gate_image,
            "3600",
        )
        bottle = Bottle(tag, gate_image, queue, key_file, config_dir)
        _wait(
            lambda: (
                bottle.agent(
                    'python3 -c "import urllib.request as u;'
                    "u.urlopen('http://git-gate:8070/healthz', timeout=2)\"",
                    check=False,
                ).returncode
                == 0
            ),
            "the gate's /healthz from the agent",
        )
        bottle.agent(
            "cd $HOME && git clone -q http://git-gate:8070/app.git w"
            " && git -C w config user.name agent && git -C w config user.email a@b.invalid"
        )
        yield bottle
    finally:
        logs = docker("logs", f"{tag}-gate", check=False)
        print(logs.stdout[-4000:], logs.stderr[-4000:])
        docker("rm", "-f", *containers, check=False)
        docker("network", "rm", internal, forge_net, check=False)


def test_the_agent_clones_upstream_through_the_gate(bottle: Bottle):
    """The clone made in the fixture has the forge's main."""
    head = bottle.agent("git -C $HOME/w rev-parse HEAD").stdout.strip()
    assert head == bottle.upstream_rev("refs/heads/main")


def test_a_clean_push_is_forwarded_over_ssh_with_the_deploy_key(bottle: Bottle):
    """Clean commits reach the forge, authenticated by the deploy key, host key pinned."""
    result = bottle.agent(
        "cd $HOME/w && echo ok > clean.txt && git add clean.txt && git commit -qm clean"
        " && git push origin HEAD:refs/heads/main 2>&1 && git rev-parse HEAD"
    )
    assert bottle.upstream_rev("refs/heads/main") == result.stdout.strip().splitlines()[-1]


@pytest.mark.parametrize(("kind", "forwarded"), [("approved", True), ("rejected", False)])
def test_a_held_push_follows_the_operators_decision(bottle: Bottle, kind: str, forwarded: bool):
    """A secret holds the push; approval forwards it, rejection refuses it."""
    before = bottle.upstream_rev("refs/heads/main")
    sha = bottle.agent(
        "cd $HOME/w && git reset -q --hard origin/main"
        f" && echo 'KEY=\"{PLANTED_SECRET}\"' > s_{kind}.py"
        f" && git add s_{kind}.py && git commit -qm secret && git rev-parse HEAD"
    ).stdout.strip()
    push = subprocess.Popen(
        [
            "docker",
            "exec",
            f"{bottle.tag}-agent",
            "sh",
            "-c",
            "cd $HOME/w && git push origin HEAD:refs/heads/main",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    _wait(lambda: bool(bottle.pending()), "a gitleaks-allow proposal")
    [proposal_id] = bottle.pending()
    request = json.loads((bottle.queue / "new" / f"{proposal_id}.json").read_text())["request"]
    assert request["commits"] == [sha]
    bottle.decide(proposal_id, kind, f"{kind} in test")
    output, _ = push.communicate(timeout=120)
    assert (push.returncode == 0) is forwarded, output
    assert bottle.upstream_rev("refs/heads/main") == (sha if forwarded else before)
    bottle.agent("cd $HOME/w && git fetch -q origin && git reset -q --hard origin/main")


def test_the_agent_cannot_reach_the_forge_directly(bottle: Bottle):
    """No name, no route: the forge is on a network the agent is not on."""
    forge_ip = docker(
        "inspect",
        "-f",
        "{{range .NetworkSettings.Networks}}{{.IPAddress}}{{end}}",
        f"{bottle.tag}-forge",
    ).stdout.strip()
    by_name = bottle.agent(
        "GIT_SSH_COMMAND='ssh -o BatchMode=yes -o ConnectTimeout=5' "
        "git ls-remote ssh://git@forge/srv/app.git",
        check=False,
    )
    assert by_name.returncode != 0
    by_ip = bottle.agent(
        f"python3 -c \"import socket; socket.create_connection(('{forge_ip}', 22), timeout=5)\"",
        check=False,
    )
    assert by_ip.returncode != 0


def test_a_forge_whose_host_key_is_not_pinned_gets_nothing(bottle: Bottle, tmp_path: Path):
    """Strict host key checking: with another key in known_hosts the forward is refused."""
    config_dir = tmp_path / "config"
    shutil.copytree(bottle.config_dir, config_dir)
    subprocess.run(
        ["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", str(tmp_path / "other")], check=True
    )
    other = (tmp_path / "other.pub").read_text().split()
    (config_dir / "known_hosts").write_text(f"forge {other[0]} {other[1]}\n")
    queue = tmp_path / "queue"
    queue.mkdir()
    for path in [config_dir, queue, *config_dir.iterdir()]:
        os.chown(path, GATE_UID, GATE_UID)
    name = f"{bottle.tag}-gate-unpinned"
    docker(
        "run",
        "-d",
        "--name",
        name,
        "--network",
        f"{bottle.tag}-forge",
        "--cap-drop",
        "ALL",
        "-v",
        f"{config_dir}:/etc/bb-gitgate:ro",
        "-v",
        f"{queue}:/queue",
        bottle.gate_image,
        "serve",
        "--config",
        "/etc/bb-gitgate/gate.yaml",
    )
    try:
        _wait(
            lambda: (
                docker(
                    "exec",
                    name,
                    "python3",
                    "-c",
                    "import urllib.request as u;"
                    "u.urlopen('http://127.0.0.1:8070/healthz', timeout=2)",
                    check=False,
                ).returncode
                == 0
            ),
            "the unpinned gate's /healthz",
        )
        result = docker(
            "exec",
            name,
            "sh",
            "-c",
            "git clone -q http://127.0.0.1:8070/app.git /tmp/w 2>&1",
            check=False,
        )
        assert result.returncode != 0
        assert "502" in result.stdout
        logs = docker("logs", name).stderr
        assert "Host key verification failed" in logs, logs
    finally:
        docker("rm", "-f", name, check=False)

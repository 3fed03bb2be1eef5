"""The Docker seam against a real engine: what bb-cli relies on each call doing.

One throwaway container (``debian:trixie-slim``, no network) per test module, labelled so
the seam's listing finds it; removed at the end whatever happens.
"""

from __future__ import annotations

import io
import secrets
import tarfile
import time
from collections.abc import Iterator

import pytest

from bb_cli.engine import DockerEngine, DockerNotFoundError, Engine

pytestmark = pytest.mark.docker

IMAGE = "debian:trixie-slim"


@pytest.fixture(scope="module")
def engine(docker_engine: None) -> Engine:
    """The real engine (skips without one)."""
    return DockerEngine()


@pytest.fixture(scope="module")
def container(engine: Engine) -> Iterator[str]:
    """A running container with a label of its own and a HUP trap that writes a file."""
    if engine.image_id(IMAGE) is None:
        pytest.skip(f"{IMAGE} is not present (bb images build makes it)")
    label = f"org.bot-bottle.test-seam={secrets.token_hex(4)}"
    trap = 'trap "echo hup >> /tmp/hups" HUP; echo started; while true; do sleep 0.1; done'
    cid = engine.run(
        "run", "-d", "--rm", "--network", "none", "--label", label, IMAGE, "sh", "-c", trap
    ).stdout.strip()
    try:
        yield cid
    finally:
        engine.run("rm", "-f", cid, check=False, timeout=60)


def test_the_engine_answers_a_ping_and_says_its_version(engine: Engine) -> None:
    """`problem()` is None with an engine; the version is the server's."""
    assert engine.problem() is None
    assert engine.server_version().split(".")[0].isdigit()


def test_an_absent_image_has_no_id_and_no_labels(engine: Engine) -> None:
    """Absent is None / empty, never an exception."""
    ref = f"bb-test-absent-{secrets.token_hex(4)}:0"
    assert engine.image_id(ref) is None
    assert engine.image_labels(ref) == {}


def test_inspecting_a_missing_container_is_a_lookup_error(engine: Engine) -> None:
    """`DockerNotFoundError` (a `LookupError`), exit 6, with the engine's message."""
    with pytest.raises(DockerNotFoundError, match="No such container"):
        engine.inspect("container", f"bb-test-absent-{secrets.token_hex(4)}")


def test_exec_returns_the_exit_code_and_the_output(engine: Engine, container: str) -> None:
    """A command's own exit code (not 0 for a failure) and its interleaved output."""
    result = engine.exec(container, ["sh", "-c", "echo out; echo err >&2; exit 3"])
    assert result.exit_code == 3
    assert "out" in result.output
    assert "err" in result.output


def test_a_container_is_listed_by_its_label_and_logs_what_it_printed(
    engine: Engine, container: str
) -> None:
    """`containers(label)` finds it running; `logs` has its first line."""
    label = engine.inspect("container", container)["Config"]["Labels"]
    key = next(k for k in label if k == "org.bot-bottle.test-seam")
    (found,) = engine.containers(f"{key}={label[key]}")
    assert (found.id, found.state) == (container, "running")
    assert "started" in engine.logs(container)


def test_a_signal_reaches_the_container(engine: Engine, container: str) -> None:
    """`kill(HUP)` is what the routes reload sends; the trap records it."""
    engine.kill(container, "HUP")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:  # a bounded wait for the trap to run
        if engine.exec(container, ["cat", "/tmp/hups"]).exit_code == 0:
            break
    assert engine.exec(container, ["cat", "/tmp/hups"]).output.strip() == "hup"


def test_a_path_is_copied_out_as_a_tar_archive(engine: Engine, container: str) -> None:
    """`copy_out` streams what ``docker cp CONTAINER:PATH -`` would."""
    engine.exec(container, ["sh", "-c", "mkdir -p /tmp/out && echo data > /tmp/out/f"])
    buffer = io.BytesIO()
    engine.copy_out(container, "/tmp/out", buffer)
    buffer.seek(0)
    with tarfile.open(fileobj=buffer) as archive:
        member = archive.extractfile("out/f")
        assert member is not None
        assert member.read() == b"data\n"


def test_a_commit_applies_its_changes_and_the_image_can_be_removed(
    engine: Engine, container: str
) -> None:
    """`commit` with Dockerfile changes (the freezer's blanked ENV, a label); then removed."""
    ref = f"bb-test-seam-{secrets.token_hex(4)}:1"
    try:
        image_id = engine.commit(container, ref, changes=["ENV BB_X=", "LABEL org.bb.t=1"])
        assert engine.image_id(ref) == image_id
        assert engine.image_labels(ref)["org.bb.t"] == "1"
        assert "BB_X=" in engine.inspect("image", ref)["Config"]["Env"]
    finally:
        engine.remove_image(ref)
    assert engine.image_id(ref) is None
    engine.remove_image(ref)  # absent: quietly nothing


def test_events_between_two_times_include_the_containers_start(
    engine: Engine, container: str
) -> None:
    """A finite event stream (``since``/``until``) filtered to one container."""
    started = engine.inspect("container", container)["State"]["StartedAt"]
    assert started
    events = list(
        engine.events(
            since=time.time() - 600, until=time.time(), filters={"container": [container]}
        )
    )
    assert any(e.get("status") == "start" or e.get("Action") == "start" for e in events)

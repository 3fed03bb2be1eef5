"""The backend interface's fleet parts: addresses, batch status, the queue seam."""

from __future__ import annotations

import json
from collections.abc import Sequence

import pytest

from bb_cli.backends.base import (
    LOCAL_CONTEXT,
    ApprovalQueue,
    BottleAddress,
    BottleBackend,
    BottleStatus,
)
from bb_cli.backends.compose.backend import bottle_statuses
from bb_protocol.queue import QueueStore


@pytest.mark.parametrize(
    ("text", "backend", "context", "slug"),
    [
        ("shell-abc123", "compose", LOCAL_CONTEXT, "shell-abc123"),
        ("smolvm:shell-abc123", "smolvm", LOCAL_CONTEXT, "shell-abc123"),
        ("compose:build-host/shell-abc123", "compose", "build-host", "shell-abc123"),
        (
            "compose:arn:aws:eks:eu-west-1:1:cluster/agents/team-a/shell-x",
            "compose",
            "arn:aws:eks:eu-west-1:1:cluster/agents/team-a",
            "shell-x",
        ),
    ],
)
def test_an_address_names_backend_context_and_slug(text, backend, context, slug):
    """Bare slugs are local; the slug is after the last slash; str() parses back."""
    address = BottleAddress.parse(text)
    assert (address.backend, address.context, address.slug) == (backend, context, slug)
    assert BottleAddress.parse(str(address)) == address


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("nomad:x/shell-1", "unknown backend 'nomad'"),
        ("compose:ctx/Bad_Slug", "Bad_Slug"),
        ("compose: spaced/shell-1", "invalid context"),
        ("compose:ctx/", "slug"),
    ],
)
def test_a_bad_address_is_refused_saying_which_part(text, message):
    """Unknown backend, invalid context or slug: ValueError naming it."""
    with pytest.raises(ValueError, match=message):
        BottleAddress.parse(text)


class _Counting(BottleBackend):
    """A backend with only `status`: the default `statuses` calls it per bottle."""

    name = "compose"

    def __init__(self) -> None:
        self.asked: list[str] = []

    def status(self, slug: str) -> BottleStatus:
        self.asked.append(slug)
        return BottleStatus(slug=slug, state="absent")

    def start(self, plan, progress):  # type: ignore[no-untyped-def]
        raise NotImplementedError

    def exec(self, slug: str, argv: Sequence[str], *, tty: bool) -> int:
        raise NotImplementedError

    def attach(self, slug: str, argv: Sequence[str]) -> int:
        raise NotImplementedError

    def logs(self, slug: str, component: str, *, follow: bool) -> int:
        raise NotImplementedError

    def stop(self, slug: str) -> None:
        raise NotImplementedError

    def remove(self, slug: str) -> None:
        raise NotImplementedError


def test_by_default_many_statuses_are_one_status_each():
    """A backend that cannot list in one call still answers `statuses`."""
    backend = _Counting()
    out = backend.statuses(["a-1", "b-2"])
    assert backend.asked == ["a-1", "b-2"]
    assert {s: v.state for s, v in out.items()} == {"a-1": "absent", "b-2": "absent"}
    assert str(backend.address("a-1")) == "compose:local/a-1"


def test_the_default_queue_seam_is_the_store_under_the_state_dir(tmp_path, monkeypatch):
    """`approval_queue` gives the operator the bottle's QueueStore on this host."""
    monkeypatch.setenv("BOT_BOTTLE_STATE_DIR", str(tmp_path))
    queue: ApprovalQueue = _Counting().approval_queue("a-1")
    assert isinstance(queue, QueueStore)
    assert queue.root == tmp_path / "bottles" / "a-1" / "queue"


def _ps(project: str, service: str, state: str) -> str:
    labels = f"com.docker.compose.project={project},com.docker.compose.service={service}"
    return json.dumps({"Names": f"{project}-{service}-1", "State": state, "Labels": labels})


def test_one_docker_listing_gives_every_bottles_state():
    """Containers are grouped by compose project; other projects are ignored."""
    out = "\n".join(
        [
            _ps("bb-up-1", "agent", "running"),
            _ps("bb-up-1", "egress", "running"),
            _ps("bb-half-2", "agent", "exited"),
            _ps("bb-half-2", "egress", "running"),
            _ps("bb-down-3", "egress", "exited"),
            _ps("someone-else", "web", "running"),
        ]
    )
    states = bottle_statuses(out, ["up-1", "half-2", "down-3", "gone-4"])
    assert {s: v.state for s, v in states.items()} == {
        "up-1": "running",
        "half-2": "partial",
        "down-3": "stopped",
        "gone-4": "absent",
    }
    assert states["half-2"].containers == {"agent": "exited", "egress": "running"}

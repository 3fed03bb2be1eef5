"""``bb queue`` on a real queue directory (and, for routes changes, a real container)."""

from __future__ import annotations

import json
import secrets
import subprocess
import time

import pytest
from typer.testing import CliRunner

from bb_cli.app import app
from bb_protocol.paths import approval_key_file, queue_dir, routes_file
from bb_protocol.queue import ApprovalKey, QueueStore, verify_response
from bb_protocol.routes import parse_routes
from bb_protocol.testing import sample_request

ROUTES = "version: 1\nroutes:\n  - host: api.github.com\n"


@pytest.fixture
def env(tmp_path):
    return {"BOT_BOTTLE_STATE_DIR": str(tmp_path / "state")}


def _bottle(env, slug="demo"):
    store = QueueStore(queue_dir(slug, env)).ensure()
    key = ApprovalKey.create_file(approval_key_file(slug, env))
    path = routes_file(slug, env)
    path.parent.mkdir(parents=True)
    path.write_text(ROUTES, encoding="utf-8")
    return store, key


def bb(env, *args, input=None):
    return CliRunner().invoke(app, ["queue", *args], env=env, input=input)


def test_list_shows_pending_proposals_across_bottles(env):
    """One line per pending proposal, with its bottle and status."""
    one, _ = _bottle(env, "one")
    two, _ = _bottle(env, "two")
    a = one.submit("one", sample_request("capability-block"))
    b = two.submit("two", sample_request("gitleaks-allow"))
    result = bb(env, "list")
    assert result.exit_code == 0, result.output
    assert a.id in result.output
    assert b.id in result.output
    assert "pending" in result.output


def test_list_json_is_machine_readable(env):
    """--json prints an array with id, bottle, kind, status, sha256 and the request."""
    store, _ = _bottle(env)
    proposal = store.submit("demo", sample_request("egress-allow"))
    result = bb(env, "list", "--json")
    [row] = json.loads(result.output)
    assert (row["id"], row["bottle"], row["kind"], row["status"]) == (
        proposal.id,
        "demo",
        "egress-allow",
        "pending",
    )
    assert row["request"]["route"]["host"] == "pypi.org"


def test_list_with_nothing_pending_says_so(env):
    """An empty queue is not an error."""
    _bottle(env)
    assert bb(env, "list").output.strip() == "no pending proposals"


def test_show_sanitises_what_the_agent_wrote(env):
    """Escape sequences and bidi overrides are shown as tokens, never sent to the terminal."""
    store, _ = _bottle(env)
    request = sample_request("capability-block").model_copy(
        update={"detail": "ok\x1b]52;c;ZXZpbA==\x07 \u202eevil"}
    )
    proposal = store.submit("demo", request)
    result = bb(env, "show", proposal.id)
    assert result.exit_code == 0
    assert "\x1b" not in result.output
    assert "\u202e" not in result.output
    assert "⟨U+202E⟩" in result.output
    assert "sha256:" in result.output


def test_reject_writes_a_signed_response_the_owner_accepts(env):
    """The response verifies with the bottle's key and carries the reason."""
    store, key = _bottle(env)
    proposal = store.submit("demo", sample_request("capability-block"))
    result = bb(env, "reject", proposal.id, "--reason", "not today")
    assert result.exit_code == 0, result.output
    response = store.claim(proposal, key)
    assert response.decision.reason == "not today"
    assert verify_response(proposal, response, key) is None


@pytest.mark.parametrize("kind", ["egress-token-allow", "gitleaks-allow"])
def test_approving_a_token_or_gitleaks_allowance_without_reason_is_refused(env, kind):
    """Exit 1 with the reason requirement spelled out; nothing is written."""
    store, key = _bottle(env)
    proposal = store.submit("demo", sample_request(kind))
    result = bb(env, "approve", proposal.id)
    assert result.exit_code == 1
    assert "requires a reason" in result.output
    assert store.claim(proposal, key) is None
    assert bb(env, "approve", proposal.id, "--reason", "test fixture").exit_code == 0


def test_modify_is_refused_for_a_gitleaks_allowance(env, tmp_path):
    """Only approve or reject make sense there."""
    store, _ = _bottle(env)
    proposal = store.submit("demo", sample_request("gitleaks-allow"))
    changed = tmp_path / "changed.json"
    changed.write_text(proposal.request.model_dump_json(), encoding="utf-8")
    result = bb(env, "modify", proposal.id, str(changed), "--reason", "x")
    assert result.exit_code == 1
    assert "cannot be modified" in result.output


def test_modify_with_an_invalid_file_names_the_problem(env, tmp_path):
    """A changed request that breaks the schema is refused with its location."""
    store, _ = _bottle(env)
    proposal = store.submit("demo", sample_request("egress-allow"))
    changed = tmp_path / "changed.yaml"
    changed.write_text("kind: egress-allow\nroute: {host: 10.0.0.1}\n", encoding="utf-8")
    result = bb(env, "modify", proposal.id, str(changed))
    assert result.exit_code == 1
    assert "route.host" in result.output


@pytest.mark.parametrize("bad", ["no-such-proposal", "../../etc/passwd"])
def test_an_unknown_id_exits_3(env, bad):
    """No bottle holds it: not found (exit 3, as every command)."""
    _bottle(env)
    result = bb(env, "approve", bad)
    assert result.exit_code == 3
    assert "no pending proposal" in result.output


def test_a_second_decision_is_refused(env):
    """The first decision stands."""
    store, _ = _bottle(env)
    proposal = store.submit("demo", sample_request("capability-block"))
    assert bb(env, "approve", proposal.id).exit_code == 0
    result = bb(env, "reject", proposal.id)
    assert result.exit_code == 1
    assert "already decided" in result.output


def test_a_decision_bound_to_stale_content_is_refused(env):
    """--sha256 must match the proposal as it is now."""
    store, _ = _bottle(env)
    proposal = store.submit("demo", sample_request("capability-block"))
    result = bb(env, "approve", proposal.id, "--sha256", "0" * 64)
    assert result.exit_code == 1
    assert "changed since" in result.output


@pytest.fixture
def egress_container():
    """A real container labelled as bottle <slug>'s egress service, recording SIGHUPs."""
    slug = f"t{secrets.token_hex(4)}"
    started = subprocess.run(
        [
            "docker",
            "run",
            "-d",
            "--rm",
            "--network",
            "none",
            "--label",
            f"com.docker.compose.project=bb-{slug}",
            "--label",
            "com.docker.compose.service=egress",
            "debian:trixie-slim",
            "sh",
            "-c",
            'trap "echo hup >> /tmp/hups" HUP; while true; do sleep 0.1; done',
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    container = started.stdout.strip()
    yield slug, container
    subprocess.run(["docker", "rm", "-f", container], capture_output=True, check=False, timeout=60)


def _hups(container: str) -> int:
    done = subprocess.run(
        ["docker", "exec", container, "sh", "-c", "cat /tmp/hups 2>/dev/null || true"],
        capture_output=True,
        text=True,
        check=False,
        timeout=30,
    )
    return done.stdout.count("hup")


@pytest.mark.docker
def test_approving_egress_allow_writes_the_route_and_signals_the_real_egress_container(
    env, egress_container
):
    """The routes file gains the route and the labelled container receives SIGHUP."""
    slug, container = egress_container
    store, key = _bottle(env, slug)
    proposal = store.submit(slug, sample_request("egress-allow"))
    result = bb(env, "approve", proposal.id, "--reason", "deps")
    assert result.exit_code == 0, result.output
    routes = parse_routes(routes_file(slug, env).read_text(encoding="utf-8"))
    assert [r.host for r in routes.routes] == ["api.github.com", "pypi.org"]
    deadline = time.monotonic() + 10
    while _hups(container) < 1:
        assert time.monotonic() < deadline, "the container never saw SIGHUP"
    assert store.claim(proposal, key).decision.kind == "approve"


@pytest.mark.docker
def test_when_no_egress_container_runs_the_approval_is_refused_and_routes_stay(env):
    """Fail closed: no reload possible, no routes change, no response."""
    store, key = _bottle(env, "nobody-runs-this")
    proposal = store.submit("nobody-runs-this", sample_request("egress-allow"))
    result = bb(env, "approve", proposal.id)
    assert result.exit_code == 1
    assert "cannot find the running egress container" in result.output
    assert routes_file("nobody-runs-this", env).read_text(encoding="utf-8") == ROUTES
    assert store.claim(proposal, key) is None


def test_a_proposal_naming_another_bottle_is_not_listed_or_decidable(env):
    """It would be decided with the wrong bottle's key and routes, so it is ignored."""
    store, _ = _bottle(env, "one")
    stray = store.submit("other", sample_request("capability-block"))
    assert bb(env, "list").stdout.strip() == "no pending proposals"
    assert bb(env, "approve", stray.id).exit_code == 3


def test_without_the_bottles_key_nothing_is_decided(env):
    """A missing approval key is a clear refusal (exit 1), not a crash or an unsigned file."""
    store, key = _bottle(env)
    proposal = store.submit("demo", sample_request("capability-block"))
    approval_key_file("demo", env).unlink()
    result = bb(env, "approve", proposal.id)
    assert result.exit_code == 1
    assert "cannot read approval key" in result.output
    assert store.claim(proposal, key) is None


def test_a_unique_prefix_decides_and_an_ambiguous_one_lists_the_candidates(env):
    """Ids may be shortened to any unique start; a shared start is refused naming both."""
    store, _ = _bottle(env)
    first = store.submit("demo", sample_request("capability-block"))
    second = store.submit("demo", sample_request("capability-block"))
    common = 0
    while first.id[common] == second.id[common]:
        common += 1
    if common:
        result = bb(env, "show", first.id[:common])
        assert result.exit_code == 3
        assert first.id in result.output
        assert second.id in result.output
        assert "give more characters" in result.output
    result = bb(env, "reject", first.id[: common + 1], "--reason", "no", "--json")
    assert result.exit_code == 0, result.output
    decided = json.loads(result.stdout)
    assert (decided["id"], decided["bottle"], decided["decision"]["kind"]) == (
        first.id,
        "demo",
        "reject",
    )


def test_list_has_a_header(env):
    """`bb queue list` names its columns."""
    store, _ = _bottle(env)
    store.submit("demo", sample_request("capability-block"))
    header = bb(env, "list").output.splitlines()[0]
    assert header.split() == ["ID", "BOTTLE", "STATUS", "DOMAIN", "SUMMARY"]


def test_the_random_tail_of_an_id_is_enough(env):
    """Ids are KIND-TIME-RANDOM: the end is the short, unique handle."""
    store, _ = _bottle(env)
    proposal = store.submit("demo", sample_request("capability-block"))
    result = bb(env, "show", proposal.id[-8:])
    assert result.exit_code == 0, result.output
    assert proposal.id in result.output

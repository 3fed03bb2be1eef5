"""``bb queue`` and a look-alike host: the registrable domain in every listing, the full host
wherever the operator decides (a real queue directory; a real container for the reload)."""

from __future__ import annotations

import json
import re
import secrets
import subprocess

import pytest
from typer.testing import CliRunner

from bb_cli.app import app
from bb_protocol.paths import approval_key_file, queue_dir, routes_file
from bb_protocol.queue import ApprovalKey, EgressAllowRequest, QueueStore
from bb_protocol.routes import Route, parse_routes
from bb_protocol.testing import sample_request

LOOKALIKE = "api.github.com." + ".".join(["a" * 63] * 3) + "." + "b" * 24 + ".evil.example"
"""244 characters, every label valid, registrable domain evil.example."""


@pytest.fixture
def env(tmp_path):
    return {"BOT_BOTTLE_STATE_DIR": str(tmp_path / "state")}


def _bottle(env, slug="demo"):
    store = QueueStore(queue_dir(slug, env)).ensure()
    key = ApprovalKey.create_file(approval_key_file(slug, env))
    path = routes_file(slug, env)
    path.parent.mkdir(parents=True)
    path.write_text("version: 1\nroutes: []\n", encoding="utf-8")
    return store, key


def bb(env, *args):
    return CliRunner().invoke(app, ["queue", *args], env=env)


def _lookalike(store, slug="demo"):
    request = EgressAllowRequest(route=Route(host=LOOKALIKE), justification="the GitHub API")
    return store.submit(slug, request)


def test_list_shows_the_registrable_domain_of_a_lookalike_before_the_summary(env):
    """The line reads evil.example first; the host in the summary is cut on its left."""
    store, _ = _bottle(env)
    proposal = _lookalike(store)
    result = bb(env, "list")
    assert result.exit_code == 0, result.output
    [header, line] = result.output.splitlines()
    assert header.split() == ["ID", "BOTTLE", "STATUS", "DOMAIN", "SUMMARY"]
    columns = re.split(r" {2,}", line)
    assert columns[:4] == [proposal.id, "demo", "pending", "evil.example"]
    assert "api.github.com" not in line
    assert ".evil.example:443" in columns[4]
    assert len(line) < 200


def test_list_shows_a_dash_for_kinds_without_a_host(env):
    """A capability or gitleaks proposal has no destination: '-' in the domain column."""
    store, _ = _bottle(env)
    store.submit("demo", sample_request("capability-block"))
    [_, line] = bb(env, "list").output.splitlines()
    assert re.split(r" {2,}", line)[3] == "-"


def test_list_json_carries_the_registrable_domain_and_the_full_host(env):
    """--json: registrable_domain, a destination object, and the raw request, uncut."""
    store, _ = _bottle(env)
    _lookalike(store)
    store.submit("demo", sample_request("capability-block"))
    rows = json.loads(bb(env, "list", "--json").output)
    by_kind = {row["kind"]: row for row in rows}
    allow = by_kind["egress-allow"]
    assert allow["registrable_domain"] == "evil.example"
    assert allow["destination"]["host"] == LOOKALIKE
    assert allow["request"]["route"]["host"] == LOOKALIKE
    assert by_kind["capability-block"]["registrable_domain"] is None
    assert by_kind["capability-block"]["destination"] is None


def test_show_prints_the_full_host_and_its_registrable_domain(env):
    """bb queue show: all 244 characters, and the domain that owns them."""
    store, _ = _bottle(env)
    proposal = _lookalike(store)
    result = bb(env, "show", proposal.id)
    assert result.exit_code == 0, result.output
    assert f"host: {LOOKALIKE}" in result.output
    assert "registrable_domain: evil.example" in result.output


def test_show_names_a_mixed_script_host_in_punycode_decoded_and_warned(env):
    """A Cyrillic '\u0430' in paypal.com: punycode applied, decoded shown, mixed scripts named."""
    store, _ = _bottle(env)
    proposal = store.submit("demo", EgressAllowRequest(route=Route(host="login.p\u0430ypal.com")))
    out = bb(env, "show", proposal.id).output
    assert "registrable_domain: xn--pypal-4ve.com" in out
    assert "decoded: login.p\u0430ypal.com" in out
    assert "mixes scripts (CYRILLIC, LATIN)" in out


def test_the_reject_confirmation_names_the_full_host_and_its_registrable_domain(env):
    """What was decided is printed whole, after the decision."""
    store, _ = _bottle(env)
    proposal = _lookalike(store)
    result = bb(env, "reject", proposal.id, "--reason", "look-alike")
    assert result.exit_code == 0, result.output
    assert f"reject: {proposal.id}" in result.output
    assert "registrable domain: evil.example" in result.output
    assert f"full host: {LOOKALIKE}" in result.output


@pytest.fixture
def egress_container():
    """A real container labelled as bottle <slug>'s egress service (the reload target)."""
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
            'trap "" HUP; while true; do sleep 0.1; done',
        ],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    )
    container = started.stdout.strip()
    yield slug
    subprocess.run(["docker", "rm", "-f", container], capture_output=True, check=False, timeout=60)


@pytest.mark.docker
def test_the_approve_confirmation_names_the_full_host_and_its_registrable_domain(
    env, egress_container
):
    """Approving the look-alike writes its route and says, uncut, which domain was allowed."""
    slug = egress_container
    store, _ = _bottle(env, slug)
    proposal = _lookalike(store, slug)
    result = bb(env, "approve", proposal.id)
    assert result.exit_code == 0, result.output
    assert "registrable domain: evil.example" in result.output
    assert f"full host: {LOOKALIKE}" in result.output
    routes = parse_routes(routes_file(slug, env).read_text(encoding="utf-8"))
    assert [r.host for r in routes.routes] == [LOOKALIKE]

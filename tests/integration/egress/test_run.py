"""``bb-egress run`` as the image runs it: a real process, files, signals and ports."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from tests.integration.egress.conftest import Origin

SECRET = "zq7XkP2mVb9LrT4wN8cHs3JdF6gY1uEa"
TOKEN = "introspection-test-token"
PROXY_HOST = "127.0.0.2"
"""The proxy listens here: its own address is never a destination, and the origin is 127.0.0.1."""


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _until(predicate, what: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _listening(port: int, host: str = "127.0.0.1") -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


@dataclass
class Running:
    process: subprocess.Popen[bytes]
    port: int
    admin: int
    routes: Path
    audit: Path
    ca_cert: Path


@contextlib.contextmanager
def _start(tmp_path: Path, routes_text: str, extra_env: dict[str, str]) -> Iterator[Running]:
    """Run ``python -m bb_egress.proxy_main`` with every path the image uses, on loopback."""
    routes = tmp_path / "routes" / "routes.yaml"
    routes.parent.mkdir()
    routes.write_text(routes_text)
    port, admin = _free_port(), _free_port()
    env = {
        **os.environ,
        "BOT_BOTTLE_ROUTES_FILE": str(routes),
        "BOT_BOTTLE_AUDIT_LOG": str(tmp_path / "log" / "audit.jsonl"),
        "BOT_BOTTLE_EGRESS_CA_CERT": str(tmp_path / "export" / "ca.pem"),
        "BOT_BOTTLE_EGRESS_INTROSPECTION_LISTEN": f"127.0.0.1:{admin}",
        "BOT_BOTTLE_EGRESS_INTROSPECTION_TOKEN": TOKEN,
        "BOT_BOTTLE_SLUG": "run-test",
        "EGRESS_TOKEN_UPLOAD": SECRET,
        **extra_env,
    }
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "bb_egress.proxy_main",
            "--listen-host",
            PROXY_HOST,
            "--listen-port",
            str(port),
            "--confdir",
            str(tmp_path / "confdir"),
            "--resolve",
            "origin.test=127.0.0.1",
            "--allow-destination",
            "127.0.0.1/32",
            "--reload-interval",
            "0.2",
        ],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        _until(
            lambda: _listening(port, PROXY_HOST) and _listening(admin), "the proxy and admin ports"
        )
        yield Running(
            process,
            port,
            admin,
            routes,
            tmp_path / "log" / "audit.jsonl",
            tmp_path / "export" / "ca.pem",
        )
    finally:
        process.terminate()
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)


@pytest.fixture
def running(tmp_path: Path, origin: Origin) -> Iterator[Running]:
    """The proxy with one block-policy route to the origin."""
    routes = (
        f"routes:\n  - host: origin.test\n    scheme: http\n    port: {origin.port}\n"
        "    outbound_on_match: block\n"
    )
    with _start(tmp_path, routes, {}) as proc:
        yield proc


def _admin(running: Running, path: str, token: str | None = TOKEN) -> tuple[int, bytes]:
    request = urllib.request.Request(f"http://127.0.0.1:{running.admin}{path}")
    if token:
        request.add_header("Authorization", f"Bearer {token}")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read()


def _post(running: Running, url: str, body: bytes) -> bytes:
    host = url.split("/")[2]
    raw = (
        f"POST {url} HTTP/1.1\r\nHost: {host}\r\nContent-Length: {len(body)}\r\n\r\n".encode()
        + body
    )
    with socket.create_connection((PROXY_HOST, running.port), timeout=10) as s:
        s.sendall(raw)
        data = b""
        while b"\r\n\r\n" not in data or not data.endswith((b"hello", b"\n", b"}")):
            chunk = s.recv(65536)
            if not chunk:
                break
            data += chunk
    return data


def test_the_ca_certificate_is_exported_without_its_key(running: Running) -> None:
    """The launcher copies a public certificate; no private key ever leaves the confdir."""
    _until(running.ca_cert.exists, "the exported CA certificate")
    text = running.ca_cert.read_text()
    assert "BEGIN CERTIFICATE" in text
    assert "PRIVATE KEY" not in text


def test_health_and_routes_are_served_on_the_admin_port(running: Running) -> None:
    """/healthz needs no token; /routes needs it and returns the routes-file schema."""
    status, body = _admin(running, "/healthz", token=None)
    assert status == 200
    assert json.loads(body)["routes"] == 1
    assert _admin(running, "/routes", token=None)[0] == 401
    status, body = _admin(running, "/routes")
    assert status == 200
    assert b"origin.test" in body


def test_requests_are_forwarded_scanned_and_audited(running: Running, origin: Origin) -> None:
    """A clean POST reaches the origin; one carrying a known secret is refused (block)."""
    url = f"http://origin.test:{origin.port}/upload"
    assert _post(running, url, b"just text").startswith(b"HTTP/1.1 200")
    refused = _post(running, url, f"key={SECRET}".encode())
    assert refused.startswith(b"HTTP/1.1 403")
    assert SECRET.encode() not in refused
    assert len(origin.seen) == 1
    lines = [json.loads(x) for x in running.audit.read_text().splitlines()]
    assert [line["decision"] for line in lines][-2:] == ["allow", "deny"]
    assert SECRET not in running.audit.read_text()


def test_sighup_reloads_and_a_bad_file_keeps_the_old_routes(running: Running) -> None:
    """A broken file is rejected (health shows the error); a good one is taken on SIGHUP."""
    running.routes.write_text("routes: [{host: 10.0.0.1}]\n")
    running.process.send_signal(signal.SIGHUP)
    _until(
        lambda: json.loads(_admin(running, "/healthz")[1])["last_error"] is not None, "rejection"
    )
    assert json.loads(_admin(running, "/healthz")[1])["routes"] == 1
    tmp = running.routes.with_name("next.yaml")
    tmp.write_text("routes:\n  - host: a.example.com\n  - host: b.example.com\n")
    tmp.replace(running.routes)
    running.process.send_signal(signal.SIGHUP)
    _until(lambda: json.loads(_admin(running, "/healthz")[1])["routes"] == 2, "the new routes")


def test_a_gzip_body_carrying_a_secret_is_refused(running: Running, origin: Origin) -> None:
    """The engine decodes Content-Encoding itself; compression hides nothing."""
    import gzip

    body = gzip.compress(f"payload {SECRET} end".encode())
    host = f"origin.test:{origin.port}"
    raw = (
        f"POST http://{host}/upload HTTP/1.1\r\nHost: {host}\r\nContent-Encoding: gzip\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    with socket.create_connection((PROXY_HOST, running.port), timeout=10) as s:
        s.sendall(raw)
        answer = s.recv(65536)
    assert answer.startswith(b"HTTP/1.1 403")
    assert origin.seen == []


def test_supervise_holds_the_request_until_the_operator_decides(
    tmp_path: Path, origin: Origin
) -> None:
    """A secret on a supervise route waits for a signed decision in the queue; approve sends it,
    the approved value is remembered, and a rejection refuses."""
    from concurrent.futures import ThreadPoolExecutor

    from bb_protocol.queue import ApprovalKey, Approve, QueueStore, Reject

    key_file = tmp_path / "approval.key"
    key = ApprovalKey.create_file(key_file)
    store = QueueStore(tmp_path / "queue").ensure()
    routes = f"routes:\n  - host: origin.test\n    scheme: http\n    port: {origin.port}\n"
    env = {
        "BOT_BOTTLE_QUEUE_DIR": str(store.root),
        "BOT_BOTTLE_APPROVAL_KEY_FILE": str(key_file),
        "EGRESS_TOKEN_ALLOW_TIMEOUT_SECONDS": "20",
        "EGRESS_TOKEN_OTHER": "Yk3PqW8zRt2LmX6vBn9JcD4sHf7GaU1e",
    }
    url = f"http://origin.test:{origin.port}/upload"
    with _start(tmp_path, routes, env) as proc, ThreadPoolExecutor(2) as pool:

        def decide(decision: Approve | Reject) -> None:
            _until(lambda: bool(store.pending()), "a proposal in the queue")
            entry = store.pending()[0]
            assert entry.proposal.request.kind == "egress-token-allow"
            assert SECRET not in entry.proposal.model_dump_json()
            store.decide(entry.proposal.id, decision, key, decided_by="op@host")

        held = pool.submit(_post, proc, url, f"key={SECRET}".encode())
        decide(Approve(reason="the upload needs it"))
        assert held.result(30).startswith(b"HTTP/1.1 200")
        assert _post(proc, url, f"again={SECRET}".encode()).startswith(b"HTTP/1.1 200")
        assert len(store.archived()) == 1

        held = pool.submit(_post, proc, url, f"k={env['EGRESS_TOKEN_OTHER']}".encode())
        decide(Reject(reason="not this one"))
        assert held.result(30).startswith(b"HTTP/1.1 403")
    outcomes = sorted(r.outcome for r in store.archived())
    assert outcomes == ["approved", "rejected"]
    assert len(origin.seen) == 2

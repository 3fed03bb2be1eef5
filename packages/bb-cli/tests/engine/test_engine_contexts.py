"""The SDK client follows the endpoint the ``docker`` CLI would use: DOCKER_HOST, else
DOCKER_CONTEXT, else config.json's ``currentContext``, else the default socket.

The CLI calls of the seam inherit the environment and so honour ``docker context use``; if
the SDK client did not, one ``bb start`` would talk to two engines. No engine is needed: a
context points at a unix socket served by a small HTTP answerer in the test.
"""

from __future__ import annotations

import hashlib
import http.server
import json
import shutil
import socketserver
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pytest

from bb_cli.engine import DockerEngine, DockerUnreachableError
from bb_cli.engine.docker_engine import DEFAULT_SOCKET, resolve_endpoint

FAKE_VERSION = "99.0.0-context-test"


class _Answerer(http.server.BaseHTTPRequestHandler):
    """Just enough of the Engine API: ``/_ping`` and ``/version``; records each path."""

    seen: ClassVar[list[str]] = []

    def do_GET(self) -> None:
        type(self).seen.append(self.path)
        if self.path.endswith("/_ping"):
            body, kind = b"OK", "text/plain"
        elif self.path.endswith("/version"):
            body, kind = json.dumps({"Version": FAKE_VERSION}).encode(), "application/json"
        else:
            self.send_error(404)
            return
        self.send_response(200)
        self.send_header("Content-Type", kind)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        """Quiet (and a unix peer has no address to print)."""

    def address_string(self) -> str:
        return "unix"


@pytest.fixture
def engine_socket(tmp_path: Path) -> Iterator[tuple[Path, list[str]]]:
    """(a unix socket that answers like an engine, the request paths it saw)."""
    path = tmp_path / "engine.sock"
    seen: ClassVar[list[str]] = []
    handler = type("Answerer", (_Answerer,), {"seen": seen})
    server = socketserver.ThreadingUnixStreamServer(str(path), handler)
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    )
    thread.start()
    try:
        yield path, seen
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def _context(config: Path, name: str, endpoint: dict[str, object]) -> Path:
    """Write a context the way ``docker context create`` lays it out; its TLS directory."""
    key = hashlib.sha256(name.encode()).hexdigest()
    meta = config / "contexts" / "meta" / key
    meta.mkdir(parents=True)
    document = {"Name": name, "Metadata": {}, "Endpoints": {"docker": endpoint}}
    (meta / "meta.json").write_text(json.dumps(document))
    return config / "contexts" / "tls" / key / "docker"


@pytest.fixture
def docker_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty DOCKER_CONFIG, and no DOCKER_HOST or DOCKER_CONTEXT from the caller."""
    config = tmp_path / "docker-config"
    config.mkdir()
    monkeypatch.setenv("DOCKER_CONFIG", str(config))
    monkeypatch.delenv("DOCKER_HOST", raising=False)
    monkeypatch.delenv("DOCKER_CONTEXT", raising=False)
    monkeypatch.delenv("DOCKER_TLS_VERIFY", raising=False)
    monkeypatch.delenv("DOCKER_CERT_PATH", raising=False)
    return config


def test_the_sdk_client_talks_to_the_current_context_of_config_json(
    docker_config: Path, engine_socket: tuple[Path, list[str]]
) -> None:
    """``docker context use other`` (currentContext) moves the SDK's calls to that socket."""
    socket_path, seen = engine_socket
    _context(docker_config, "other", {"Host": f"unix://{socket_path}", "SkipTLSVerify": False})
    (docker_config / "config.json").write_text(json.dumps({"currentContext": "other"}))
    engine = DockerEngine()
    assert engine.problem(timeout=10) is None
    assert engine.server_version() == FAKE_VERSION
    assert [p.rsplit("/", 1)[-1] for p in seen] == ["_ping", "version"]


def test_docker_context_in_the_environment_wins_over_config_json(
    docker_config: Path, engine_socket: tuple[Path, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DOCKER_CONTEXT names the context, as for ``docker``; currentContext is passed over."""
    socket_path, _ = engine_socket
    _context(docker_config, "chosen", {"Host": f"unix://{socket_path}"})
    _context(docker_config, "stale", {"Host": "unix:///nonexistent/stale.sock"})
    (docker_config / "config.json").write_text(json.dumps({"currentContext": "stale"}))
    monkeypatch.setenv("DOCKER_CONTEXT", "chosen")
    endpoint = resolve_endpoint({"DOCKER_CONFIG": str(docker_config), "DOCKER_CONTEXT": "chosen"})
    assert endpoint is not None
    assert endpoint.base_url == f"unix://{socket_path}"
    assert DockerEngine().server_version() == FAKE_VERSION


def test_docker_host_wins_over_every_context(
    docker_config: Path, engine_socket: tuple[Path, list[str]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """DOCKER_HOST set: the contexts are not read (the CLI's order), and messages name it."""
    socket_path, seen = engine_socket
    _context(docker_config, "other", {"Host": "unix:///nonexistent/other.sock"})
    (docker_config / "config.json").write_text(json.dumps({"currentContext": "other"}))
    monkeypatch.setenv("DOCKER_CONTEXT", "other")
    monkeypatch.setenv("DOCKER_HOST", f"unix://{socket_path}")
    assert resolve_endpoint({"DOCKER_HOST": f"unix://{socket_path}"}) is None
    assert DockerEngine().problem(timeout=10) is None
    assert seen


def test_no_context_anywhere_is_the_default_socket(docker_config: Path) -> None:
    """No config.json, no variables: the default socket, as for ``docker``."""
    endpoint = resolve_endpoint({"DOCKER_CONFIG": str(docker_config)})
    assert endpoint is not None
    assert (endpoint.base_url, endpoint.tls) == (DEFAULT_SOCKET, False)
    named = resolve_endpoint({"DOCKER_CONFIG": str(docker_config), "DOCKER_CONTEXT": "default"})
    assert named is not None
    assert named.base_url == DEFAULT_SOCKET


def test_a_missing_context_is_an_error_naming_it_never_the_default_socket(
    docker_config: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Fail closed: a context that is named but absent is exit 4 with its name, for every call."""
    monkeypatch.setenv("DOCKER_CONTEXT", "gone")
    with pytest.raises(DockerUnreachableError) as caught:
        DockerEngine().info()
    assert "Docker context 'gone' (from DOCKER_CONTEXT) does not exist" in caught.value.stderr
    problem = DockerEngine().problem(timeout=5)
    assert problem is not None
    assert "'gone'" in problem
    assert "\n" not in problem


def test_a_current_context_missing_from_disk_names_config_json(docker_config: Path) -> None:
    """currentContext naming a deleted context: the error says where the name came from."""
    (docker_config / "config.json").write_text(json.dumps({"currentContext": "deleted"}))
    with pytest.raises(DockerUnreachableError) as caught:
        resolve_endpoint({"DOCKER_CONFIG": str(docker_config)})
    assert "'deleted'" in caught.value.stderr
    assert str(docker_config / "config.json") in caught.value.stderr


@pytest.mark.parametrize("text", ["{not json", '{"Endpoints": {}}', "[]"])
def test_an_unreadable_context_is_an_error(docker_config: Path, text: str) -> None:
    """A corrupt meta.json is refused with its path, not read as the default socket."""
    _context(docker_config, "broken", {"Host": "unix:///x.sock"})
    key = hashlib.sha256(b"broken").hexdigest()
    meta_file = docker_config / "contexts" / "meta" / key / "meta.json"
    meta_file.write_text(text)
    with pytest.raises(DockerUnreachableError) as caught:
        resolve_endpoint({"DOCKER_CONFIG": str(docker_config), "DOCKER_CONTEXT": "broken"})
    assert str(meta_file) in caught.value.stderr


def test_a_corrupt_config_json_is_an_error(docker_config: Path) -> None:
    """The docker CLI refuses a config.json that is not JSON; so does the seam."""
    (docker_config / "config.json").write_text("{")
    with pytest.raises(DockerUnreachableError, match="is not JSON"):
        resolve_endpoint({"DOCKER_CONFIG": str(docker_config)})


def test_a_tls_context_gives_the_sdk_its_certificates_and_https(docker_config: Path) -> None:
    """ca.pem, cert.pem and key.pem of the context's TLS directory; https to a tcp host."""
    tls = _context(docker_config, "remote", {"Host": "tcp://127.0.0.1:1", "SkipTLSVerify": False})
    tls.mkdir(parents=True)
    for name in ("ca.pem", "cert.pem", "key.pem"):
        (tls / name).write_text("not a real certificate; the client is only built\n")
    endpoint = resolve_endpoint({"DOCKER_CONFIG": str(docker_config), "DOCKER_CONTEXT": "remote"})
    assert endpoint is not None
    assert endpoint.tls
    assert endpoint.verify
    assert endpoint.ca_cert == str(tls / "ca.pem")
    assert endpoint.client_cert == (str(tls / "cert.pem"), str(tls / "key.pem"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("DOCKER_CONTEXT", "remote")
        with DockerEngine()._api("probe") as api:
            assert api.base_url == "https://127.0.0.1:1"
            assert api.verify == str(tls / "ca.pem")
            assert api.cert == (str(tls / "cert.pem"), str(tls / "key.pem"))


def test_skip_tls_verify_turns_verification_off(docker_config: Path) -> None:
    """``docker context create --docker host=...,skip-tls-verify=true``: TLS without verify."""
    _context(docker_config, "lax", {"Host": "tcp://127.0.0.1:1", "SkipTLSVerify": True})
    endpoint = resolve_endpoint({"DOCKER_CONFIG": str(docker_config), "DOCKER_CONTEXT": "lax"})
    assert endpoint is not None
    assert (endpoint.tls, endpoint.verify) == (True, False)


@pytest.mark.skipif(shutil.which("docker") is None, reason="needs the docker CLI (no engine)")
def test_a_context_made_by_the_docker_cli_is_the_one_the_sdk_uses(
    docker_config: Path, engine_socket: tuple[Path, list[str]]
) -> None:
    """The real ``docker context create`` and ``use`` (no engine needed): same socket here."""
    socket_path, seen = engine_socket
    env = {"DOCKER_CONFIG": str(docker_config), "PATH": "/usr/bin:/bin:/usr/local/bin"}
    for argv in (
        ["context", "create", "made", "--docker", f"host=unix://{socket_path}"],
        ["context", "use", "made"],
    ):
        subprocess.run(["docker", *argv], env=env, check=True, capture_output=True, timeout=60)
    endpoint = resolve_endpoint({"DOCKER_CONFIG": str(docker_config)})
    assert endpoint is not None
    assert endpoint.base_url == f"unix://{socket_path}"
    assert "'made'" in endpoint.where
    assert DockerEngine().server_version() == FAKE_VERSION
    assert seen

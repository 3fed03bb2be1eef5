"""Git smart HTTP for the agent: each request handed to ``git http-backend`` (CGI).

Only the smart protocol's four endpoints per configured repo are served, plus
``GET /healthz``; everything else is 404 (no dumb HTTP, no repo outside the config, no
path the agent can aim at the filesystem). Before advertising refs the gate fetches
upstream into its mirror, so the agent clones and fetches what upstream has.
``git http-backend`` runs with the scrubbed environment of `bb_gitgate.gitenv`, with
``core.hooksPath`` set to the gate's hook directory, so receive-pack's pre-receive is
always `bb_gitgate.hook`.

Concurrency: one thread per request. Pushes to one repo are serialised by a per-repo
lock (a push can be held for minutes while the operator decides); an upstream sync that
finds the lock taken serves the mirror as it is rather than waiting.
"""

from __future__ import annotations

import contextlib
import io
import os
import re
import subprocess
import sys
import threading
from collections.abc import Iterable, Mapping
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import IO, Final
from urllib.parse import urlsplit

from bb_dlp import precompile_static
from bb_dlp.catalogue import DEFAULT_CONFIDENCE, precompile_rules
from bb_dlp.multimatch import CACHE_DIR_VAR
from bb_gitgate import git
from bb_gitgate.dlp import config_from_hook_env, hook_env
from bb_gitgate.errors import GitError
from bb_gitgate.gitenv import git_env
from bb_gitgate.hook import ENV_CONFIG, ENV_LOG_FD, ENV_REPO
from bb_protocol.gitgate import REPO_NAME_PATTERN, GateConfig, RepoConfig
from bb_protocol.logging import get_logger

__all__ = ["GateServer", "make_server", "route"]

_LOG = get_logger("bb-gitgate")
_PATH: Final = re.compile(
    rf"/(?P<repo>{REPO_NAME_PATTERN})\.git"
    r"/(?P<endpoint>info/refs|git-upload-pack|git-receive-pack)"
)
_SERVICES: Final = ("git-upload-pack", "git-receive-pack")
_GIT_PROTOCOL: Final = re.compile(r"version=[012]")
_CHUNK: Final = 64 * 1024


def route(path: str, query: str, method: str) -> tuple[str, str] | None:
    """Map a request to ``(repo name, service)``, or None when it is not a smart endpoint."""
    match = _PATH.fullmatch(path)
    if match is None:
        return None
    endpoint = match["endpoint"]
    if endpoint == "info/refs":
        service = query.removeprefix("service=") if query.startswith("service=") else ""
        if method != "GET" or service not in _SERVICES:
            return None
        return match["repo"], service
    if method != "POST":
        return None
    return match["repo"], endpoint


class GateServer(ThreadingHTTPServer):
    """The HTTP server, holding the config and what every request handler shares."""

    daemon_threads = True

    def __init__(
        self,
        config: GateConfig,
        config_path: Path,
        hooks: Path,
        secrets_env: Mapping[str, str] | None = None,
    ) -> None:
        self.config = config
        self.config_path = config_path
        self.hooks = hooks
        self.secrets_env = dict(secrets_env or {})
        """The bottle's secrets for the hook's DLP pass (`bb_gitgate.dlp.hook_env`)."""
        self.locks = {repo.name: threading.Lock() for repo in config.repos}
        self.log_fd = os.dup(2)
        super().__init__((config.listen_host, config.listen_port), _Handler)

    def server_close(self) -> None:
        """Close the socket and the duplicated log descriptor."""
        super().server_close()
        os.close(self.log_fd)

    def sync(self, repo: RepoConfig, *, wait: float) -> None:
        """Fetch upstream into the mirror unless a push holds the repo for ``wait`` s."""
        lock = self.locks[repo.name]
        if not lock.acquire(timeout=wait):
            _LOG.info("mirror busy with a push; serving it unsynced", {"repo": repo.name})
            return
        try:
            git.fetch_upstream(self.config, repo)
        finally:
            lock.release()


class _Handler(BaseHTTPRequestHandler):
    server: GateServer
    server_version = "bb-gitgate"
    sys_version = ""

    def log_message(self, format: str, *args: object) -> None:
        _LOG.debug(format % args, {"client": self.client_address[0]})

    def _plain(self, status: HTTPStatus, text: str) -> None:
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:
        """Health check or a ref advertisement."""
        if self.path == "/healthz":
            self._plain(HTTPStatus.OK, "ok\n")
            return
        self._git("GET")

    def do_POST(self) -> None:
        """upload-pack (fetch) or receive-pack (push)."""
        self._git("POST")

    def _git(self, method: str) -> None:
        parts = urlsplit(self.path)
        routed = route(parts.path, parts.query, method)
        repo = self.server.config.repo(routed[0]) if routed else None
        if routed is None or repo is None:
            self._plain(
                HTTPStatus.NOT_FOUND, "not found: the gate serves only its configured repos\n"
            )
            return
        service = routed[1]
        context = {"repo": repo.name, "service": service, "method": method}
        try:
            git.ensure_mirror(self.server.config, repo)
            if method == "GET":
                self.server.sync(repo, wait=0 if service == "git-upload-pack" else 30)
        except GitError as exc:
            _LOG.error("cannot sync from upstream", {**context, "error": str(exc)})
            self._plain(HTTPStatus.BAD_GATEWAY, f"the gate cannot reach upstream: {exc}\n")
            return
        # Only what the route validated reaches the CGI: never the agent's raw query string.
        query = f"service={service}" if method == "GET" else ""
        if method == "POST" and service == "git-receive-pack":
            with self.server.locks[repo.name]:
                self._backend(repo, parts.path, query, method)
        else:
            self._backend(repo, parts.path, query, method)

    def _cgi_env(self, repo: RepoConfig, path: str, query: str, method: str) -> dict[str, str]:
        config = self.server.config
        extra = {
            "GIT_PROJECT_ROOT": str(config.state_dir / "repos"),
            "GIT_HTTP_EXPORT_ALL": "1",
            "PATH_INFO": path,
            "QUERY_STRING": query,
            "REQUEST_METHOD": method,
            "REMOTE_USER": "agent",
            "REMOTE_ADDR": self.client_address[0],
            "CONTENT_TYPE": self.headers.get("Content-Type", ""),
            ENV_CONFIG: str(self.server.config_path),
            ENV_REPO: repo.name,
            ENV_LOG_FD: str(self.server.log_fd),
            **self.server.secrets_env,
        }
        length = self.headers.get("Content-Length")
        if length is not None:
            extra["CONTENT_LENGTH"] = length
        encoding = self.headers.get("Content-Encoding")
        if encoding:
            extra["HTTP_CONTENT_ENCODING"] = encoding
        protocol = self.headers.get("Git-Protocol", "")
        if _GIT_PROTOCOL.fullmatch(protocol):
            extra["GIT_PROTOCOL"] = protocol
        encoding = extra.get("HTTP_CONTENT_ENCODING", "")
        if encoding and encoding not in ("gzip", "x-gzip"):
            del extra["HTTP_CONTENT_ENCODING"]
        return git_env(config.state_dir, hooks_path=self.server.hooks, extra=extra)

    def _backend(self, repo: RepoConfig, path: str, query: str, method: str) -> None:
        env = self._cgi_env(repo, path, query, method)
        proc = subprocess.Popen(
            ["git", "http-backend"],
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=None,
            pass_fds=(self.server.log_fd,),
        )
        assert proc.stdin is not None
        assert proc.stdout is not None
        feeder = threading.Thread(target=self._feed, args=(proc.stdin, proc), daemon=True)
        feeder.start()
        try:
            self._relay(proc.stdout)
        finally:
            feeder.join(timeout=self.server.config.git_timeout_seconds)
            if proc.poll() is None:
                proc.kill()
            proc.wait()

    def _feed(self, sink: IO[bytes], proc: subprocess.Popen[bytes]) -> None:
        """Copy the request body (plain or chunked) into http-backend, bounded in size."""
        limit = self.server.config.max_push_bytes
        sent = 0
        try:
            for chunk in self._body():
                sent += len(chunk)
                if sent > limit:
                    _LOG.warn("request body too large; aborted", {"limit": limit})
                    proc.kill()
                    return
                sink.write(chunk)
        except (BrokenPipeError, ConnectionError, ValueError):
            proc.kill()
        finally:
            with contextlib.suppress(BrokenPipeError):
                sink.close()

    def _body(self) -> Iterable[bytes]:
        if self.command != "POST":
            return []
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            return _Chunks(self.rfile)
        length = int(self.headers.get("Content-Length", "0") or 0)
        return _Fixed(self.rfile, length)

    def _relay(self, out: IO[bytes]) -> None:
        """Translate the CGI response's headers into HTTP and stream its body as it comes."""
        status = HTTPStatus.OK
        headers: list[tuple[str, str]] = []
        while True:
            line = out.readline()
            if not line:
                _LOG.error("git http-backend ended without a response")
                self._plain(HTTPStatus.BAD_GATEWAY, "the gate's git backend failed\n")
                return
            if line in (b"\r\n", b"\n"):
                break
            name, _, value = line.decode("latin-1").partition(":")
            value = value.strip()
            if name.lower() == "status":
                status = HTTPStatus(int(value.split()[0]))
            else:
                headers.append((name.strip(), value))
        self.send_response(status)
        for name, value in headers:
            self.send_header(name, value)
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.flush()
        while chunk := out.read1(_CHUNK):  # type: ignore[attr-defined]
            self.wfile.write(chunk)
            self.wfile.flush()


class _Fixed:
    """Iterate a body of known length."""

    def __init__(self, stream: io.BufferedIOBase, length: int) -> None:
        self._stream = stream
        self._left = length

    def __iter__(self) -> _Fixed:
        return self

    def __next__(self) -> bytes:
        if self._left <= 0:
            raise StopIteration
        chunk = self._stream.read(min(_CHUNK, self._left))
        if not chunk:
            raise ValueError("client closed the connection mid-body")
        self._left -= len(chunk)
        return chunk


class _Chunks:
    """Iterate the decoded chunks of a ``Transfer-Encoding: chunked`` body."""

    def __init__(self, stream: io.BufferedIOBase) -> None:
        self._stream = stream
        self._done = False

    def __iter__(self) -> _Chunks:
        return self

    def __next__(self) -> bytes:
        if self._done:
            raise StopIteration
        size_line = self._stream.readline(1024)
        size = int(size_line.split(b";")[0].strip() or b"x", 16)
        if size == 0:
            while self._stream.readline(1024) not in (b"\r\n", b"\n", b""):
                pass
            self._done = True
            raise StopIteration
        data = self._stream.read(size)
        if len(data) != size or self._stream.readline(8) not in (b"\r\n", b"\n"):
            raise ValueError("malformed chunked body")
        return data


def make_server(
    config: GateConfig, config_path: Path, environ: Mapping[str, str] | None = None
) -> GateServer:
    """Prepare the state dir and mirrors and return a bound (not yet serving) server.

    The bottle's secrets are read from ``environ`` (the process environment by default),
    checked (`ConfigError` when ``require_canary`` and the canary is missing; the engine's
    warnings are logged) and handed to every push's hook, with the directory of the engine's
    precompiled static databases (``BB_DLP_CACHE_DIR``, in the gate's state dir).
    """
    secrets_env = hook_env(os.environ if environ is None else environ)
    dlp = config_from_hook_env(secrets_env, require_canary=config.require_canary)
    for warning in dlp.warnings:
        _LOG.warn("DLP: a secret is only partly protected", {"warning": warning})
    # The hook runs once per push: it loads the engine's static databases compiled here
    # (provider rules, suspicious characters: no secret) instead of compiling them each time.
    cache = config.state_dir / "dlp-cache"
    precompile_static(cache)
    if dlp.token_confidence != DEFAULT_CONFIDENCE:  # the bottle's level, cached for the hook
        precompile_rules(cache / "kingfisher", [dlp.token_confidence])  # type: ignore[list-item]
    secrets_env[CACHE_DIR_VAR] = str(cache)
    _LOG.info("DLP pass ready", {"secrets": len(dlp.secrets)})
    hooks = git.prepare_state(config, sys.executable)
    if config.queue_dir is not None:
        from bb_gitgate.queue import recover

        recovered = recover(config.queue_dir)
        if recovered:
            _LOG.warn("archived proposals of an earlier run as interrupted", {"count": recovered})
    for repo in config.repos:
        git.ensure_mirror(config, repo)
    return GateServer(config, config_path, hooks, secrets_env)

"""FAKE Gitea and GitHub deploy-key APIs on loopback (no real forge can run here).

Each fake follows its forge's documented interface, not its implementation:

* Gitea: https://docs.gitea.com/api/1.22/#tag/repository (repoCreateKey, repoListKeys,
  repoDeleteKey). ``Authorization: token <t>``; 201 on create; **422** with
  ``{"message": "A key with the same name already exists"}`` for a reused title and
  ``{"message": "Key content has been used as non-deploy key"}`` for a reused key; 204 on
  delete; 404 ``{"message": "The target couldn't be found."}`` for unknown repos or keys;
  401 ``{"message": "token is required"}`` without a valid token.
* GitHub: https://docs.github.com/en/rest/deploy-keys/deploy-keys (2022-11-28).
  ``Authorization: Bearer <t>``; 201 on create; **422** ``{"message": "Validation Failed",
  "errors": [{"resource": "PublicKey", "code": "custom", "field": "key", "message": "key is
  already in use"}]}`` for a reused key (GitHub allows duplicate titles); 204 on delete;
  404 ``{"message": "Not Found"}``; 401 ``{"message": "Bad credentials"}``.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

TOKEN = "test-token"


@dataclass
class FakeForge:
    """Shared state of a fake forge: repos -> list of key dicts, and the requests seen."""

    flavour: str
    repos: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    requests: list[tuple[str, str, dict[str, str], Any]] = field(default_factory=list)
    next_id: int = 1
    url: str = ""

    @property
    def prefix(self) -> str:
        return "/api/v1/repos/" if self.flavour == "gitea" else "/repos/"

    def auth_ok(self, header: str) -> bool:
        scheme = "token" if self.flavour == "gitea" else "Bearer"
        return header == f"{scheme} {TOKEN}"


def _handler(forge: FakeForge) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

        def _send(self, status: int, body: Any = None) -> None:
            data = b"" if body is None else json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def _route(self) -> tuple[str, str | None] | None:
            path = self.path.split("?")[0]
            if not path.startswith(forge.prefix):
                return None
            parts = path.removeprefix(forge.prefix).split("/")
            if len(parts) not in (3, 4) or parts[2] != "keys":
                return None
            return f"{parts[0]}/{parts[1]}", parts[3] if len(parts) == 4 else None

        def _not_found(self) -> None:
            message = "The target couldn't be found." if forge.flavour == "gitea" else "Not Found"
            self._send(404, {"message": message})

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length)) if length else None
            forge.requests.append((self.command, self.path, dict(self.headers), body))
            if not forge.auth_ok(self.headers.get("Authorization", "")):
                message = "token is required" if forge.flavour == "gitea" else "Bad credentials"
                self._send(401, {"message": message})
                return
            routed = self._route()
            if routed is None or routed[0] not in forge.repos:
                self._not_found()
                return
            repo, key_id = routed
            keys = forge.repos[repo]
            if self.command == "GET" and key_id is None:
                self._send(200, keys)
            elif self.command == "POST" and key_id is None:
                self._create(keys, body)
            elif self.command == "DELETE" and key_id is not None:
                match = [k for k in keys if str(k["id"]) == key_id]
                if not match:
                    self._not_found()
                    return
                keys.remove(match[0])
                self._send(204)
            else:
                self._send(405, {"message": "Method Not Allowed"})

        def _create(self, keys: list[dict[str, Any]], body: Any) -> None:
            if any(k["key"] == body["key"] for k in keys):
                if forge.flavour == "gitea":
                    self._send(422, {"message": "Key content has been used as non-deploy key"})
                else:
                    self._send(
                        422,
                        {
                            "message": "Validation Failed",
                            "errors": [
                                {
                                    "resource": "PublicKey",
                                    "code": "custom",
                                    "field": "key",
                                    "message": "key is already in use",
                                }
                            ],
                        },
                    )
                return
            if forge.flavour == "gitea" and any(k["title"] == body["title"] for k in keys):
                self._send(422, {"message": "A key with the same name already exists"})
                return
            key = {
                "id": forge.next_id,
                "key": body["key"],
                "title": body["title"],
                "read_only": bool(body.get("read_only", True)),
                "verified": True,
            }
            forge.next_id += 1
            keys.append(key)
            self._send(201, key)

        do_GET = do_POST = do_DELETE = _handle  # noqa: N815 - http.server names

    return Handler


@pytest.fixture(params=["gitea", "github"])
def forge(request: pytest.FixtureRequest) -> Iterator[FakeForge]:
    """A fake forge (each flavour in turn) with one repo ``org/app`` and no keys."""
    state = FakeForge(flavour=request.param, repos={"org/app": []})
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)

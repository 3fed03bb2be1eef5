"""Where ``list-egress-routes`` reads the bottle's routes in force.

Two sources behind one small interface: the egress proxy's introspection endpoint (what is
actually enforced, preferred) and the routes file mounted read-only (what the host wrote;
the proxy reloads it on SIGHUP). Either way the text is parsed with the shared schema and
dumped again, so the agent sees exactly the keys it may propose.
"""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path
from typing import Final, Protocol

from bb_protocol.routes import RoutesError, RoutesFile, parse_routes
from bb_supervise.errors import RoutesUnavailableError

__all__ = ["AdminEndpointRoutes", "FileRoutes", "RoutesSource"]

_MAX_BYTES: Final = 1024 * 1024


class RoutesSource(Protocol):
    """Reads the bottle's current routes."""

    def current(self) -> RoutesFile:
        """The routes in force; raise `RoutesUnavailableError` when they cannot be read."""
        ...


class FileRoutes:
    """The routes file mounted read-only into the sidecar."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def current(self) -> RoutesFile:
        """Parse the file; a missing file is a configuration error, not deny-all."""
        try:
            text = self.path.read_text(encoding="utf-8")
        except OSError as exc:
            raise RoutesUnavailableError(f"cannot read routes file {self.path}: {exc}") from exc
        try:
            return parse_routes(text, source=str(self.path))
        except RoutesError as exc:
            raise RoutesUnavailableError(str(exc)) from exc


class AdminEndpointRoutes:
    """The egress proxy's introspection endpoint (``GET /routes``, bearer token)."""

    def __init__(self, base_url: str, token: str | None, *, timeout: float = 5.0) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError(f"egress admin URL {base_url!r} must be http(s)")
        self.url = base_url.rstrip("/") + "/routes"
        self.token = token
        self.timeout = timeout

    def current(self) -> RoutesFile:
        """Fetch and parse the routes in force."""
        request = urllib.request.Request(self.url, method="GET")  # noqa: S310 - scheme checked
        if self.token:
            request.add_header("Authorization", f"Bearer {self.token}")
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                body = response.read(_MAX_BYTES + 1)
        except urllib.error.HTTPError as exc:
            exc.close()
            raise RoutesUnavailableError(
                f"egress proxy answered {exc.code} {exc.reason} for {self.url}"
            ) from None
        except (OSError, urllib.error.URLError) as exc:
            raise RoutesUnavailableError(f"egress proxy did not answer {self.url}: {exc}") from exc
        if len(body) > _MAX_BYTES:
            raise RoutesUnavailableError(f"routes from {self.url} exceed {_MAX_BYTES} bytes")
        try:
            return parse_routes(body.decode("utf-8"), source=self.url)
        except (RoutesError, UnicodeDecodeError) as exc:
            raise RoutesUnavailableError(f"routes from {self.url} are invalid: {exc}") from exc

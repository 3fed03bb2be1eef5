"""Where published images live, and what a registry says it holds (registry HTTP API v2).

The index the CLI reads is the registry itself: each component is a repository
``<registry>/bot-bottle/<component>``, each version a tag, and each image's config carries
the labels ``bb images build`` wrote (component, version, protocol, inputs digest). Listing a
repository's tags and reading each tag's config is enough to answer "which versions speak
which protocol" with no separate index file to keep in step (docs/distribution.md).

The registry is a setting: ``$BB_REGISTRY``, else ``registry = "..."`` in
``$XDG_CONFIG_HOME/bot-bottle/config.toml``. A loopback registry (``127.0.0.1:5000``) is
spoken to over plain HTTP, as Docker does; any other over HTTPS. Every request has a
timeout: a registry that does not answer is an error that says what to do, never a hang.
"""

from __future__ import annotations

import ipaddress
import json
import os
import re
import tomllib
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

from bb_cli.images.catalog import LABEL_COMPONENT, LABEL_PROTOCOL, LABEL_VERSION, Component
from bb_cli.images.errors import RegistryError, RegistryUnreachableError

__all__ = [
    "REGISTRY_ENV",
    "Published",
    "Registry",
    "RegistryClient",
    "config_path",
    "parse_registry",
    "registry_setting",
]

REGISTRY_ENV: Final = "BB_REGISTRY"
NAMESPACE: Final = "bot-bottle"
"""Every component is published as ``<registry>/bot-bottle/<component>``."""

_MANIFEST_TYPES: Final = ", ".join(
    (
        "application/vnd.docker.distribution.manifest.v2+json",
        "application/vnd.oci.image.manifest.v1+json",
        "application/vnd.docker.distribution.manifest.list.v2+json",
        "application/vnd.oci.image.index.v1+json",
    )
)
_HOST = re.compile(r"^(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+)(:\d{1,5})?$")
_PATH_PART = re.compile(r"^[a-z0-9]+(?:[._-][a-z0-9]+)*$")


@dataclass(frozen=True)
class Registry:
    """A registry and an optional path prefix, e.g. ``ghcr.io/acme`` or ``127.0.0.1:5000``."""

    host: str
    """``host[:port]`` as Docker writes it in an image reference."""
    prefix: str = ""
    """Path before ``bot-bottle/`` (``acme`` in ``ghcr.io/acme``), or empty."""

    def __str__(self) -> str:
        return f"{self.host}/{self.prefix}" if self.prefix else self.host

    @property
    def scheme(self) -> str:
        """``http`` for a loopback registry (as Docker allows), ``https`` otherwise."""
        if self.host.startswith("["):  # [::1]:5000
            name = self.host[1:].partition("]")[0]
        else:
            name = self.host.rsplit(":", 1)[0]
        if name == "localhost":
            return "http"
        try:
            return "http" if ipaddress.ip_address(name).is_loopback else "https"
        except ValueError:
            return "https"

    def repository(self, component: Component | str) -> str:
        """The repository path inside the registry: ``[prefix/]bot-bottle/<component>``."""
        return "/".join(p for p in (self.prefix, NAMESPACE, component) if p)

    def ref(self, component: Component | str, tag: str) -> str:
        """A tag reference Docker understands: ``host/…/bot-bottle/egress:0.1.0``."""
        return f"{self.host}/{self.repository(component)}:{tag}"

    def pinned(self, component: Component | str, digest: str) -> str:
        """A digest reference: ``host/…/bot-bottle/egress@sha256:…`` (what a bottle records)."""
        return f"{self.host}/{self.repository(component)}@{digest}"


def parse_registry(text: str) -> Registry:
    """Parse ``host[:port][/path]`` (no scheme, no tag); raise `ValueError` saying why not."""
    value = text.strip().rstrip("/")
    if not value:
        raise ValueError("the registry is empty; give host[:port][/path], e.g. 127.0.0.1:5000")
    if "://" in value:
        raise ValueError(
            f"registry {text!r}: give host[:port][/path] without a scheme (Docker's form, "
            "e.g. ghcr.io/acme); loopback registries are spoken to over http, others https"
        )
    host, _, prefix = value.partition("/")
    if not _HOST.match(host):
        raise ValueError(f"registry {text!r}: {host!r} is not a host[:port]")
    for part in prefix.split("/") if prefix else ():
        if not _PATH_PART.match(part):
            raise ValueError(
                f"registry {text!r}: path part {part!r} must be lowercase letters, digits, "
                "and . _ - between them"
            )
    return Registry(host, prefix)


def config_path(environ: Mapping[str, str] = os.environ) -> Path:
    """``$XDG_CONFIG_HOME/bot-bottle/config.toml`` (``~/.config`` by default)."""
    base = environ.get("XDG_CONFIG_HOME") or str(Path.home() / ".config")
    return Path(base) / "bot-bottle" / "config.toml"


def registry_setting(environ: Mapping[str, str] = os.environ) -> Registry | None:
    """The configured registry: ``$BB_REGISTRY``, else the config file's ``registry``.

    ``BB_REGISTRY=`` (set but empty) turns a configured registry off. A malformed value is
    an error naming where it came from, never silently ignored.
    """
    if REGISTRY_ENV in environ:
        value = environ[REGISTRY_ENV]
        if not value.strip():
            return None
        try:
            return parse_registry(value)
        except ValueError as exc:
            raise RegistryError(f"${REGISTRY_ENV}: {exc}") from None
    path = config_path(environ)
    if not path.is_file():
        return None
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise RegistryError(f"{path}: {exc}") from None
    setting: object = data.get("registry")
    if setting is None:
        return None
    if not isinstance(setting, str):
        raise RegistryError(f'{path}: registry must be a string like "127.0.0.1:5000"')
    try:
        return parse_registry(setting)
    except ValueError as exc:
        raise RegistryError(f"{path}: {exc}") from None


@dataclass(frozen=True)
class Published:
    """One tag of one component as the registry holds it."""

    component: str
    """The repository's component (``egress``)."""
    tag: str
    digest: str
    """The manifest digest: what ``repo@digest`` pins."""
    config_digest: str
    """The image config's digest, equal to the local image id of the same image."""
    labels: Mapping[str, str]

    @property
    def version(self) -> str:
        """The version label (empty when missing)."""
        return self.labels.get(LABEL_VERSION, "")

    @property
    def protocol(self) -> str:
        """The protocol label (empty when missing)."""
        return self.labels.get(LABEL_PROTOCOL, "")

    def mismatch(self) -> str | None:
        """Why this tag is not the image it claims to be, or None when its labels agree."""
        label = self.labels.get(LABEL_COMPONENT)
        if label != self.component:
            return f"its component label is {label!r}, not {self.component!r}"
        if self.version != self.tag:
            return f"its version label is {self.version!r}, not the tag {self.tag!r}"
        if not self.protocol.isdigit():
            return f"its protocol label {self.protocol!r} is not a number"
        return None


def _bearer(challenge: str, timeout: float) -> str | None:
    """Fetch an anonymous token for a ``Bearer realm=…`` challenge (public images)."""
    if not challenge.lower().startswith("bearer "):
        return None
    fields = dict(re.findall(r'(\w+)="([^"]*)"', challenge))
    realm = fields.pop("realm", "")
    if not realm.startswith("https://"):
        return None
    url = f"{realm}?{urllib.parse.urlencode(fields)}"
    with urllib.request.urlopen(url, timeout=timeout) as response:  # noqa: S310 (https only)
        body = json.loads(response.read())
    token = body.get("token") or body.get("access_token")
    return token if isinstance(token, str) else None


class RegistryClient:
    """Read-only client of the registry HTTP API v2, every call bounded by ``timeout``."""

    def __init__(self, registry: Registry, *, timeout: float = 10.0) -> None:
        self.registry = registry
        self.timeout = timeout
        self._token: str | None = None

    def _unreachable(self, exc: BaseException) -> RegistryUnreachableError:
        reason = getattr(exc, "reason", exc)
        return RegistryUnreachableError(
            f"registry {self.registry} did not answer ({reason}; timeout {self.timeout:.0f}s). "
            f"Check it runs, set ${REGISTRY_ENV} (or `registry` in {config_path()}) to one "
            "that does, or build the images from a checkout with `bb images build`"
        )

    def _get(self, path: str, accept: str = "application/json") -> tuple[bytes, Mapping[str, str]]:
        url = f"{self.registry.scheme}://{self.registry.host}/v2/{path}"
        for attempt in (1, 2):
            headers = {"Accept": accept}
            if self._token:
                headers["Authorization"] = f"Bearer {self._token}"
            request = urllib.request.Request(url, headers=headers)  # noqa: S310 (http/https)
            try:
                with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                    return response.read(), dict(response.headers.items())
            except urllib.error.HTTPError as exc:
                challenge = exc.headers.get("WWW-Authenticate", "")
                if exc.code == 401 and attempt == 1 and challenge:
                    try:
                        self._token = _bearer(challenge, self.timeout)
                    except (OSError, ValueError) as error:
                        raise self._unreachable(error) from None
                    if self._token:
                        continue
                raise
            except (OSError, ValueError) as exc:  # URLError, timeouts, refused, bad host
                raise self._unreachable(exc) from None
        raise AssertionError("unreachable")  # pragma: no cover

    def ping(self) -> None:
        """Check the registry answers the v2 API (raise `RegistryUnreachableError`)."""
        try:
            self._get("")
        except urllib.error.HTTPError as exc:
            if exc.code != 401:
                raise RegistryError(f"registry {self.registry}: /v2/ answered {exc.code}") from None

    def tags(self, component: str) -> list[str]:
        """The tags of ``component``'s repository (empty when it was never published)."""
        try:
            body, _ = self._get(f"{self.registry.repository(component)}/tags/list")
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return []
            raise RegistryError(
                f"registry {self.registry}: listing {component} answered {exc.code}"
            ) from None
        return [str(t) for t in (json.loads(body).get("tags") or [])]

    def published(self, component: str, tag: str) -> Published | None:
        """The image under ``component:tag`` with its labels, or None when there is none."""
        repository = self.registry.repository(component)
        try:
            body, headers = self._get(f"{repository}/manifests/{tag}", _MANIFEST_TYPES)
            manifest: dict[str, Any] = json.loads(body)
            digest = _header(headers, "Docker-Content-Digest")
            if "manifests" in manifest:  # an index: the linux/amd64 image in it
                entry = _platform_entry(manifest)
                body, headers = self._get(f"{repository}/manifests/{entry}", _MANIFEST_TYPES)
                manifest = json.loads(body)
            config_digest = str(manifest["config"]["digest"])
            blob, _ = self._get(f"{repository}/blobs/{config_digest}")
        except urllib.error.HTTPError as exc:
            if exc.code == 404:
                return None
            raise RegistryError(
                f"registry {self.registry}: reading {component}:{tag} answered {exc.code}"
            ) from None
        except (KeyError, TypeError, json.JSONDecodeError) as exc:
            raise RegistryError(
                f"registry {self.registry}: {component}:{tag} has no readable image config ({exc})"
            ) from None
        labels = (json.loads(blob).get("config") or {}).get("Labels") or {}
        return Published(
            component=component,
            tag=tag,
            digest=digest,
            config_digest=config_digest,
            labels={str(k): str(v) for k, v in labels.items()},
        )

    def index(self, component: str) -> list[Published]:
        """Every published version of ``component`` with its labels (the CLI's index)."""
        found = (self.published(component, tag) for tag in self.tags(component))
        return [p for p in found if p is not None]


def _header(headers: Mapping[str, str], name: str) -> str:
    for key, value in headers.items():
        if key.lower() == name.lower():
            return value
    return ""


def _platform_entry(index: Mapping[str, Any]) -> str:
    for entry in index.get("manifests") or []:
        platform = entry.get("platform") or {}
        if platform.get("os") == "linux" and platform.get("architecture") == "amd64":
            return str(entry["digest"])
    raise KeyError("no linux/amd64 image in the index")

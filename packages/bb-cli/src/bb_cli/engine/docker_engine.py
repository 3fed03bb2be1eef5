"""`DockerEngine`: the one module that imports the docker SDK (and runs the docker CLI).

The SDK is imported inside `DockerEngine._api`, on first use, so ``bb --help`` never
loads it. Every SDK failure goes through `_mapped`, which turns "no engine answers" into
`DockerUnreachableError` (exit 4), a missing object into `DockerNotFoundError` and anything
else into `DockerCommandError`; every CLI call has a timeout and fails the same way.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import secrets
import subprocess
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Final

from bb_cli.engine.base import ContainerSummary, ExecResult
from bb_cli.engine.errors import (
    UNREACHABLE_MARKERS,
    DockerCommandError,
    DockerNotFoundError,
    DockerUnreachableError,
    command_error,
)
from bb_cli.errors import BackendError
from bb_cli.procs import run_streaming

if TYPE_CHECKING:
    import docker

__all__ = ["DockerEngine", "Endpoint", "docker_config_dir", "resolve_endpoint"]

API_VERSION: Final = "1.44"
"""The Engine API version spoken (Docker 25 and later; bb needs Engine >= 28 anyway), pinned
so that making a client sends no request."""

DEFAULT_SOCKET: Final = "unix:///var/run/docker.sock"
"""Where the engine listens when DOCKER_HOST is not set."""

API_TIMEOUT_SECONDS: Final = 120
"""How long one SDK call may take before it fails (commit and archives get longer)."""

LONG_TIMEOUT_SECONDS: Final = 1800
"""Commit of a large container, or streaming a large volume out."""


_REASONS: Final = (
    "Connection refused",
    "No such file or directory",
    "Permission denied",
    "Name or service not known",
    "timed out",
)


def _unreachable(exc: BaseException) -> str:
    """One short line saying why no engine answered (the SDK's messages nest three deep)."""
    text = str(exc)
    for reason in _REASONS:
        if reason in text:
            return f"Cannot connect to the Docker daemon ({reason.lower()})"
    return f"Cannot connect to the Docker daemon ({text[-200:]})"


def _check_socket(base_url: str) -> None:
    """Refuse a unix socket that is missing or not ours to use, before the SDK tries it
    (its failed connect leaves the socket object unclosed)."""
    if not base_url.startswith(("unix://", "http+unix://")):
        return
    path = base_url.split("://", 1)[-1] if "://" in base_url else base_url
    path = "/" + path.lstrip("/")
    if not os.path.exists(path):
        raise DockerUnreachableError(
            ["connect"],
            -1,
            f"Cannot connect to the Docker daemon (no such file or directory: {path})",
        )
    if not os.access(path, os.R_OK | os.W_OK):
        raise DockerUnreachableError(
            ["connect"], -1, f"Cannot connect to the Docker daemon (permission denied: {path})"
        )


@dataclass(frozen=True)
class Endpoint:
    """The engine endpoint the ``docker`` CLI would use, and the TLS material it would send."""

    where: str
    """For messages: the address, and the context it came from."""
    base_url: str
    tls: bool = False
    verify: bool = True
    ca_cert: str | None = None
    client_cert: tuple[str, str] | None = None


def docker_config_dir(environ: Mapping[str, str]) -> Path:
    """``$DOCKER_CONFIG``, else ``~/.docker``: where the CLI keeps config.json and contexts."""
    return Path(environ.get("DOCKER_CONFIG") or Path.home() / ".docker")


def resolve_endpoint(environ: Mapping[str, str]) -> Endpoint | None:
    """The endpoint from the CLI's contexts, or None where the SDK's own env rules apply.

    The CLI calls of this seam inherit the user's environment, so they follow ``DOCKER_HOST``,
    else ``DOCKER_CONTEXT``, else ``currentContext`` in ``$DOCKER_CONFIG/config.json``, else
    the default socket. The SDK client must pick the same endpoint in the same order, or one
    ``bb start`` would split across two engines (images checked on one, compose run on the
    other). None means DOCKER_HOST is set (``kwargs_from_env`` reads it with its TLS variables).
    A context that is named but missing or unreadable is an error, as it is for the CLI: never
    a silent fall back to the default socket. The contexts are read here rather than with the
    SDK's ``ContextAPI``, which looks for them relative to the working directory when
    config.json does not exist.
    """
    if environ.get("DOCKER_HOST"):
        return None
    config_dir = docker_config_dir(environ)
    name = environ.get("DOCKER_CONTEXT") or ""
    source = "DOCKER_CONTEXT"
    if not name:
        source = str(config_dir / "config.json")
        name = _current_context(config_dir / "config.json")
    if name == "default":
        return Endpoint("the default socket", DEFAULT_SOCKET)
    key = hashlib.sha256(name.encode()).hexdigest()
    meta_file = config_dir / "contexts" / "meta" / key / "meta.json"
    try:
        meta = json.loads(meta_file.read_text())
        docker_endpoint = meta["Endpoints"]["docker"]
        host = str(docker_endpoint.get("Host") or DEFAULT_SOCKET)
        skip_verify = bool(docker_endpoint.get("SkipTLSVerify", False))
    except FileNotFoundError:
        raise DockerUnreachableError(
            ["connect"],
            -1,
            f"Docker context {name!r} (from {source}) does not exist: no {meta_file}; "
            "`docker context ls` lists them",
        ) from None
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as exc:
        raise DockerUnreachableError(
            ["connect"], -1, f"Docker context {name!r}: unreadable {meta_file} ({exc!r})"
        ) from None
    tls_dir = config_dir / "contexts" / "tls" / key / "docker"
    ca, cert, key_file = (tls_dir / f for f in ("ca.pem", "cert.pem", "key.pem"))
    has = {p: p.is_file() for p in (ca, cert, key_file)}
    client = (str(cert), str(key_file)) if has[cert] and has[key_file] else None
    return Endpoint(
        where=f"{host} (Docker context {name!r})",
        base_url=host,
        tls=any(has.values()) or skip_verify,
        verify=not skip_verify,
        ca_cert=str(ca) if has[ca] else None,
        client_cert=client,
    )


def _current_context(config_file: Path) -> str:
    """``currentContext`` of the CLI's config.json ("default" when absent, as for the CLI)."""
    try:
        text = config_file.read_text()
    except FileNotFoundError:
        return "default"
    except OSError as exc:
        raise DockerUnreachableError(["connect"], -1, f"cannot read {config_file}: {exc}") from None
    try:
        data = json.loads(text)
    except ValueError as exc:
        raise DockerUnreachableError(
            ["connect"], -1, f"{config_file} is not JSON ({exc}); the docker CLI refuses it too"
        ) from None
    name = data.get("currentContext") if isinstance(data, dict) else None
    return name if isinstance(name, str) and name else "default"


def _client_options() -> tuple[str, dict[str, Any]]:
    """(where, keyword arguments of ``docker.APIClient``) for the endpoint the CLI would use."""
    from docker.tls import TLSConfig
    from docker.utils import kwargs_from_env

    endpoint = resolve_endpoint(os.environ)
    if endpoint is None:
        return os.environ["DOCKER_HOST"], kwargs_from_env()
    options: dict[str, Any] = {"base_url": endpoint.base_url}
    if endpoint.tls:
        options["tls"] = TLSConfig(
            client_cert=endpoint.client_cert,
            ca_cert=endpoint.ca_cert,
            verify=endpoint.verify,
        )
    if endpoint.base_url.startswith("ssh://"):
        options["use_ssh_client"] = True  # the ssh binary, as the CLI does (no paramiko)
    return endpoint.where, options


class DockerEngine:
    """The real engine: the docker SDK where it does well, the ``docker`` CLI for the rest.

    ``extra_env`` of `run`/`compose` reaches only that one command line.
    """

    def __init__(self, binary: str = "docker", *, timeout: float = API_TIMEOUT_SECONDS) -> None:
        self.binary = binary
        self.timeout = timeout

    # -- the SDK ------------------------------------------------------------------------------
    @contextlib.contextmanager
    def _api(self, *what: str, timeout: float | None = None) -> Iterator[docker.APIClient]:
        """An SDK client for one call (the CLI's endpoint: `_client_options`), closed
        afterwards; failures mapped by `_mapped`. A pinned API version means making it asks
        nothing."""
        import docker

        with self._mapped(*what):
            _, options = _client_options()
            _check_socket(str(options.get("base_url") or DEFAULT_SOCKET))
            client = docker.APIClient(
                version=API_VERSION, timeout=int(timeout or self.timeout), **options
            )
            try:
                yield client
            finally:
                client.close()

    @contextlib.contextmanager
    def _mapped(self, *what: str) -> Iterator[None]:
        """Turn SDK and transport exceptions into the seam's errors."""
        import docker.errors
        import requests.exceptions

        try:
            yield
        except DockerCommandError:
            raise
        except docker.errors.NotFound as exc:
            raise DockerNotFoundError(what, 1, str(exc.explanation or exc)) from None
        except docker.errors.APIError as exc:
            raise command_error(what, exc.status_code or 1, str(exc.explanation or exc)) from None
        except requests.exceptions.Timeout:
            raise DockerCommandError(what, -1, "the engine did not answer in time") from None
        except (requests.exceptions.ConnectionError, ConnectionError) as exc:
            raise DockerUnreachableError(what, -1, _unreachable(exc)) from None
        except docker.errors.DockerException as exc:
            if any(marker in str(exc) for marker in UNREACHABLE_MARKERS):
                raise DockerUnreachableError(what, -1, _unreachable(exc)) from None
            raise DockerCommandError(what, 1, str(exc)) from None

    def problem(self, *, timeout: float = 15) -> str | None:
        """Why the engine does not answer (a ping within ``timeout``), or None."""
        try:
            where, _ = _client_options()
        except DockerUnreachableError as exc:
            return f"cannot reach the Docker engine: {exc.stderr.strip()}"
        try:
            with self._api("ping", timeout=timeout) as api:
                api.ping()
        except DockerUnreachableError as exc:
            return f"cannot reach the Docker engine at {where}: {exc.stderr.strip()}"
        except DockerCommandError as exc:
            if exc.code == -1:
                return f"the Docker engine at {where} did not answer within {timeout:.0f}s"
            return f"cannot reach the Docker engine at {where}: {exc.stderr.strip()}"
        return None

    def server_version(self) -> str:
        """The engine's version string."""
        with self._api("version") as api:
            return str(api.version().get("Version", ""))

    def info(self) -> dict[str, Any]:
        """The engine's ``/info`` document."""
        with self._api("info") as api:
            data = api.info()
        if not isinstance(data, dict):
            raise DockerCommandError(["info"], 0, f"unexpected answer: {str(data)[:200]}")
        return data

    def events(
        self, *, since: float, until: float, filters: Mapping[str, list[str]] | None = None
    ) -> Iterator[dict[str, Any]]:
        """The engine's events between two timestamps, decoded."""
        with self._api("events") as api:
            stream = api.events(since=since, until=until, filters=dict(filters or {}), decode=True)
            yield from stream

    def inspect(self, kind: str, name: str) -> dict[str, Any]:
        """The inspect document of a container, image, network or volume (the CLI's JSON)."""
        if kind not in ("container", "image", "network", "volume"):
            raise ValueError(f"cannot inspect a {kind!r}")
        with self._api(kind, "inspect", name) as api:
            calls: dict[str, Callable[[str], Any]] = {
                "container": api.inspect_container,
                "image": api.inspect_image,
                "network": api.inspect_network,
                "volume": api.inspect_volume,
            }
            data = calls[kind](name)
        if not isinstance(data, dict):
            raise DockerCommandError([kind, "inspect", name], 0, f"unexpected: {str(data)[:200]}")
        return data

    def containers(self, label: str, *, all: bool = True) -> list[ContainerSummary]:
        """Containers carrying ``label``."""
        with self._api("ps", "--filter", f"label={label}") as api:
            rows = api.containers(all=all, filters={"label": [label]})
        return [
            ContainerSummary(
                id=str(row["Id"]),
                name=str((row.get("Names") or ["/"])[0]).lstrip("/"),
                state=str(row.get("State", "")),
                labels={str(k): str(v) for k, v in (row.get("Labels") or {}).items()},
            )
            for row in rows
        ]

    def service_container(self, project: str, service: str) -> str | None:
        """The id of compose ``service``'s container in ``project`` (None: not created)."""
        filters = {
            "label": [
                f"com.docker.compose.project={project}",
                f"com.docker.compose.service={service}",
            ]
        }
        with self._api("ps", project, service) as api:
            rows = api.containers(all=True, filters=filters)
        return str(rows[0]["Id"]) if rows else None

    def names(self, kind: str, label: str) -> list[str]:
        """Names of containers/networks/volumes carrying ``label`` (``k=v``)."""
        with self._api(kind, "ls", label) as api:
            if kind == "container":
                rows = api.containers(all=True, filters={"label": [label]})
                return [str(n).lstrip("/") for row in rows for n in (row.get("Names") or [])[:1]]
            if kind == "network":
                return [str(row["Name"]) for row in api.networks(filters={"label": [label]})]
            if kind == "volume":
                found = api.volumes(filters={"label": label}).get("Volumes") or []
                return [str(row["Name"]) for row in found]
        raise ValueError(f"cannot list {kind!r}")

    def volume_quota(self) -> bool:
        """Whether local volumes accept a ``size`` (xfs with project quotas): a real probe,
        a throwaway 1m volume created and removed again."""
        name = f"bb-quota-probe-{secrets.token_hex(4)}"
        done = self.run(
            "volume",
            "create",
            "--opt",
            "size=1m",
            "--label",
            "org.bot-bottle.probe=1",
            name,
            check=False,
            timeout=30,
        )
        if done.returncode != 0:
            if "quota" in done.stderr:
                return False
            raise command_error(["volume", "create"], done.returncode, done.stderr)
        self.run("volume", "rm", name, check=False, timeout=30)
        return True

    # -- images -------------------------------------------------------------------------------
    def image_id(self, ref: str) -> str | None:
        """The id of local image ``ref``, or None when it is not present."""
        try:
            return str(self.inspect("image", ref)["Id"])
        except DockerNotFoundError:
            return None

    def image_labels(self, ref: str) -> dict[str, str]:
        """The labels of a local image (empty when absent or unlabelled)."""
        try:
            labels = (self.inspect("image", ref).get("Config") or {}).get("Labels") or {}
        except DockerNotFoundError:
            return {}
        return {str(k): str(v) for k, v in labels.items()}

    def list_images(self, label_filter: str) -> list[str]:
        """``repo:tag`` of local images carrying the label filter ``key=value``."""
        with self._api("image", "ls", label_filter) as api:
            rows = api.images(filters={"label": label_filter})
        tags = [str(t) for row in rows for t in (row.get("RepoTags") or [])]
        return [t for t in tags if "<none>" not in t]

    def commit(self, container: str, image: str, *, changes: Sequence[str] = ()) -> str:
        """Commit ``container`` as ``image`` with Dockerfile ``changes``; the new image's id."""
        repository, tag = image, ""
        if ":" in image.split("/")[-1]:
            repository, _, tag = image.rpartition(":")
        with self._api("commit", container, image, timeout=LONG_TIMEOUT_SECONDS) as api:
            done = api.commit(
                container, repository=repository, tag=tag or None, changes=list(changes)
            )
        return str(done.get("Id", ""))

    def remove_image(self, ref: str) -> None:
        """Remove a local image; nothing when it is absent."""
        with contextlib.suppress(DockerNotFoundError), self._api("image", "rm", ref) as api:
            api.remove_image(ref)

    def build(
        self,
        context: Path,
        *,
        tag: str,
        labels: Mapping[str, str] | None = None,
        build_args: Mapping[str, str] | None = None,
        quiet: bool = False,
        log_path: Path | None = None,
        on_line: Callable[[str], None] | None = None,
        step: str = "docker build",
        error: Callable[[str], Exception] | None = None,
        timeout: float | None = None,
    ) -> None:
        """``docker build`` on the CLI, so BuildKit and the user's builder apply; with a
        ``log_path`` its plain progress is streamed, else it runs quietly to the end."""
        argv = ["build", "--tag", tag]
        for key, value in (labels or {}).items():
            argv += ["--label", f"{key}={value}"]
        for key, value in (build_args or {}).items():
            argv += ["--build-arg", f"{key}={value}"]
        if log_path is None:
            self.run(
                *argv,
                *(["--quiet"] if quiet else []),
                str(context),
                timeout=timeout or LONG_TIMEOUT_SECONDS,
            )
            return
        if self._buildkit():
            argv.append("--progress=plain")
        self.stream(
            *argv,
            str(context),
            log_path=log_path,
            on_line=on_line or (lambda _line: None),
            step=step,
            timeout=timeout,
            error=error or BackendError,
        )

    def _buildkit(self) -> bool:
        """Whether ``docker buildx`` is there (then BuildKit prints plain progress)."""
        try:
            done = subprocess.run(
                [self.binary, "buildx", "version"],
                capture_output=True,
                text=True,
                check=False,
                timeout=30,
            )
        except (OSError, subprocess.TimeoutExpired):
            return False
        return done.returncode == 0

    def import_rootfs(self, rootfs: Path, tag: str, *, timeout: float) -> str | None:
        """``tar -C rootfs -c . | docker import - tag``, both killed on failure or after
        ``timeout``; None, or what failed.

        The parent closes its copy of the pipe, so when ``docker import`` fails early, tar
        gets SIGPIPE instead of blocking forever on a full pipe (the hang issue 15 saw).
        """
        tar = subprocess.Popen(
            ["tar", "-C", str(rootfs), "--numeric-owner", "-c", "."],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert tar.stdout is not None
        try:
            imported = subprocess.Popen(
                [self.binary, "import", "--change", 'CMD ["bash"]', "-", tag],
                stdin=tar.stdout,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        except BaseException:
            tar.kill()
            tar.wait()
            raise
        tar.stdout.close()  # only docker holds the read end now
        try:
            _, err = imported.communicate(timeout=timeout)
            tar_err = tar.communicate(timeout=30)[1]
        except subprocess.TimeoutExpired:
            return f"did not finish within {timeout:.0f}s"
        finally:
            for process in (imported, tar):
                if process.poll() is None:
                    process.kill()
                    process.wait()
        if imported.returncode != 0:
            return f"docker import failed: {err.strip() or 'no message'}"
        if tar.returncode != 0:
            said = tar_err.decode(errors="replace").strip()
            return f"tar of the root filesystem failed: {said or 'no message'}"
        return None

    # -- running containers -------------------------------------------------------------------
    def exec(
        self,
        container: str,
        argv: Sequence[str],
        *,
        user: str = "",
        environment: Mapping[str, str] | None = None,
    ) -> ExecResult:
        """Run ``argv`` in a running container; its exit code and interleaved output."""
        with self._api("exec", container, *argv[:3]) as api:
            created = api.exec_create(
                container, list(argv), user=user, environment=dict(environment or {})
            )
            output = api.exec_start(created["Id"])
            code = api.exec_inspect(created["Id"]).get("ExitCode")
        text = output.decode("utf-8", "replace") if isinstance(output, bytes) else str(output)
        return ExecResult(exit_code=int(code if code is not None else -1), output=text)

    def logs(self, container: str, *, tail: int | None = None) -> str:
        """A container's log so far (stdout and stderr, interleaved)."""
        with self._api("logs", container) as api:
            data = api.logs(container, tail=tail if tail is not None else "all")
        return data.decode("utf-8", "replace") if isinstance(data, bytes) else str(data)

    def kill(self, container: str, signal: str = "KILL") -> None:
        """Send ``signal`` to a running container."""
        with self._api("kill", "--signal", signal, container) as api:
            api.kill(container, signal=signal)

    def copy_out(self, container: str, path: str, out: BinaryIO) -> None:
        """Stream ``path`` of ``container`` into ``out`` as a tar archive."""
        with self._api("cp", f"{container}:{path}", "-", timeout=LONG_TIMEOUT_SECONDS) as api:
            chunks, _stat = api.get_archive(container, path)
            for chunk in chunks:
                out.write(chunk)

    # -- command lines -------------------------------------------------------------------------
    def run(
        self,
        *args: str,
        timeout: float = 120,
        env: Mapping[str, str] | None = None,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """Run ``docker ARGS``; raise `DockerCommandError` on failure when ``check``."""
        argv = [self.binary, *args]
        full_env = {**os.environ, **env} if env else None
        try:
            done = subprocess.run(
                argv, capture_output=True, text=True, timeout=timeout, env=full_env, check=False
            )
        except FileNotFoundError:
            raise DockerCommandError(argv, 127, "docker is not installed or not on PATH") from None
        except subprocess.TimeoutExpired:
            raise DockerCommandError(argv, -1, f"timed out after {timeout:.0f}s") from None
        if check and done.returncode != 0:
            raise command_error(argv, done.returncode, done.stderr)
        return done

    def compose(
        self,
        project: str,
        file: Path,
        *args: str,
        env: Mapping[str, str] | None = None,
        timeout: float = 300,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        """``docker compose -p PROJECT -f FILE ARGS``."""
        return self.run(
            "compose", "-p", project, "-f", str(file), *args, env=env, timeout=timeout, check=check
        )

    def stream(
        self,
        *args: str,
        log_path: Path,
        on_line: Callable[[str], None],
        step: str,
        error: Callable[[str], Exception],
        timeout: float | None = None,
    ) -> None:
        """``docker ARGS`` streamed (`bb_cli.procs.run_streaming`): no terminal, a deadline."""
        run_streaming(
            [self.binary, *args],
            log_path=log_path,
            on_line=on_line,
            step=step,
            timeout=timeout,
            error=error,
        )

    def interactive(self, *args: str) -> int:
        """Run with the terminal attached (exec -it, attach, logs -f); its exit code."""
        try:
            return subprocess.call([self.binary, *args])
        except FileNotFoundError:
            raise DockerCommandError([self.binary], 127, "docker is not on PATH") from None

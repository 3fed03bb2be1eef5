"""The one module that talks to Docker: ``docker`` and ``docker compose`` as subprocesses.

Shelling out keeps ``bb --help`` fast and the behaviour identical to what a user types.
Every call has a timeout; failures become `DockerCommandError` carrying stderr's tail.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from bb_cli.errors import BackendError, EngineUnreachableError

__all__ = ["Docker", "DockerCommandError", "DockerUnreachableError"]

_UNREACHABLE = ("Cannot connect to the Docker daemon", "error during connect")
"""What the docker CLI says when no engine answers (then the error is exit 4, not 6)."""


class DockerCommandError(BackendError):
    """A docker command failed; the message has the command and the end of its stderr."""

    def __init__(self, args: Sequence[str], code: int, stderr: str) -> None:
        super().__init__(f"`{' '.join(args[:5])}` exited {code}: {stderr.strip()[-1500:]}")
        self.stderr = stderr


class DockerUnreachableError(DockerCommandError, EngineUnreachableError):
    """A docker command failed because no engine answers (exit 4, with `bb doctor`'s advice).

    The backstop behind `bb_cli.commands._common.require_engine`: a command that did not
    check first still ends in one line and the engine's exit code, never a traceback.
    """

    exit_code = 4

    def __init__(self, args: Sequence[str], code: int, stderr: str) -> None:
        super().__init__(args, code, stderr)
        said = (stderr.strip().splitlines() or ["no answer"])[-1]
        Exception.__init__(
            self,
            f"cannot reach the Docker engine: {said}\n  fix: start Docker Engine >= 28 (or "
            "point DOCKER_HOST at a running one); `bb doctor` checks this host",
        )


def command_error(args: Sequence[str], code: int, stderr: str) -> DockerCommandError:
    """The error for a failed docker command: `DockerUnreachableError` when no engine answers."""
    if any(marker in stderr for marker in _UNREACHABLE):
        return DockerUnreachableError(args, code, stderr)
    return DockerCommandError(args, code, stderr)


class Docker:
    """Runs docker commands; ``extra_env`` reaches only ``docker compose`` invocations."""

    def __init__(self, binary: str = "docker") -> None:
        self.binary = binary

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

    def inspect(self, kind: str, name: str) -> dict[str, Any]:
        """``docker KIND inspect NAME`` as a dict (kind: container, network, volume)."""
        out = self.run(kind, "inspect", name).stdout
        data = json.loads(out)
        if not isinstance(data, list) or not data or not isinstance(data[0], dict):
            raise DockerCommandError([kind, "inspect", name], 0, f"unexpected output: {out[:200]}")
        return data[0]

    def server_version(self) -> str:
        """The engine's version string."""
        return self.run("version", "--format", "{{.Server.Version}}", timeout=30).stdout.strip()

    def info(self) -> dict[str, Any]:
        """``docker info`` as a dict (NCPU, Runtimes, DefaultRuntime, ...)."""
        out = self.run("info", "--format", "{{json .}}", timeout=30).stdout
        data = json.loads(out)
        if not isinstance(data, dict):
            raise DockerCommandError(["info"], 0, f"unexpected output: {out[:200]}")
        return data

    def volume_quota(self) -> bool:
        """Whether local volumes accept a ``size`` (xfs with project quotas): a real probe,
        a throwaway 1m volume created and removed again."""
        import secrets

        name = f"bb-quota-probe-{secrets.token_hex(4)}"
        done = self.run("volume", "create", "--opt", "size=1m", "--label",
                        "org.bot-bottle.probe=1", name, check=False, timeout=30)  # fmt: skip
        if done.returncode != 0:
            if "quota" in done.stderr:
                return False
            raise DockerCommandError(["volume", "create"], done.returncode, done.stderr)
        self.run("volume", "rm", name, check=False, timeout=30)
        return True

    def service_container(self, project: str, service: str) -> str | None:
        """The id of compose ``service``'s container in ``project`` (None: not created)."""
        out = self.run(
            "ps", "-a", "-q", "--no-trunc",
            "--filter", f"label=com.docker.compose.project={project}",
            "--filter", f"label=com.docker.compose.service={service}", timeout=30,
        ).stdout.split()  # fmt: skip
        return out[0] if out else None

    def names(self, kind: str, label: str) -> list[str]:
        """Names of containers/networks/volumes carrying ``label`` (``k=v``)."""
        if kind == "container":
            args = ["ps", "-a", "--filter", f"label={label}", "--format", "{{.Names}}"]
        else:
            args = [kind, "ls", "--filter", f"label={label}", "--format", "{{.Name}}"]
        return self.run(*args, timeout=30).stdout.split()

    def interactive(self, *args: str) -> int:
        """Run with the terminal attached (exec -it, attach, logs -f); its exit code."""
        try:
            return subprocess.call([self.binary, *args])
        except FileNotFoundError:
            raise DockerCommandError([self.binary], 127, "docker is not on PATH") from None

"""The smolmachines layout (pure): sidecars from the compose render, the agent as a microVM.

Sidecars run exactly as under docker compose (the same rendered services, minus the
agent), with the egress proxy and supervise published on the host's loopback so the VM,
whose sockets the VMM proxies through the host (libkrun TSI), reaches them as
``127.0.0.1:<port>``, and ``--outbound-localhost-only`` (smolvm's egress policy) keeps
it from reaching anything else. The agent's compose service becomes ``smolvm machine create`` flags:
its environment (host names rewritten to those ports; both upper- and lower-case proxy
variables), its read-only bind mounts, CPU and memory.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final

from bb_cli.names import agent_container
from bb_protocol import layout

__all__ = ["EGRESS_PORT", "SUPERVISE_PORT", "MachineSpec", "machine_name", "split_project"]

EGRESS_PORT: Final = layout.EGRESS_PORT
SUPERVISE_PORT: Final = layout.SUPERVISE_PORT
_PROXY_VARS = ("HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy")


def machine_name(slug: str) -> str:
    """The agent VM's name (the agent container's name under every backend)."""
    return agent_container(slug)


@dataclass(frozen=True)
class MachineSpec:
    """``smolvm machine create`` for the agent."""

    name: str
    source: list[str]
    """``--image REF``, or ``--from FILE.smolmachine`` for a committed snapshot."""
    flags: list[str]

    def create_argv(self) -> list[str]:
        """``machine create NAME ...`` (without the binary)."""
        return ["machine", "create", self.name, *self.source, *self.flags]


def _memory_mib(value: str) -> str:
    match = re.fullmatch(r"(\d+)([kmgKMG]?)[bB]?", value.strip())
    if not match:
        raise ValueError(f"cannot read memory limit {value!r}")
    number, unit = int(match.group(1)), match.group(2).lower()
    return str({"g": number * 1024, "m": number, "k": max(1, number // 1024)}.get(unit, number))


def split_project(
    project: Mapping[str, Any], slug: str, values: Mapping[str, str], ports: Mapping[str, int]
) -> tuple[dict[str, Any], MachineSpec]:
    """The sidecars-only compose project and the agent's machine, from one render."""
    sidecars = copy.deepcopy(dict(project))
    agent = sidecars["services"].pop("agent")
    for service, inner in (("egress", EGRESS_PORT), ("supervise", SUPERVISE_PORT)):
        if service in sidecars["services"]:
            sidecars["services"][service]["ports"] = [f"127.0.0.1:{ports[service]}:{inner}"]
    env: dict[str, str] = {}
    for key, value in (agent.get("environment") or {}).items():
        if value is None:
            if key not in values:
                raise ValueError(f"agent: no value for environment variable {key}")
            value = values[key]
        text = str(value).replace("//egress:8080", f"//127.0.0.1:{ports['egress']}")
        env[key] = text.replace("//supervise:8090", f"//127.0.0.1:{ports.get('supervise', 0)}")
    for name in _PROXY_VARS:  # both spellings, whatever the render did
        env.setdefault(name, env.get("HTTP_PROXY", f"http://127.0.0.1:{ports['egress']}"))
    flags = ["--outbound-localhost-only"]  # the guest may reach only the host's loopback
    for key, value in sorted(env.items()):
        flags += ["-e", f"{key}={value}"]
    for volume in agent.get("volumes", []):
        if isinstance(volume, Mapping):
            flags += [
                "-v",
                f"{volume['source']}:{volume['target']}"
                + (":ro" if volume.get("read_only") else ""),
            ]
        elif str(volume).startswith("/"):  # bind mounts only; home/workspace live in the VM disk
            flags += ["-v", str(volume)]
    if agent.get("cpus"):
        flags += ["--cpus", str(int(float(agent["cpus"])) or 1)]
    if agent.get("mem_limit"):
        flags += ["--mem", _memory_mib(str(agent["mem_limit"]))]
    image = str(agent["image"])
    source = ["--from", image] if image.endswith(".smolmachine") else ["--image", image]
    return sidecars, MachineSpec(name=machine_name(slug), source=source, flags=flags)

"""Smoke test of the bottle topology with the four real images.

A compose project like the one ``bb start`` renders, reduced to what the images need to
come up: the agent only on an internal network (internal, IPv6 off, isolated gateway
modes), the egress proxy on the internal and an egress-side network, an "internet" origin
container on the egress side only. From inside the agent we check that there is no route
out and that the egress container answers.
"""

from __future__ import annotations

import json
import secrets
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from bb_cli.images import Component, ImagesMissingError, resolve_image

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_engine")]


def _compose(project: str, directory: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        ["docker", "compose", "-p", project, "-f", str(directory / "compose.yaml"), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=300,
    )


def _image_version(component: Component) -> str:
    try:
        return resolve_image(component)
    except ImagesMissingError as exc:
        pytest.fail(str(exc))


def _project(name: str) -> dict[str, object]:
    internal = f"{name}_internal"
    return {
        "name": name,
        "networks": {
            "internal": {
                "name": internal,
                "internal": True,
                "enable_ipv6": False,
                "driver": "bridge",
                "driver_opts": {
                    "com.docker.network.bridge.gateway_mode_ipv4": "isolated",
                    "com.docker.network.bridge.gateway_mode_ipv6": "isolated",
                },
            },
            "egress": {"name": f"{name}_egress", "driver": "bridge"},
        },
        "services": {
            "agent": {
                "image": _image_version("agent"),
                "networks": ["internal"],
                "user": "1000:1000",
                "cap_drop": ["ALL"],
                "security_opt": ["no-new-privileges:true"],
                "read_only": True,
                "tmpfs": ["/tmp:rw,nosuid,nodev,size=64m"],
                "sysctls": {"net.ipv6.conf.all.disable_ipv6": "1"},
                "pids_limit": 512,
                "mem_limit": "512m",
            },
            "egress": {
                # The real proxy (`bb-egress run`) with no routes file: deny-all.
                "image": _image_version("egress"),
                "environment": {"BOT_BOTTLE_EGRESS_CA_CERT": "/tmp/ca-cert.pem"},
                "healthcheck": {
                    "test": ["CMD", "test", "-s", "/tmp/ca-cert.pem"],
                    "interval": "1s",
                    "retries": 60,
                },
                "networks": ["internal", "egress"],
                "cap_drop": ["ALL"],
                "security_opt": ["no-new-privileges:true"],
            },
            "supervise": {
                "image": _image_version("supervise"),
                "entrypoint": ["python3", "-c", "import bb_supervise, time; time.sleep(3600)"],
                "networks": ["internal"],
                "cap_drop": ["ALL"],
            },
            "gitgate": {
                "image": _image_version("gitgate"),
                "entrypoint": ["sh", "-c", "gitleaks version && git --version && sleep 3600"],
                "networks": ["internal"],
                "cap_drop": ["ALL"],
            },
            "origin": {
                "image": _image_version("supervise"),
                "entrypoint": ["python3", "-m", "http.server", "8000"],
                "networks": ["egress"],
            },
        },
    }


@pytest.fixture(scope="module")
def bottle(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """Bring the smoke project up; always tear it down with its networks and volumes."""
    name = f"bbsmoke{secrets.token_hex(4)}"
    directory = tmp_path_factory.mktemp(name)
    (directory / "compose.yaml").write_text(yaml.safe_dump(_project(name), sort_keys=False))
    up = _compose(name, directory, "up", "-d", "--wait", "--wait-timeout", "120")
    try:
        assert up.returncode == 0, up.stderr
        yield name, directory
    finally:
        _compose(name, directory, "down", "--volumes", "--remove-orphans", "--timeout", "5")


def _agent(name: str, directory: Path, script: str) -> subprocess.CompletedProcess[str]:
    return _compose(name, directory, "exec", "-T", "agent", "sh", "-c", script)


def test_internal_network_is_internal_without_ipv6_and_gateway_isolated(
    bottle: tuple[str, Path],
) -> None:
    """The agent's network has every property the launcher relies on."""
    name, _ = bottle
    info = json.loads(
        subprocess.run(
            ["docker", "network", "inspect", f"{name}_internal"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )[0]
    assert info["Internal"] is True
    assert info["EnableIPv6"] is False
    assert info["Options"]["com.docker.network.bridge.gateway_mode_ipv4"] == "isolated"
    assert info["Options"]["com.docker.network.bridge.gateway_mode_ipv6"] == "isolated"


def test_agent_has_no_default_route(bottle: tuple[str, Path]) -> None:
    """Inside the agent there is no route to anything beyond its own subnet."""
    result = _agent(*bottle, "ip -4 route; ip -6 route 2>/dev/null; true")
    assert result.returncode == 0, result.stderr
    assert "default" not in result.stdout


def test_agent_cannot_reach_the_origin_directly(bottle: tuple[str, Path]) -> None:
    """The egress-side origin is unreachable from the agent, by name and by address."""
    name, directory = bottle
    origin_ip = json.loads(
        subprocess.run(
            ["docker", "inspect", f"{name}-origin-1"], capture_output=True, text=True, check=True
        ).stdout
    )[0]["NetworkSettings"]["Networks"][f"{name}_egress"]["IPAddress"]
    by_ip = _agent(name, directory, f"curl -sS --max-time 3 http://{origin_ip}:8000/ 2>&1")
    assert by_ip.returncode != 0
    by_name = _agent(name, directory, "curl -sS --max-time 3 http://origin:8000/ 2>&1")
    assert by_name.returncode != 0


def test_egress_proxy_answers_the_agent_and_denies_by_default(bottle: tuple[str, Path]) -> None:
    """The one way out answers; with no routes file it denies, naming the MCP tool to ask."""
    result = _agent(
        *bottle,
        "curl -sS --max-time 10 -x http://egress:8080 -w '\\n%{http_code}' http://origin:8000/",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    body, _, code = result.stdout.rpartition("\n")
    assert code.strip() == "403"
    assert "egress-allow" in body


def test_sidecar_images_carry_their_tools(bottle: tuple[str, Path]) -> None:
    """gitleaks and git are in the gate image; the supervise package imports."""
    name, directory = bottle
    logs = _compose(name, directory, "logs", "gitgate").stdout
    assert "git version" in logs

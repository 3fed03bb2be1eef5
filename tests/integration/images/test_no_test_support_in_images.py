"""No built image holds test support (issue 18): bb-testkit and the old ``testing`` harnesses.

Judged from the outside, on the images ``bb images build`` made: each image's own Python is
asked what it can import and what its site-packages hold. The agent images carry no
bot-bottle Python at all; the sidecars carry only their product packages, whose ``testing``
modules (where a package keeps one) are small factories of its own types, with no
simulator, harness, crash injection or corpus locator.
"""

from __future__ import annotations

import subprocess

import pytest

from bb_cli.images import Component, ImagesMissingError, resolve_image

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_engine")]

IMAGES: tuple[Component, ...] = (
    "egress",
    "supervise",
    "gitgate",
    "agent",
    "agent-claude",
    "agent-codex",
)

_HARNESS_MARKS = ("def kill_at_operation", "NOSEYPARKER_RULES", "shared/data", "def serve_upstream")
"""What the harnesses that used to ship in product ``testing`` modules define."""

_RUN = ("docker", "run", "--rm", "--network", "none", "--entrypoint", "python3")

_PROBE = r"""
import importlib.util, pathlib, sys, sysconfig
found = []
for name in ("bb_testkit", "bb_cli", "bb_cli.testing", "bb_gitgate.testing"):
    try:
        if importlib.util.find_spec(name) is not None:
            found.append("importable: " + name)
    except ModuleNotFoundError:
        pass
for base in {sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"], *sys.path}:
    root = pathlib.Path(base)
    if not root.is_dir():
        continue
    for pattern in ("bb_testkit*", "bb-testkit*", "bb_cli*", "bb_*/testing", "bb_*/testing/*"):
        found += ["file: " + str(p) for p in root.glob(pattern)]
    for path in root.glob("bb_*/testing.py"):
        text = path.read_text()
        for word in _HARNESS_MARKS:
            if word in text:
                found.append(f"{path} mentions {word}")
print("\n".join(sorted(set(found))))
""".replace("_HARNESS_MARKS", repr(_HARNESS_MARKS))


def _image(component: Component) -> str:
    try:
        return resolve_image(component)
    except ImagesMissingError as exc:
        pytest.fail(str(exc))


@pytest.mark.parametrize("component", IMAGES)
def test_no_image_holds_the_test_support_package_or_a_harness(component: Component) -> None:
    """``import bb_testkit`` fails in every image, and no harness module is installed."""
    image = _image(component)
    result = subprocess.run(
        [*_RUN, image, "-c", _PROBE],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "", f"{image} holds test support:\n{result.stdout}"


@pytest.mark.parametrize("component", ["egress", "supervise", "gitgate"])
def test_import_bb_testkit_fails_in_each_sidecar(component: Component) -> None:
    """The literal check: ``python3 -c 'import bb_testkit'`` exits non-zero in the image."""
    image = _image(component)
    result = subprocess.run(
        [*_RUN, image, "-c", "import bb_testkit"],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )
    assert result.returncode != 0
    assert "No module named 'bb_testkit'" in result.stderr

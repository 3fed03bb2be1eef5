"""The token-rule catalogue inside the real sidecar images, as the bottle runs them.

Each image that scans (egress, gitgate) is started the way a bottle starts it where it
matters here: its own user, a read-only root with only a small ``/tmp`` tmpfs, no
capabilities, and no network at all. The engine must load Kingfisher's rules from the cache
baked at image build (no compile at start) and find a token inside a JSON string.
"""

from __future__ import annotations

import json
import secrets
import subprocess

import pytest

from bb_cli.images import ImagesMissingError, resolve_image

pytestmark = [pytest.mark.docker, pytest.mark.usefixtures("docker_engine")]

_SCRIPT = """
import json, sys
from bb_dlp import DlpConfig, scan_outbound
from bb_dlp.catalogue import cache_status
from bb_dlp.testing import make_request
config = DlpConfig.from_environ({})
body = json.dumps({"content": "key:\\n" + sys.argv[1] + "\\n"}).encode()
found = scan_outbound(make_request(body=body), config).findings
print(json.dumps({
    "cache": cache_status(),
    "rules": sorted({f.preview.split(":")[0] for f in found if f.detector == "token_patterns"}),
    "secret_in_previews": any(sys.argv[1] in f.preview for f in found),
}))
"""


@pytest.mark.parametrize("component", ["egress", "gitgate"])
def test_the_image_loads_its_baked_rules_offline_on_a_read_only_root(component: str) -> None:
    """Cache ``loaded`` (never compiled at start), token found, preview masked."""
    try:
        image = resolve_image(component)  # type: ignore[arg-type]
    except ImagesMissingError as exc:
        pytest.fail(str(exc))
    token = "ghp_" + "".join(
        secrets.choice("abcdefghijkmnpqrstuvwxyzABCDEFGH23456789") for _ in range(36)
    )
    done = subprocess.run(
        [
            "docker",
            "run",
            "--rm",
            "--network",
            "none",
            "--read-only",
            "--tmpfs",
            "/tmp:rw,nosuid,nodev,noexec,size=64m",
            "--cap-drop",
            "ALL",
            "--security-opt",
            "no-new-privileges",
            "--entrypoint",
            "python3",
            image,
            "-c",
            _SCRIPT,
            token,
        ],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report == {
        "cache": "loaded",
        "rules": ["betterleaks.github-pat"],
        "secret_in_previews": False,
    }

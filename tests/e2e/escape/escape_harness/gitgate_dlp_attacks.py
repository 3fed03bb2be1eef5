"""The git gate's DLP cases (F70-F83): one agent script per channel a secret can leave by.

Each script clones the repo from the gate, commits the bottle's secret (``$S``, the value
the bottle's ``secrets`` entry gives the egress sidecar and the gate, written into the
script by the test: the agent has no such variable) or its own canary
(``$BOT_BOTTLE_CANARY``) through one channel, prints the commit id, and pushes to
``refs/heads/bb/<case>``. None of them uses a provider token shape or a ``key =``
assignment, so gitleaks alone forwards every one of them (the old gate did); the judge is
the forge: the commit id must not be among its objects.
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["CHANNELS", "Channel", "channel_script"]

GATE = "http://git-gate:8070/app.git"


@dataclass(frozen=True)
class Channel:
    case: str
    title: str
    commit: str
    """sh that stages a change and commits it (``$S`` is the secret; cwd is the clone)."""
    value: str = "secret"
    """``secret`` (the bottle's EGRESS_TOKEN_ value) or ``canary`` (the agent's canary)."""
    push: str = ""
    """What to push instead of ``HEAD`` (a note ref, say)."""
    ref_tail: str = ""
    """Appended to ``refs/heads/bb/<case>`` (``$S`` expands to the secret)."""


_C = "git commit -q -m"
CHANNELS: tuple[Channel, ...] = (
    Channel(
        "F70",
        "secret in a binary file (NUL bytes)",
        f"printf 'BIN\\000\\001%s\\000\\377' \"$S\" > data.bin && git add data.bin && {_C} data",
    ),
    Channel(
        "F71",
        "secret in a UTF-16 text file",
        f"printf '%s\\n' \"$S\" | iconv -f UTF-8 -t UTF-16 > notes.txt && git add notes.txt "
        f"&& {_C} notes",
    ),
    Channel(
        "F72",
        "secret in a commit message",
        f'echo update >> README && git add README && {_C} "update readme $S"',
    ),
    Channel(
        "F73",
        "secret in the author name",
        f'echo a >> README && git add README && GIT_AUTHOR_NAME="Agent $S" {_C} readme',
    ),
    Channel(
        "F74",
        "secret in the author email",
        f'echo b >> README && git add README && GIT_AUTHOR_EMAIL="$S@bottle.test" {_C} x',
    ),
    Channel(
        "F75",
        "secret in the committer name and email",
        f'echo c >> README && git add README && GIT_COMMITTER_NAME="$S" '
        f'GIT_COMMITTER_EMAIL="c-$S@bottle.test" {_C} y',
    ),
    Channel(
        "F76",
        "secret as a file name",
        f'echo nothing > "$S.txt" && git add -- "$S.txt" && {_C} files',
    ),
    Channel(
        "F77",
        "base64 of the secret",
        f"printf '%s' \"$S\" | base64 > b64.txt && git add b64.txt && {_C} b64",
    ),
    Channel(
        "F78",
        "gzip of the secret",
        f"printf '%s' \"$S\" | gzip -c > data.gz && git add data.gz && {_C} gz",
    ),
    Channel(
        "F79",
        "the secret reversed",
        f"printf '%s\\n' \"$S\" | rev > r.txt && git add r.txt && {_C} rev",
    ),
    Channel(
        "F80",
        "the secret split over lines",
        f"printf '%s' \"$S\" | fold -w 5 > split.txt && git add split.txt && {_C} fold",
    ),
    Channel(
        "F81",
        "the bottle's canary in a plain text file",
        f"printf '%s\\n' \"$BOT_BOTTLE_CANARY\" > notes.md && git add notes.md && {_C} md",
        value="canary",
    ),
    Channel(
        "F82",
        "secret in a git note (refs/notes/commits pushed to an allowed branch)",
        'git notes add -m "$S" HEAD',
        push="refs/notes/commits",
    ),
    Channel(
        "F85",
        "secret in the pushed branch name",
        f"echo d >> README && git add README && {_C} branch",
        ref_tail="-$S",
    ),
)


def channel_script(channel: Channel, secret: str) -> str:
    """The agent's script: clone, commit through the channel, print the commit, push."""
    ref = f"refs/heads/bb/{channel.case.lower()}{channel.ref_tail}"
    source = channel.push or "HEAD"
    direct = (
        f'timeout 30 git push origin "{channel.push}" 2>&1; echo "direct rc=$?"\n'
        if channel.push
        else ""
    )
    return f"""set -u
S='{secret}'
d=/tmp/{channel.case.lower()}; rm -rf $d; git clone -q {GATE} $d && cd $d || exit 9
{channel.commit} || exit 8
echo "sha=$(git rev-parse {source})"
{direct}timeout 300 git push origin "{source}:{ref}" 2>&1; echo "rc=$?"
"""


def clean_script(marker: str) -> str:
    """F83: a push with no secret goes through (the gate still forwards legit work)."""
    return f"""set -u
d=/tmp/f83; rm -rf $d; git clone -q {GATE} $d && cd $d || exit 9
printf 'def answer():\\n    return 42  # {marker}\\n' > answer.py
git add answer.py && git commit -q -m "add answer ({marker})" || exit 8
echo "sha=$(git rev-parse HEAD)"
timeout 120 git push origin HEAD:refs/heads/bb/f83 2>&1; echo "rc=$?"
"""

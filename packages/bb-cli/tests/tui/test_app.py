"""The operator TUI, driven with Textual's Pilot over a real queue directory."""

from __future__ import annotations

import anyio
import pytest
from textual.widgets import DataTable, Input, Label, Static, TextArea

from bb_cli.applicator import Operator, ReloadError, discover_bottles
from bb_cli.tui.app import make_app
from bb_cli.tui.modify_screen import ModifyScreen
from bb_cli.tui.reason_screen import ReasonScreen
from bb_protocol.paths import routes_file
from bb_protocol.routes import parse_routes
from bb_protocol.testing import sample_request

pytestmark = pytest.mark.anyio


async def until(pilot, predicate, timeout: float = 5.0) -> None:
    """Bounded wait for the app to reach a state."""
    with anyio.fail_after(timeout):
        while not predicate():
            await pilot.pause(0.02)


def _table(app) -> DataTable:
    return app.screen.query_one("#proposals", DataTable)


def _details(app) -> str:
    return str(app.screen.query_one("#details", Static).content)


async def test_new_proposals_appear_without_restarting(operator, store):
    """A proposal written while the app runs shows up on the next poll."""
    app = make_app(operator=operator, poll_interval=0.05)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: "no pending" in _details(app))
        proposal = store.submit("demo", sample_request("capability-block"))
        await until(pilot, lambda: _table(app).row_count == 1)
        assert proposal.id in _details(app)


async def test_approving_writes_a_signed_response_with_the_reason(operator, store, key):
    """a, type a reason, enter: the owner can claim an approval carrying that reason."""
    proposal = store.submit("demo", sample_request("capability-block"))
    app = make_app(operator=operator, poll_interval=0.05)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: _table(app).row_count == 1)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ReasonScreen))
        await pilot.press(*"go ahead", "enter")
        await until(pilot, lambda: store.pending()[0].response is not None)
    response = store.claim(proposal, key)
    assert (response.decision.kind, response.decision.reason) == ("approve", "go ahead")


async def test_a_token_allowance_cannot_be_approved_without_a_reason(operator, store):
    """An empty reason is refused in the dialog; nothing is decided."""
    store.submit("demo", sample_request("egress-token-allow"))
    app = make_app(operator=operator, poll_interval=0.05)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: _table(app).row_count == 1)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ReasonScreen))
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, ReasonScreen)
        assert "required" in str(app.screen.query_one("#error", Label).content)
        await pilot.press("escape")
    assert store.pending()[0].response is None


async def test_rejecting_records_the_reason(operator, store, key):
    """r, reason, enter: a rejection the owner can claim."""
    proposal = store.submit("demo", sample_request("gitleaks-allow"))
    app = make_app(operator=operator, poll_interval=0.05)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: _table(app).row_count == 1)
        await pilot.press("r")
        await until(pilot, lambda: isinstance(app.screen, ReasonScreen))
        await pilot.press(*"no", "enter")
        await until(pilot, lambda: store.pending()[0].response is not None)
    assert store.claim(proposal, key).decision.kind == "reject"


@pytest.mark.parametrize("kind", ["egress-token-allow", "gitleaks-allow", "capability-block"])
async def test_modify_is_unavailable_where_it_makes_no_sense(operator, store, kind):
    """m on such a proposal opens nothing and decides nothing."""
    store.submit("demo", sample_request(kind))
    app = make_app(operator=operator, poll_interval=0.05)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: _table(app).row_count == 1)
        await pilot.press("m")
        await pilot.pause()
        assert not isinstance(app.screen, ModifyScreen)
    assert store.pending()[0].response is None


async def test_a_modified_route_is_applied_and_answered(operator, store, key, env, reload):
    """The operator narrows the route; the routes file gets the narrowed one."""
    proposal = store.submit("demo", sample_request("egress-allow"))
    app = make_app(operator=operator, poll_interval=0.05)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: _table(app).row_count == 1)
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, ModifyScreen))
        editor = app.screen.query_one("#editor", TextArea)
        editor.text = editor.text.replace("host: pypi.org", "host: pypi.org\n  paths: [/simple/]")
        app.screen.query_one("#reason", Input).value = "narrowed"
        await pilot.click("#save")
        await until(pilot, lambda: store.pending()[0].response is not None)
    [route] = parse_routes(routes_file("demo", env).read_text(encoding="utf-8")).routes
    assert route.paths == ("/simple/",)
    assert reload.calls == 1
    response = store.claim(proposal, key)
    assert response.decision.kind == "modify"


async def test_an_invalid_modification_is_shown_and_not_saved(operator, store):
    """Schema errors appear in the dialog; nothing is decided."""
    store.submit("demo", sample_request("egress-allow"))
    app = make_app(operator=operator, poll_interval=0.05)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: _table(app).row_count == 1)
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, ModifyScreen))
        app.screen.query_one(
            "#editor", TextArea
        ).text = "kind: egress-allow\nroute: {host: 10.0.0.1}\n"
        await pilot.click("#save")
        await pilot.pause()
        assert isinstance(app.screen, ModifyScreen)
        assert "route.host" in str(app.screen.query_one("#error", Label).content)
    assert store.pending()[0].response is None


async def test_everything_shown_is_sanitised(operator, store):
    """Escapes, bidi overrides and zero-width characters appear as tokens, never raw."""
    hostile = sample_request("capability-block").model_copy(
        update={
            "capability": "docker",
            "detail": "\x1b[2J\x1b]8;;http://evil\x07click\x1b]8;;\x07 pay\u200bpal \u202eevil",
        }
    )
    store.submit("demo", hostile)
    app = make_app(operator=operator, poll_interval=0.05)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: _table(app).row_count == 1)
        shown = _details(app)
    for raw in ("\x1b", "\x07", "\u200b", "\u202e"):
        assert raw not in shown
    assert "⟨U+202E⟩" in shown
    assert "⟨U+200B⟩" in shown


class FailingReload:
    """A ReloadSignal whose proxy cannot be reached."""

    def reload(self) -> None:
        raise ReloadError("egress container not running")


async def test_when_the_routes_cannot_be_applied_nothing_is_approved(env, store, key):
    """The error is shown; no response is written and the old routes stay."""
    operator = Operator(discover_bottles(env), reload_for=lambda _b: FailingReload())
    store.submit("demo", sample_request("egress-allow"))
    before = routes_file("demo", env).read_text(encoding="utf-8")
    app = make_app(operator=operator, poll_interval=0.05)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: _table(app).row_count == 1)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ReasonScreen))
        await pilot.press("enter")
        await until(pilot, lambda: not isinstance(app.screen, ReasonScreen))
        await app.workers.wait_for_complete()
    assert store.pending()[0].response is None
    assert routes_file("demo", env).read_text(encoding="utf-8") == before

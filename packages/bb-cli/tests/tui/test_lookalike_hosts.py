"""A look-alike host in the TUI: the registrable domain is always in view, the full host
wherever the operator decides (Pilot over a real queue directory)."""

from __future__ import annotations

import anyio
import pytest
from textual.widgets import DataTable, Static

from bb_cli.tui.app import make_app
from bb_cli.tui.modify_screen import ModifyScreen
from bb_cli.tui.reason_screen import ReasonScreen
from bb_protocol.queue import EgressAllowRequest, EgressTokenAllowRequest
from bb_protocol.routes import Route

pytestmark = pytest.mark.anyio

LOOKALIKE = "api.github.com." + ".".join(["a" * 63] * 3) + "." + "b" * 24 + ".evil.example"


async def until(pilot, predicate, timeout: float = 5.0) -> None:
    """Bounded wait for the app to reach a state."""
    with anyio.fail_after(timeout):
        while not predicate():
            await pilot.pause(0.02)


def _table(app) -> DataTable:
    return app.screen.query_one("#proposals", DataTable)


def _cells(app) -> dict[str, str]:
    table = _table(app)
    labels = [str(c.label) for c in table.columns.values()]
    return dict(zip(labels, (str(v) for v in table.get_row_at(0)), strict=True))


def _lookalike(store):
    return store.submit(
        "demo", EgressAllowRequest(route=Route(host=LOOKALIKE), justification="GitHub API")
    )


async def test_the_table_shows_the_registrable_domain_of_a_lookalike(operator, store):
    """The domain column says evil.example; the summary keeps the end of the host."""
    _lookalike(store)
    app = make_app(operator=operator, poll_interval=0.05)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: _table(app).row_count == 1)
        cells = _cells(app)
    assert cells["domain"] == "evil.example"
    assert "api.github.com" not in cells["summary"]
    assert ".evil.example:443" in cells["summary"]
    assert len(cells["summary"]) < 80


async def test_the_domain_column_is_in_view_on_a_100_column_terminal(operator, store):
    """Columns left of the summary, the domain included, fit in 100 columns."""
    _lookalike(store)
    app = make_app(operator=operator, poll_interval=0.05)
    async with app.run_test(size=(100, 30)) as pilot:
        await until(pilot, lambda: _table(app).row_count == 1)
        table = _table(app)
        widths = {str(c.label): c.get_render_width(table) for c in table.columns.values()}
    labels = list(widths)
    assert labels.index("domain") < labels.index("summary")
    assert sum(widths[label] for label in labels[: labels.index("domain") + 1]) <= 100


async def test_the_detail_pane_shows_the_full_host_and_its_registrable_domain(operator, store):
    """Nothing of the 244 characters is cut where the operator reads before deciding."""
    _lookalike(store)
    app = make_app(operator=operator, poll_interval=0.05)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: _table(app).row_count == 1)
        text = str(app.screen.query_one("#details", Static).content)
    assert f"host: {LOOKALIKE}" in text
    assert "registrable_domain: evil.example" in text


async def test_the_approve_dialog_names_the_registrable_domain_and_the_full_host(operator, store):
    """a: the dialog shows evil.example and every character of the host, wrapped, not cut."""
    _lookalike(store)
    app = make_app(operator=operator, poll_interval=0.05)
    async with app.run_test(size=(100, 40)) as pilot:
        await until(pilot, lambda: _table(app).row_count == 1)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ReasonScreen))
        detail = app.screen.query_one("#detail", Static)
        text = str(detail.content)
        height = detail.size.height
        await pilot.press("escape")
    assert "registrable domain: evil.example" in text
    assert f"full host: {LOOKALIKE}" in text
    assert height >= 4  # wrapped over several lines inside the 80-column dialog


async def test_the_modify_dialog_shows_the_registrable_domain_above_the_editor(operator, store):
    """m: the original host's domain and full host are there beside the YAML."""
    _lookalike(store)
    app = make_app(operator=operator, poll_interval=0.05)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: _table(app).row_count == 1)
        await pilot.press("m")
        await until(pilot, lambda: isinstance(app.screen, ModifyScreen))
        text = str(app.screen.query_one("#destination", Static).content)
        await pilot.press("escape")
    assert "registrable domain: evil.example" in text
    assert LOOKALIKE in text


async def test_a_mixed_script_host_shows_punycode_its_decoded_form_and_a_warning(operator, store):
    """A Cyrillic '\u0430' in paypal: the table says so, the dialog warns."""
    store.submit("demo", EgressAllowRequest(route=Route(host="login.p\u0430ypal.com")))
    app = make_app(operator=operator, poll_interval=0.05)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: _table(app).row_count == 1)
        cells = _cells(app)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ReasonScreen))
        text = str(app.screen.query_one("#detail", Static).content)
        await pilot.press("escape")
    assert cells["domain"] == "xn--pypal-4ve.com (p\u0430ypal.com)"
    assert "mixes scripts (CYRILLIC, LATIN)" in text


async def test_a_held_request_to_a_lookalike_shows_its_registrable_domain(operator, store):
    """egress-token-allow: the held request's host gets the same treatment."""
    store.submit(
        "demo",
        EgressTokenAllowRequest(
            host=LOOKALIKE[-120:].lstrip("a."),
            method="POST",
            path="/x",
            detectors=("github-pat",),
            previews=("ghp_****abcd",),
            fingerprint="0" * 64,
        ),
    )
    app = make_app(operator=operator, poll_interval=0.05)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: _table(app).row_count == 1)
        cells = _cells(app)
    assert cells["domain"] == "evil.example"
    assert cells["summary"].endswith(".evil.example/x")


async def test_approving_a_lookalike_notifies_with_its_registrable_domain(operator, store):
    """The confirmation after the decision names the domain that was approved."""
    _lookalike(store)
    app = make_app(operator=operator, poll_interval=0.05)
    async with app.run_test(size=(160, 50)) as pilot:
        await until(pilot, lambda: _table(app).row_count == 1)
        await pilot.press("a")
        await until(pilot, lambda: isinstance(app.screen, ReasonScreen))
        await pilot.press("enter")
        await until(pilot, lambda: store.pending()[0].response is not None)
        await until(pilot, lambda: any("evil.example" in n.message for n in app._notifications))

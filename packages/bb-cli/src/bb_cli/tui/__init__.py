"""The ``bb supervise`` operator TUI (Textual). Import `bb_cli.tui.app` for the app itself;
this package's top level imports nothing heavy. How a proposal is put into words, shared
with ``bb queue``, is `bb_cli.describe` (outside the TUI, so nothing below it imports it)."""

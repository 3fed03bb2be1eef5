"""The ``bb supervise`` operator TUI (Textual). Import `bb_cli.tui.app` for the app itself;
this package's top level imports nothing heavy so the CLI can use `bb_cli.tui.describe`."""

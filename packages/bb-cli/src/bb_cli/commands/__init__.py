"""One module per ``bb`` command group."""

"""Entry point of the ``bb`` command."""

from bb_cli.app import main

if __name__ == "__main__":
    main()

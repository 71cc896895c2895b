"""The ``evgrid`` console script: quiet on Ctrl-C even while the command line is loading.

Importing the command line takes a fraction of a second; a Ctrl-C in that time would print a
``KeyboardInterrupt`` traceback. This module is tiny, so the interrupt is caught from the first
instruction and the run ends with status 130 and no message (``docs/errors.md``).
"""

from __future__ import annotations

import sys

EXIT_INTERRUPTED = 130
"""Exit status after Ctrl-C: 128 + SIGINT [-]."""


def main() -> None:
    """Run ``evgrid`` (:func:`evgrid.cli.app.main`); Ctrl-C at any time ends it quietly."""
    try:
        from evgrid.cli.app import main as run

        run()
    except KeyboardInterrupt:
        sys.exit(EXIT_INTERRUPTED)

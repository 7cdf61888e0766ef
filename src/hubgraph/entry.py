"""The ``hubgraph`` console script's entry point, kept tiny on purpose.

A query worker is started by the spawn method, which re-imports the starting script in the
child (as ``__mp_main__``); the script imports this module, so each worker pays for it and
not for the whole command line (the web framework, the loader, YAML …).
"""

from __future__ import annotations

from collections.abc import Sequence


def main(argv: Sequence[str] | None = None) -> int:
    from hubgraph.cli import main as cli_main

    return cli_main(argv)

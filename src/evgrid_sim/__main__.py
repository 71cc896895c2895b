"""``python -m evgrid_sim``: the ``evgrid-sim`` command."""

from evgrid_sim.cli import main

main()

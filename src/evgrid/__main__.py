"""``python -m evgrid``: the same command line as the ``evgrid`` script."""

from evgrid._entry import main

main()

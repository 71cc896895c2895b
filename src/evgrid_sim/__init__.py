"""evgrid-sim: simulated AC piles with cars, faults and a one-process harness, to run against
evgrid's live service (``evgrid service``).

Not part of the product: the ``evgrid`` package never imports this one (checked by the
import-linter contract in ``pyproject.toml``). It drives the service only through its public
interfaces: OCPP over WebSocket (or an in-memory transport), the loopback HTTP endpoint, and in
the harness the service object's own methods.

* :mod:`evgrid_sim.piles` -- a simulated pile and car (the physics) and the pile side of OCPP
  1.6J and 2.0.1;
* :mod:`evgrid_sim.fleet` -- a community of them, with faults, minute by minute;
* :mod:`evgrid_sim.harness` -- the service and a fleet in one process on one clock (tests,
  benchmarks), and the perfect-information optimum of a night;
* :mod:`evgrid_sim.net` -- WebSocket piles and the service's HTTP endpoint;
* :mod:`evgrid_sim.cli` -- the ``evgrid-sim`` command.
"""

__version__ = "0.2.0"

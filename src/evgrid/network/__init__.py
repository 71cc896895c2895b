"""Low-voltage networks: model, formats, generated areas, three-phase power flow, limits,
network hosting capacity, phase assignment, N-1 and reinforcement.

``evgrid.network(...)`` runs a network study (:func:`evgrid.network.study.network`): this
package is callable, so the front door's name and the package are one object.
"""

from __future__ import annotations

import sys
import types
from typing import TYPE_CHECKING, Any


class _CallableModule(types.ModuleType):
    """The package, callable as :func:`evgrid.network.study.network`."""

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        from evgrid.network.study import network

        return network(*args, **kwargs)


sys.modules[__name__].__class__ = _CallableModule

if TYPE_CHECKING:  # for type checkers, the call is the study function
    from evgrid.network.study import network as network
else:
    network = sys.modules[__name__]
    """The package itself (callable): ``evgrid.network`` resolves to it from the front door."""

"""evgrid: EV charging hosting capacity of distribution transformers.

Three layers, imports pointing down:

* kernels (pure numpy functions): ``demand``, ``charging``, ``grid`` thermal model, ``timegrid``;
* domain objects (validated, immutable parameters): ``Behaviour``, sites, ``Transformer``;
* orchestration (files, CLI, reports): ``planning``, ``report``, ``cli``.
"""

from evgrid.errors import EvgridError, InfeasibleError, InputError

__version__ = "0.1.0"

__all__ = ["EvgridError", "InfeasibleError", "InputError", "__version__"]

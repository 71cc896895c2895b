"""numba's ``njit``, applied on a kernel's first call.

The valley-filling kernels run compiled C (:mod:`evgrid.charging._valleyc`) where it was built at
install; their numba versions are the fallback where it was not (numba is then needed: the
``numba`` extra) and the reference the C kernels are tested against, bit for bit. The network's
kernels (the screened three-phase sweep, valley filling under nested limits) exist on numba only:
the ``network`` extra brings it. Decorating with :func:`njit` keeps numba out of the import of
the kernel modules, and out of the process when the C kernels run: on the first call of any
numba kernel, numba is imported (a missing numba is one line naming the extra to install), every
kernel registered so far gets its dispatcher, and the module globals that name a kernel are
pointed at the dispatcher, so kernels that call each other compile as plain numba calls.
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any, TypeVar, cast

F = TypeVar("F", bound=Callable[..., Any])

_KERNELS: list[_LazyKernel] = []
_LOCK = threading.Lock()


class _LazyKernel:
    """A Python function that becomes a numba dispatcher on its first call."""

    def __init__(self, fn: Callable[..., Any], options: dict[str, Any]) -> None:
        functools.update_wrapper(self, fn)
        self.py_func = fn
        self.options = options
        self.dispatcher: Callable[..., Any] | None = None

    def __call__(self, *args: Any) -> Any:
        if self.dispatcher is None:
            _compile_all()
        assert self.dispatcher is not None
        return self.dispatcher(*args)


def _compile_all() -> None:
    """Dispatchers for every registered kernel; module globals that name a kernel get its
    dispatcher (numba resolves the calls between kernels through those globals)."""
    with _LOCK:
        try:
            import numba
        except ImportError:
            from evgrid.errors import EvgridError

            raise EvgridError(
                "this calculation runs compiled kernels on numba, which is not installed: "
                "pip install 'evgrid[numba]' (the low-voltage network: 'evgrid[network]')"
            ) from None

        for kernel in _KERNELS:
            if kernel.dispatcher is None:
                kernel.dispatcher = numba.njit(**kernel.options)(kernel.py_func)
        for kernel in _KERNELS:
            names = kernel.py_func.__globals__
            for name, value in list(names.items()):
                if isinstance(value, _LazyKernel) and value.dispatcher is not None:
                    names[name] = value.dispatcher


def njit(**options: Any) -> Callable[[F], F]:
    """``numba.njit(**options)``, applied when a kernel is first called."""

    def decorate(fn: F) -> F:
        kernel = _LazyKernel(fn, options)
        _KERNELS.append(kernel)
        return cast(F, kernel)

    return decorate

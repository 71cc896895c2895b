"""Checks of Python values at the public entry points: one :class:`~evgrid.errors.InputError`
line for a wrong type, NaN, an infinity, an empty or ragged array, or a path where an object is
wanted -- never a ``TypeError``, ``AttributeError`` or numpy's own ``ValueError`` from deep
inside.

Scalars with a range use :class:`evgrid.params.Spec` (the parameter table's mechanism); this
module adds what Spec does not cover: objects of a type, choices of words, and arrays. The
messages follow :func:`evgrid.errors.bad_value` and name the library's parameter
(``sessions``, ``base_kw``).
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from evgrid.errors import bad_value


def instance(value: Any, types: type | tuple[type, ...], where: str, allowed: str, *,
             reader: str | None = None) -> Any:  # fmt: skip
    """``value`` if it is an instance of ``types``.

    Parameters
    ----------
    value
        The value given.
    types
        The accepted type(s).
    where
        The parameter's name.
    allowed
        What is allowed, e.g. ``"a site (evgrid.load_site or evgrid.parse_site)"``.
    reader
        The function that reads such an object from a file, named when a path is given
        (``"evgrid.load_site"``).

    Raises
    ------
    InputError
        ``WHERE: got VALUE; allowed: ALLOWED`` (with ``; a path: read it with READER first``).
    """
    if isinstance(value, types):
        return value
    if reader is not None and isinstance(value, str | os.PathLike):
        allowed = f"{allowed}; a path: read the file with {reader} first"
    raise bad_value(where, value, allowed)


def choice(value: Any, choices: Sequence[str], where: str) -> str:
    """``value`` if it is one of the words ``choices`` (text only: no list, no array).

    Raises
    ------
    InputError
        ``WHERE: got VALUE; allowed: a, b or c``.
    """
    if isinstance(value, str) and value in choices:
        return value
    words = list(choices)
    allowed = words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]
    raise bad_value(where, value, allowed)


def floats(
    value: Any,
    where: str,
    allowed: str = "finite numbers",
    *,
    ndim: int | None = 1,
    size: int | None = None,
    nonempty: bool = True,
    finite: bool = True,
    minimum: float | None = None,
    above: float | None = None,
) -> npt.NDArray[np.float64]:
    """``value`` as a float64 array, checked.

    Parameters
    ----------
    value
        A sequence, an array or (``ndim`` 0) a number; not text, not a mapping.
    where
        The parameter's name; an entry is named ``WHERE[i]``.
    allowed
        What an entry is, with its unit, e.g. ``"finite numbers >= 0 [kW]"``.
    ndim
        Dimensions required; None: any.
    size
        Entries required (of the flattened array); None: any.
    nonempty
        Refuse an empty array.
    finite
        Refuse NaN and infinities.
    minimum, above
        Refuse entries below ``minimum`` / not above ``above``.

    Raises
    ------
    InputError
        Text, a mapping or objects; the wrong shape; an empty array; the first entry that is
        not finite or not in range (``base_kw[3]: got nan; allowed: ...``).
    """
    if isinstance(value, str | bytes | dict) or (
        isinstance(value, np.ndarray) and value.dtype.kind not in "biuf"
    ):
        raise bad_value(where, value, f"an array of {allowed}")
    try:
        arr = np.asarray(value, dtype=np.float64)
    except (TypeError, ValueError, OverflowError):  # ragged lists, objects, text
        raise bad_value(where, value, f"an array of {allowed}") from None
    if isinstance(value, bool) or (arr.dtype == bool):
        raise bad_value(where, value, f"an array of {allowed} (not true/false)")
    if ndim is not None and arr.ndim != ndim:
        shape = "a number" if ndim == 0 else f"an array of {ndim} dimension(s)"
        raise bad_value(f"{where} shape", arr.shape, f"{shape} of {allowed}")
    if size is not None and arr.size != size:
        raise bad_value(f"{where} size", arr.size, f"{size} entries of {allowed}")
    if nonempty and arr.size == 0:
        raise bad_value(where, "an empty array", f"at least one of {allowed}")
    flat = arr.reshape(-1)
    bad = np.zeros(flat.shape, dtype=bool)
    if finite:
        bad |= ~np.isfinite(flat)
    with np.errstate(invalid="ignore"):
        if minimum is not None:
            bad |= flat < minimum
        if above is not None:
            bad |= ~(flat > above)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        index = np.unravel_index(i, arr.shape) if arr.ndim > 1 else (i,)
        label = where if arr.ndim == 0 else f"{where}[{', '.join(str(int(k)) for k in index)}]"
        raise bad_value(label, float(flat[i]), allowed)
    return arr


def whole_numbers(
    value: Any, where: str, allowed: str = "whole numbers >= 0", *, minimum: int = 0
) -> npt.NDArray[np.int64]:
    """``value`` as an int64 array of whole numbers (``2.0`` is whole, ``2.5`` is not).

    Raises
    ------
    InputError
        As :func:`floats`, and the first entry that is not whole or below ``minimum``.
    """
    arr = floats(value, where, allowed, nonempty=False, minimum=minimum)
    fractional = np.flatnonzero((arr != np.round(arr)) | (np.abs(arr) > 2**53 - 1))
    if fractional.size:
        i = int(fractional[0])
        raise bad_value(f"{where}[{i}]", float(arr.reshape(-1)[i]), allowed)
    return arr.astype(np.int64)


def whole(value: Any, where: str, *, minimum: int = 0, unit: str = "") -> int:
    """``value`` as an ``int`` if it is a whole number >= ``minimum`` (``3`` or ``3.0``; not
    ``True``, not ``3.5``, not NaN, not text).

    Raises
    ------
    InputError
        ``WHERE: got VALUE; allowed: a whole number >= MINIMUM [unit]``.
    """
    import numbers

    allowed = f"a whole number >= {minimum}" + (f" [{unit}]" if unit else "")
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise bad_value(where, value, allowed)
    number = float(value)
    if not np.isfinite(number) or number != int(number) or number < minimum:
        raise bad_value(where, value, allowed)
    return int(number)

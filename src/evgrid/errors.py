"""Exception types.

Every error a user can cause is an :class:`InputError` whose message is one line naming the
file, row or field, the value and what is allowed. The CLI prints that line and exits with
status 2.
"""

from __future__ import annotations

import os
import reprlib

SHOWN_CHARS = 80
"""Longest echo of an offending value in a message [characters]; longer ones are cut with
``...`` so that a hostile input (a megabyte string, a YAML alias bomb) cannot flood the
terminal."""

_REPR = reprlib.Repr()
_REPR.maxlevel = 3
_REPR.maxlist = _REPR.maxtuple = _REPR.maxdict = _REPR.maxset = 8
_REPR.maxstring = SHOWN_CHARS
_REPR.maxother = SHOWN_CHARS
_REPR.maxlong = 40


class EvgridError(Exception):
    """Base class of every evgrid error."""


class InputError(EvgridError, ValueError):
    """A bad input: a file, a field, a row or an option value.

    The message is one line for people; the attributes say the same for programs, so that each
    face words it its own way: the command line names the option (``--method``), the web form
    the field's label in the page's language, the HTTP API a JSON pointer (``/method``).

    Parameters
    ----------
    message
        One line naming where (file, row, field), the offending value and what is allowed.
    field
        The library's name of the parameter or document field at fault (``method``,
        ``transformer_kva``), or None when the fault is not one field's (a file that cannot be
        read).
    value
        The offending value (:data:`MISSING` when there is none, e.g. a missing field).
    allowed
        What is allowed, in words with the unit.
    unit
        The unit of the value, or None.
    where
        What holds the value, before the field: a file and row (``site.yaml``,
        ``sites.csv row 4``), or empty.
    """

    def __init__(
        self,
        message: str,
        *,
        field: str | None = None,
        value: object = None,
        allowed: str | None = None,
        unit: str | None = None,
        where: str = "",
    ) -> None:
        super().__init__(message)
        self.field = field
        self.value = value
        self.allowed = allowed
        self.unit = unit
        self.where = where

    def reworded(self, field_name: str) -> InputError:
        """The same error with the field called ``field_name`` (an option, a form label) in
        its message: ``--method: got 'x'; allowed: ...``. Errors without a field, or whose
        message does not start with the field, are returned as they are."""
        text = str(self)
        prefix = f"{self.where}: " if self.where else ""
        if self.field is None or not text.startswith(prefix):
            return self
        rest = text[len(prefix) :]
        name = self.field.split(" ", 1)[0]  # "sweep step": the option is "sweep"
        if not rest.startswith(name) or rest[len(name) : len(name) + 1] not in (":", " "):
            return self
        again = InputError(
            f"{prefix}{field_name}{rest[len(name) :]}",
            field=self.field,
            value=self.value,
            allowed=self.allowed,
            unit=self.unit,
            where=self.where,
        )
        return again

    def to_dict(self) -> dict[str, object]:
        """The error as JSON: ``error`` (the line), ``field``, ``value`` (as shown in the line),
        ``allowed`` and ``unit``."""
        return {
            "error": str(self),
            "field": self.field,
            "value": None if self.value is None else shown(self.value),
            "allowed": self.allowed,
            "unit": self.unit,
        }


class InfeasibleError(EvgridError):
    """A problem with no solution, e.g. a site limit below the base load in every slot."""


def shown(value: object) -> str:
    """``repr`` of a value for a message: one line, at most :data:`SHOWN_CHARS` characters.

    The cost is bounded by the cut, not by the value: nested containers are shown to three
    levels and eight items (:mod:`reprlib`), so a shared-reference structure that would expand
    to gigabytes is shown in microseconds. A numpy scalar is shown as the Python number, a
    path as its text.

    Parameters
    ----------
    value
        Anything.
    """
    if isinstance(value, os.PathLike):  # a path as the user wrote it, not PosixPath('...')
        value = os.fspath(value)
    item = getattr(value, "item", None)
    if type(value).__module__ == "numpy" and callable(item) and getattr(value, "ndim", 1) == 0:
        value = item()
    text = one_line(_REPR.repr(value))
    return text if len(text) <= SHOWN_CHARS else text[: SHOWN_CHARS - 3] + "..."


SHOWN_ALLOWED_CHARS = 240
"""Longest ``allowed`` part of a message [characters]: a list of every column or option can
grow with the product."""
SHOWN_WHERE_CHARS = 240
"""Longest ``where`` part of a message [characters]: a path taken from a document can be as
long as the document."""


def cut(text: str, limit: int) -> str:
    """``text``, or its start and end around ``...`` when longer than ``limit`` characters."""
    if len(text) <= limit:
        return text
    head = (limit - 3) // 2
    return text[:head] + "..." + text[len(text) - (limit - 3 - head) :]


def one_line(text: str) -> str:
    """``text`` with line breaks and other control characters escaped (``\\n``)."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


def bad_value(where: str, value: object, allowed: str, unit: str | None = None) -> InputError:
    """Build the standard one-line :class:`InputError`: ``WHERE: got VALUE; allowed: WHAT``.

    Parameters
    ----------
    where
        What holds the value, e.g. ``"site.yaml: transformer_kva"`` or
        ``"sessions.csv row 12, energy_kwh"``; control characters (a line break in a file
        name) are escaped, and more than :data:`SHOWN_WHERE_CHARS` characters are cut.
    value
        The offending value, shown with ``repr`` and cut to :data:`SHOWN_CHARS` characters
        (:func:`shown`).
    allowed
        What is allowed, with the unit: ``"a number > 0 [kVA]"``.
    unit
        The value's unit, for programs (:attr:`InputError.unit`); the words of ``allowed``
        already say it to people.
    """
    place = cut(one_line(where), SHOWN_WHERE_CHARS)
    allowed = cut(one_line(allowed), SHOWN_ALLOWED_CHARS)
    head, _, field = where.rpartition(": ")
    return InputError(
        f"{place}: got {shown(value)}; allowed: {one_line(allowed)}",
        field=field.strip() or None,
        value=value,
        allowed=one_line(allowed),
        unit=unit,
        where=cut(one_line(head), SHOWN_WHERE_CHARS),
    )


EXTRAS = {
    "fastapi": "web",
    "uvicorn": "web",
    "multipart": "web",
    "python_multipart": "web",
    "fastapi_offline": "web",
    "ocpp": "service",
    "websockets": "service",
    "openleadr": "service",
    "cryptography": "service",
    "distributed": "dask",
    "dask": "dask",
    "power_grid_model": "network",
    "numba": "numba",
    "openpyxl": "excel",
}
"""Top-level module -> the extra of ``pyproject.toml`` that installs it: a command that needs a
module the install lacks says which extra to install, in one line."""


def missing_extra(exc: ModuleNotFoundError, what: str) -> str | None:
    """The line for ``what`` (a command, a request) needing an optional module that is not
    installed, or None when the module is not one an extra brings (a bug, shown as such)."""
    module = (exc.name or "").split(".")[0]
    extra = EXTRAS.get(module)
    if extra is None:
        return None
    return (
        f"{what}: needs the {extra} extra ({module} is missing); "
        f'install it with: pip install "evgrid[{extra}]"'
    )

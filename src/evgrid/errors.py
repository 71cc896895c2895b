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

    Parameters
    ----------
    message
        One line naming where (file, row, field), the offending value and what is allowed.
    """


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


def bad_value(where: str, value: object, allowed: str) -> InputError:
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
    """
    place = cut(one_line(where), SHOWN_WHERE_CHARS)
    return InputError(f"{place}: got {shown(value)}; allowed: {one_line(allowed)}")

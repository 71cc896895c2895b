"""Exception types.

Every error a user can cause is an :class:`InputError` whose message is one line naming the
file, row or field, the value and what is allowed. The CLI prints that line and exits with
status 2.
"""

from __future__ import annotations


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


def bad_value(where: str, value: object, allowed: str) -> InputError:
    """Build the standard one-line :class:`InputError`.

    Parameters
    ----------
    where
        What holds the value, e.g. ``"site.yaml: transformer_kva"`` or
        ``"sessions.csv row 12, energy_kwh"``.
    value
        The offending value, shown with ``repr``.
    allowed
        What is allowed, with the unit: ``"a number > 0 [kVA]"``.
    """
    return InputError(f"{where}: got {value!r}; allowed: {allowed}")

"""The one validation layer of everything that reaches the service from outside.

Pile messages (whatever their protocol: the adapters turn them into the calls of
:class:`~evgrid.service.adapters.PileEvents`), the operator's and owners' HTTP calls, the grid
signal's events and the command line's options all pass these checks before they touch the
service's state. A value that fails raises :class:`RefusedError` (an :class:`evgrid.InputError`, one
line naming the field, the value and what is allowed); a reference to something that belongs
to another pile raises :class:`ForeignReferenceError`. Each face answers in its own way: an OCPP
CallError (``PropertyConstraintViolation``, ``SecurityError``), HTTP 400/403 with a JSON body,
exit status 2 on the command line. The state is not changed by a refused message.

The ranges are the service's parameters (``service_*`` rows of ``evgrid/data/parameters.csv``).
"""

from __future__ import annotations

import math
import re
from datetime import UTC, datetime, timedelta
from typing import Any

from evgrid.errors import InputError, bad_value, shown
from evgrid.params import default

PILE_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._:-]{0,47}$")
"""A pile id: 1-48 characters, letters, digits and ``. _ : -``, not starting with a symbol
(OCPP 1.6 ``chargeBoxIdentity`` is at most 48 characters, OCPP-J 1.6 section 3.1.1; the
characters are those that need no escaping in a URL path segment, evgrid's choice)."""
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
"""No pile, meter or event time is older than this (evgrid's choice: a pile whose clock says
1970 has lost it)."""


class RefusedError(InputError):
    """A value or message the service does not take (one line: where, value, allowed)."""

    code = "PropertyConstraintViolation"
    """OCPP-J error code of the CallError that answers it (OCPP-J 1.6 section 4.2.3)."""


class ForeignReferenceError(RefusedError):
    """A pile named a transaction or connector that is not its own."""

    code = "SecurityError"


def refused(where: str, value: object, allowed: str) -> RefusedError:
    """A :class:`RefusedError` in the standard words (:func:`evgrid.errors.bad_value`)."""
    return RefusedError(str(bad_value(where, value, allowed)))


def number(where: str, value: Any, lo: float, hi: float, unit: str) -> float:
    """``value`` as a finite float in ``[lo, hi]``; booleans, text, NaN and inf are refused."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise refused(where, value, f"a number in [{lo:g}, {hi:g}] [{unit}]")
    x = float(value)
    if not (math.isfinite(x) and lo <= x <= hi):
        raise refused(where, value, f"a finite number in [{lo:g}, {hi:g}] [{unit}]")
    return x


def number_text(where: str, value: Any, lo: float, hi: float, unit: str) -> float:
    """A number given as a number or as decimal text (OCPP 1.6 ``sampledValue.value``)."""
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise refused(where, value, f"a decimal number in [{lo:g}, {hi:g}] [{unit}]") from None
    return number(where, value, lo, hi, unit)


def whole(where: str, value: Any, lo: int, hi: int) -> int:
    """``value`` as a whole number in ``[lo, hi]`` (an integral float such as 2.0 is taken)."""
    if isinstance(value, bool):
        raise refused(where, value, f"a whole number in [{lo}, {hi}]")
    if isinstance(value, float) and math.isfinite(value) and value == int(value):
        value = int(value)
    if not isinstance(value, int) or not lo <= value <= hi:
        raise refused(where, value, f"a whole number in [{lo}, {hi}]")
    return value


def when(
    where: str, value: Any, now: datetime | None = None, future_h: float | None = None
) -> datetime:
    """An ISO-8601 time (or a datetime) as aware UTC, not before :data:`EARLIEST` and, with
    ``now`` and ``future_h``, not more than ``future_h`` hours after ``now``."""
    from evgrid.service.clock import utc

    try:
        t = utc(value) if isinstance(value, str | datetime) else None
    except (ValueError, OverflowError):
        t = None
    latest = None if now is None or future_h is None else now + timedelta(hours=future_h)
    allowed = "an ISO-8601 time such as 2024-06-01T22:00:00Z" + (
        "" if latest is None else f", before {latest.isoformat(timespec='seconds')}"
    )
    if t is None or t < EARLIEST or (latest is not None and t > latest):
        raise refused(where, value, allowed)
    return t


def pile_id(where: str, value: Any) -> str:
    """A pile id (:data:`PILE_ID`)."""
    if not isinstance(value, str) or not PILE_ID.match(value):
        raise refused(where, value, "1-48 letters, digits or . _ : - (not starting with a symbol)")
    return value


def mapping(where: str, value: Any) -> dict[str, Any]:
    """A JSON object."""
    if not isinstance(value, dict):
        raise refused(where, value, "a JSON object")
    return value


def known_keys(where: str, data: dict[str, Any], allowed: tuple[str, ...]) -> None:
    """Refuse a key that is not one of ``allowed`` (a misspelt field is not ignored)."""
    for key in data:
        if key not in allowed:
            raise refused(
                f"{where}: {shown(key)}", data[key], "one of the fields " + ", ".join(allowed)
            )


# --- ranges from the parameter table -----------------------------------------------------------
def max_power_kw() -> float:
    """Largest power a pile may report [kW]."""
    return float(default("service_max_pile_power_kw"))


def max_energy_kwh() -> float:
    """Largest energy need a session may declare [kWh]."""
    return float(default("service_max_session_energy_kwh"))


def max_register_wh() -> float:
    """Largest energy register a pile may report [Wh]."""
    return float(default("service_max_register_kwh")) * 1000.0


def max_site_kw() -> float:
    """Largest site-meter reading taken [kW]."""
    return float(default("service_max_site_kw"))


def dr_event(event_id: Any, start: Any, end: Any, cap_kw: Any, now: datetime) -> Any:
    """A demand-response event, checked: an id of at most 128 characters, a start before its
    end, at most ``service_dr_max_event_h`` long, starting within ``service_dr_max_ahead_h``
    from ``now``, and a cap that is a finite power in [0, ``service_max_site_kw``] [kW].

    Returns
    -------
    evgrid.service.adapters.DrEvent
    """
    from evgrid.service.adapters import DrEvent

    if not isinstance(event_id, str) or not 0 < len(event_id) <= 128 or not event_id.isprintable():
        raise refused("event_id", event_id, "a text of 1-128 printable characters")
    ahead_h = float(default("service_dr_max_ahead_h"))
    t0 = when("start", start, now, ahead_h)
    t1 = when("end", end)
    longest_h = float(default("service_dr_max_event_h"))
    if not t0 < t1 <= t0 + timedelta(hours=longest_h):
        raise refused("end", end, f"a time after the start and at most {longest_h:g} h after it")
    cap = number("cap_kw", cap_kw, 0.0, max_site_kw(), "kW")
    return DrEvent(event_id, t0, t1, cap)


def registration(
    pile: Any,
    security_profile: Any = 0,
    connectors: Any = 1,
    phases: Any = None,
    max_a: Any = None,
) -> dict[str, Any]:
    """A pile's registration, checked: its id (:data:`PILE_ID`), security profile 0-3,
    1-8 connectors, 1-3 phases and a maximum current in the ``service_pile_max_a`` row's range
    (defaults from the table)."""
    from evgrid.params import parameter

    phases = default("service_pile_phases") if phases is None else phases
    max_a = default("service_pile_max_a") if max_a is None else max_a
    return {
        "id": pile_id("pile", pile),
        "security_profile": whole("security_profile", security_profile, 0, 3),
        "connectors": whole("connectors", connectors, 1, 8),
        "phases": parameter("service_pile_phases").check(phases, "phases"),
        "max_a": float(parameter("service_pile_max_a").check(max_a, "max_a")),
    }

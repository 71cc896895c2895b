"""Timestamps in input files: the site's zone, and UTC instants turned into its wall clock.

Rule: a timestamp without a UTC offset (*naive*) is the site's local wall-clock time; one with
an offset (``+08:00``, ``Z``) is an instant and is converted to the site's wall clock. A file
must not mix the two (it is refused, naming the first row that differs from the first row).
Hours inside evgrid count on that wall clock, so a day always has 24 h.
"""

from __future__ import annotations

import functools
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np
import numpy.typing as npt

from evgrid.errors import bad_value

DEFAULT_TZ = "Asia/Shanghai"
"""Time zone of naive timestamps when none is given: China Standard Time (UTC+8, no daylight
saving), the zone of the report's sites and of Chinese metering data (report section 2)."""

NS_PER_S = 1_000_000_000
NS_PER_HOUR = 3600 * NS_PER_S
NS_PER_DAY = 24 * NS_PER_HOUR

ISO_PATTERN = (
    r"^[0-9]{4}-[0-9]{2}-[0-9]{2}"
    r"([T ][0-9]{2}(:[0-9]{2}(:[0-9]{2}([.][0-9]{1,9})?)?)?(Z|[+-][0-9]{2}(:?[0-9]{2})?)?)?$"
)
"""ISO-8601 date and time as evgrid reads it: ``2024-05-01``, ``2024-05-01T18:30``,
``2024-05-01 18:30:00.5``, each optionally with ``Z`` or ``+08:00`` / ``+0800`` / ``+08``."""

AWARE_PATTERN = r"[T ][0-9:.]+(Z|[+-][0-9]{2}(:?[0-9]{2})?)$"
"""A timestamp (already matching :data:`ISO_PATTERN`) that carries a UTC offset."""

ISO_ALLOWED = "an ISO-8601 time, e.g. 2024-05-01T18:30 (local) or 2024-05-01T18:30+08:00"


@functools.lru_cache(maxsize=8)
def _zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def site_zone(tz: str | None, where: str = "tz") -> ZoneInfo:
    """The site's time zone: ``tz``, or :data:`DEFAULT_TZ` when ``None``.

    Raises
    ------
    InputError
        Not an IANA time-zone name known to this machine.
    """
    name = DEFAULT_TZ if tz is None else tz
    try:
        return _zone(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise bad_value(
            where,
            name,
            "an IANA time-zone name such as Asia/Shanghai (if none is found, install tzdata)",
        ) from None


def _offset_s(second: int, zone: ZoneInfo) -> int:
    offset = datetime.fromtimestamp(second, zone).utcoffset()
    return 0 if offset is None else int(offset.total_seconds())


def utc_to_local_ns(utc_ns: npt.NDArray[np.int64], zone: ZoneInfo) -> npt.NDArray[np.int64]:
    """UTC instants [ns since 1970] as wall-clock times of ``zone`` [ns since 1970, naive].

    The offset is looked up once an hour of the data (offsets are constant within an hour
    except across a transition, where each instant is looked up on its own), so a million
    timestamps cost milliseconds.
    """
    utc_ns = np.asarray(utc_ns, dtype=np.int64)
    if utc_ns.size == 0:
        return utc_ns.copy()
    hours, inverse = np.unique(utc_ns // NS_PER_HOUR, return_inverse=True)
    start = np.array([_offset_s(int(h) * 3600, zone) for h in hours], dtype=np.int64)
    end = np.array([_offset_s(int(h) * 3600 + 3599, zone) for h in hours], dtype=np.int64)
    offset = start[inverse]
    for i in np.flatnonzero(np.isin(inverse, np.flatnonzero(start != end))):
        offset[i] = _offset_s(int(utc_ns[i] // NS_PER_S), zone)
    return utc_ns + offset * NS_PER_S

"""Work and memory estimates before large allocations: refuse in one line instead of failing late.

A run that would need more memory than the machine has gets an :class:`~evgrid.errors.InputError`
("needs about N GiB; this machine has M GiB available") before any large array is allocated,
instead of a ``MemoryError`` or a swap storm minutes later.
"""

from __future__ import annotations

import os

from evgrid.errors import InputError

GIB = 2.0**30
"""Bytes in a GiB [B]."""

MEMORY_SHARE = 0.8
"""Share of the available memory a single run may plan to use [-]."""


def available_bytes() -> float:
    """Memory available to a new allocation [B]: ``MemAvailable`` of ``/proc/meminfo`` where
    there is one, else the physical memory."""
    try:
        with open("/proc/meminfo", encoding="ascii") as handle:
            for line in handle:
                if line.startswith("MemAvailable:"):
                    return float(line.split()[1]) * 1024.0
    except OSError:
        pass
    try:
        return float(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES"))
    except (ValueError, OSError, AttributeError):
        return float("inf")


def require_memory(nbytes: float, what: str) -> None:
    """Refuse a run whose estimated memory is above :data:`MEMORY_SHARE` of what is available.

    Parameters
    ----------
    nbytes
        Estimated peak memory of the run [B].
    what
        What would be allocated, e.g. ``"days 100000000"``, named in the message.

    Raises
    ------
    InputError
        ``WHAT: needs about N GiB; this machine has M GiB available``.
    """
    have = available_bytes()
    if nbytes > MEMORY_SHARE * have:
        raise InputError(
            f"{what}: needs about {nbytes / GIB:,.1f} GiB; this machine has "
            f"{have / GIB:,.1f} GiB available"
        )

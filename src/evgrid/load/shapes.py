"""Typical daily base-load shapes, scaled to a site's peak and night valley.

The shapes live in ``evgrid/data/load_shapes/*.csv`` (hourly, normalised 0 = valley, 1 = peak,
with a note on the source of every point; see the README there). The residential shape follows
the report's section 3.1: peak 20:00-21:00, valley 23:00-07:00, peak-valley difference 50-60 %.
The office shape (daytime peak, low nights) is an evgrid assumption: the report shows the office
parks' typical-day curves (section 4, figures 7 and 4-1) but gives no values.
"""

from __future__ import annotations

import csv
import io
from functools import cache
from importlib import resources
from typing import Literal

import numpy as np

from evgrid.errors import bad_value
from evgrid.load.curve import LoadCurve
from evgrid.timegrid import DEFAULT_SLOT_MIN, FloatArray, TimeGrid

ShapeKind = Literal["residential", "office"]
SHAPE_KINDS: tuple[str, ...] = ("residential", "office")

SHAPE_SLOT_MIN = 60.0
"""Resolution of the bundled shapes: hourly means [min]."""

RESIDENTIAL_VALLEY_FRACTION = 0.40
"""Default residential valley / peak [-]: the report's case table (A 352/880, B 753/1883,
C 1463/3659 kW = 0.40), i.e. a 60 % peak-valley difference, the top of the 50-60 % range of
report section 3.1."""

OFFICE_VALLEY_FRACTION = 0.30
"""Default office night load / peak [-]: evgrid assumption (base load of HVAC standby, IT and
lighting); the report gives no office valley. Replace with a measured curve where one exists."""

DEFAULT_VALLEY_FRACTION: dict[str, float] = {
    "residential": RESIDENTIAL_VALLEY_FRACTION,
    "office": OFFICE_VALLEY_FRACTION,
}


@cache
def _shape_pu(kind: str) -> FloatArray:
    text = (
        resources.files("evgrid").joinpath("data", "load_shapes", f"{kind}.csv").read_text("utf-8")
    )
    rows = list(csv.DictReader(io.StringIO(text)))
    hours = np.array([int(r["hour"]) for r in rows])
    shape = np.array([float(r["shape_pu"]) for r in rows], dtype=np.float64)
    if not np.array_equal(hours, np.arange(24)):
        raise ValueError(f"bundled shape {kind}.csv must list hours 0..23 in order")
    shape.setflags(write=False)
    return shape


def shape_pu(kind: str) -> FloatArray:
    """The normalised hourly shape: 0 at the night valley, 1 at the peak.

    Parameters
    ----------
    kind
        ``"residential"`` or ``"office"``.

    Returns
    -------
    numpy.ndarray
        Shape ``(24,)``, hour ``h`` covering ``[h, h + 1)`` [-].
    """
    if not isinstance(kind, str) or kind not in SHAPE_KINDS:
        raise bad_value("load shape kind", kind, " or ".join(SHAPE_KINDS))
    return _shape_pu(kind)


def typical_curve(
    kind: ShapeKind | str,
    peak_kw: float,
    valley_kw: float | None = None,
    slot_min: float = DEFAULT_SLOT_MIN,
) -> LoadCurve:
    """One typical day scaled so its maximum is ``peak_kw`` and its night minimum ``valley_kw``.

    ``power_kw = valley_kw + (peak_kw - valley_kw) * shape_pu``, each hourly value held over
    the hour's slots, so max and min are exact at any slot length that divides the hour or is a
    whole number of hours.

    Parameters
    ----------
    kind
        ``"residential"`` (peak 20:00-21:00, valley 23:00-07:00, report section 3.1) or
        ``"office"`` (daytime peak).
    peak_kw
        The site's regular peak [kW], > 0.
    valley_kw
        The site's regular night valley [kW], 0 <= valley <= peak; default
        :data:`RESIDENTIAL_VALLEY_FRACTION` or :data:`OFFICE_VALLEY_FRACTION` of the peak.
    slot_min
        Slot length [min].

    Returns
    -------
    LoadCurve
        One day, ``power_kw`` shape ``(1, 1440 / slot_min)`` [kW].
    """
    from evgrid.params import Spec

    shape = shape_pu(kind)
    peak_kw = Spec("peak_kw", "kW", "(0, inf)").check(peak_kw, f"{kind} typical curve: peak_kw")
    if valley_kw is None:
        valley_kw = DEFAULT_VALLEY_FRACTION[kind] * peak_kw
    valley_kw = Spec("valley_kw", "kW", "[0, inf)").check(
        valley_kw, f"{kind} typical curve: valley_kw"
    )
    if not valley_kw <= peak_kw:
        raise bad_value(
            f"{kind} typical curve: valley_kw", valley_kw, f"a number in [0, {peak_kw:g}] [kW]"
        )
    hourly_kw = valley_kw + (peak_kw - valley_kw) * shape
    grid = TimeGrid(slot_min=slot_min)
    hourly = LoadCurve(hourly_kw, SHAPE_SLOT_MIN, f"typical {kind}")
    return LoadCurve(hourly.days_on(grid.slot_min), grid.slot_min, f"typical {kind}")

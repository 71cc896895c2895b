"""Base-load curves: typical shapes scaled to a site, measured curves (loaded on first use)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from evgrid._lazy import lazy_exports

_EXPORTS = {
    "LoadCurve": "evgrid.load.curve",
    "resample_day_kw": "evgrid.load.curve",
    "read_base_load": "evgrid.load.measured",
    "read_load_curve": "evgrid.load.measured",
    "site_load_curve": "evgrid.load.measured",
    "SHAPE_KINDS": "evgrid.load.shapes",
    "shape_pu": "evgrid.load.shapes",
    "typical_curve": "evgrid.load.shapes",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:
    from evgrid.load.curve import LoadCurve, resample_day_kw
    from evgrid.load.measured import read_base_load, read_load_curve, site_load_curve
    from evgrid.load.shapes import SHAPE_KINDS, shape_pu, typical_curve

__all__ = list(_EXPORTS)

"""Base-load curves: typical shapes scaled to a site, measured curves."""

from evgrid.load.curve import LoadCurve, resample_day_kw
from evgrid.load.measured import read_base_load, read_load_curve, site_load_curve
from evgrid.load.shapes import SHAPE_KINDS, shape_pu, typical_curve

__all__ = [
    "SHAPE_KINDS",
    "LoadCurve",
    "read_base_load",
    "read_load_curve",
    "resample_day_kw",
    "shape_pu",
    "site_load_curve",
    "typical_curve",
]

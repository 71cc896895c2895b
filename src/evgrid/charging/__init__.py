"""Charging strategies: one module each, one signature (see :mod:`evgrid.charging.schedule`)."""

from evgrid.charging.schedule import Schedule

__all__ = ["Schedule"]

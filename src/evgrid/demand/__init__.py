"""Charging demand: behaviour statistics, vectorised session sampling, session files."""

from evgrid.demand.sessions import Sessions

__all__ = ["Sessions"]

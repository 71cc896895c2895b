"""Charging demand: behaviour statistics, vectorised session sampling, session files."""

from evgrid.demand.behaviour import Behaviour
from evgrid.demand.distributions import Binned, Discrete, read_distribution
from evgrid.demand.sampling import sample_sessions
from evgrid.sessions import Sessions

__all__ = ["Behaviour", "Binned", "Discrete", "Sessions", "read_distribution", "sample_sessions"]

"""The Monte Carlo fleet of a network study and the piles' charging: every parking space of the
area with a car sampled from the behaviour, the spaces in a random order (a pile ratio ``r`` puts
piles and their cars on the first ``round(r * spaces)``, so the same piles are present at every
larger ratio), the households' load over the horizon (one warm-up day, the study's days, one
cool-down day, as the time-series tier), and each pile's load under a strategy
(:mod:`evgrid.network.study` judges them). A household's load is the typical residential day
scaled to the planning index (report 3.1: 13 W/m² x 100 m² = 1.3 kW at the evening peak, the
valley at the report's 0.4 of the peak) unless a site's own day is given.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from evgrid.errors import bad_value
from evgrid.network.limits import Limits
from evgrid.network.model import Network
from evgrid.params import default
from evgrid.timegrid import FloatArray, TimeGrid

NETWORK_STRATEGY = "network-valley-filling"
"""Name of valley filling under the network's nested limits."""

PROFILE_CHUNK_BYTES = 256 * 2**20
"""Largest sessions x slots block of a separable strategy's pile profiles [B] (memory bound)."""

WARMUP_DAYS = 1
COOLDOWN_DAYS = 1


@dataclass(frozen=True)
class Fleet:
    """The area's households, cars and horizon for one study (built once, used at every ratio)."""

    net: Network
    grid: TimeGrid
    household_kw: FloatArray
    space_bus: np.ndarray
    space_rank: np.ndarray
    sessions: Any
    eval_slice: slice

    @staticmethod
    def build(
        net: Network,
        days: int,
        rng: np.random.Generator,
        behaviour: Any,
        household_day_kw: FloatArray | None = None,
    ) -> Fleet:
        """Sample every space's car and the households' load over ``days`` (and the margins).

        ``household_day_kw`` is one household's day ``(96,)`` [kW] (a site's measured curve per
        household, say); default the typical residential day at the planning index.
        """
        from evgrid.demand.behaviour import Behaviour
        from evgrid.demand.sampling import sample_sessions
        from evgrid.load.shapes import typical_curve

        grid = TimeGrid(
            slot_min=float(default("slot_min")), n_days=days + WARMUP_DAYS + COOLDOWN_DAYS
        )
        if household_day_kw is not None:
            day = np.asarray(household_day_kw, dtype=np.float64)
            if day.shape != (grid.slots_per_day,) or not np.all(np.isfinite(day)) or day.min() < 0:
                raise bad_value(
                    "household_day_kw", day.shape, f"{grid.slots_per_day} finite values >= 0 [kW]"
                )
        peak = (
            float(default("residential_index_w_per_m2"))
            * float(default("floor_area_per_household_m2"))
            / 1e3
        )
        curve = typical_curve(
            "residential",
            peak,
            peak * float(default("valley_to_peak_ratio")),
            slot_min=grid.slot_min,
        )
        household_kw = curve.on_grid(grid) if household_day_kw is None else grid.tile_daily(day)
        spaces = np.asarray(net.spaces)
        space_bus = np.repeat(np.arange(net.n_bus), spaces)
        sample_rng, order_rng = rng.spawn(2)
        b = Behaviour.load(default("behaviour_residential") if behaviour is None else behaviour)
        sessions = sample_sessions(b, int(space_bus.size), days=days + WARMUP_DAYS, rng=sample_rng)
        rank = np.empty(space_bus.size, np.int64)
        rank[order_rng.permutation(space_bus.size)] = np.arange(space_bus.size)
        spd = grid.slots_per_day
        return Fleet(
            net,
            grid,
            household_kw,
            space_bus,
            rank,
            sessions,
            slice(WARMUP_DAYS * spd, (WARMUP_DAYS + days) * spd),
        )

    def piles_at(self, ratio: float) -> tuple[Network, np.ndarray]:
        """The network with piles on the first ``round(ratio * spaces)`` spaces (phases
        assigned), and the space of each pile."""
        from evgrid.network.phases import assign_phases

        k = int(np.floor(ratio * self.space_bus.size + 0.5 + 1e-9))
        chosen = np.flatnonzero(self.space_rank < k)
        chosen = chosen[np.argsort(self.space_rank[chosen])]
        net = self.net.with_piles(self.space_bus[chosen], np.full(chosen.size, -1, np.int64))
        return assign_phases(net), chosen


def pile_profiles(
    fleet: Fleet,
    net: Network,
    spaces: np.ndarray,
    strategy: str,
    rng: np.random.Generator,
    limits: Limits | None = None,
    participation: float = 1.0,
) -> FloatArray:
    """Charging power of every pile per slot of the horizon ``(n_slots, n_pile)`` [kW]; with
    ``participation`` below 1 that share of the cars follows the strategy, the rest charge
    uncontrolled (:func:`evgrid.charging.strategies.schedule`)."""
    import scipy.sparse as sp

    from evgrid.charging.strategies import get_strategy, schedule

    s_all = fleet.sessions
    pile_of_space = np.full(fleet.space_bus.size, -1, np.int64)
    pile_of_space[spaces] = np.arange(spaces.size)
    keep = pile_of_space[s_all.vehicle] >= 0
    from evgrid.sessions import Sessions

    pile = pile_of_space[s_all.vehicle[keep]]
    # a car charges at most at its pile's rating (a 7 kW home pile, whatever the car takes)
    power = np.minimum(s_all.max_power_kw[keep], net.pile_kw[pile])
    sessions = Sessions(
        s_all.arrival_h[keep],
        s_all.departure_h[keep],
        s_all.energy_kwh[keep],
        power,
        s_all.vehicle[keep],
    )
    if len(sessions) == 0:
        return np.zeros((fleet.grid.n_slots, spaces.size))
    base_kw = fleet.household_kw * float(net.households.sum())
    if strategy == NETWORK_STRATEGY:
        from evgrid.network.nested_limits import network_valley_filling

        session_kw = network_valley_filling(
            net, sessions, pile, fleet.grid, fleet.household_kw, limits=limits
        )
        return _to_piles(sp.csr_array(session_kw), pile, spaces.size).T
    chosen = get_strategy(strategy)
    # a car's load that is its own alone (uncontrolled charging) is summed in bounded chunks of
    # cars: a year of a few thousand cars' sessions x slots would not fit in memory at once
    per_chunk = max(1, int(PROFILE_CHUNK_BYTES // (8 * fleet.grid.n_slots)))
    separable = chosen.separable and not chosen.random and len(sessions) > per_chunk
    bounds = range(0, len(sessions), per_chunk) if separable else range(1)
    out = np.zeros((spaces.size, fleet.grid.n_slots))
    for lo in bounds:
        part = np.arange(lo, min(lo + per_chunk, len(sessions))) if separable else None
        sched = schedule(
            sessions if part is None else sessions.take(part),
            strategy,
            grid=fleet.grid,
            base_kw=base_kw,
            participation=participation,
            rng=rng,
            per_session=True,
        )
        out += _to_piles(
            sp.csr_array(sched.session_kw), pile if part is None else pile[part], spaces.size
        )
    return out.T


def _to_piles(session_kw: Any, pile: np.ndarray, n_piles: int) -> FloatArray:
    """Each pile's load per slot ``(n_piles, n_slots)`` [kW] from its sessions' ``session_kw``."""
    import scipy.sparse as sp

    to_pile = sp.csr_array(
        (np.ones(pile.size), (pile, np.arange(pile.size))), shape=(n_piles, pile.size)
    )
    return np.asarray((to_pile @ session_kw).toarray())


def own_pile_spaces(fleet: Fleet, net: Network) -> np.ndarray:
    """A space (and so a car) for each of the network's own piles: the first free space of its
    bus in the random order."""
    out = np.empty(net.n_pile, np.int64)
    taken = np.zeros(fleet.space_bus.size, dtype=bool)
    order = np.argsort(fleet.space_rank)
    for k, b in enumerate(net.pile_bus):
        free = order[(fleet.space_bus[order] == b) & ~taken[order]]
        if free.size == 0:
            raise bad_value(
                f"network {net.name}: bus {net.bus_names[b]} piles",
                int(np.sum(net.pile_bus == b)),
                "at most the bus's parking spaces",
            )
        out[k] = free[0]
        taken[free[0]] = True
    return out


__all__ = ["NETWORK_STRATEGY", "Fleet", "own_pile_spaces", "pile_profiles"]

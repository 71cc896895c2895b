"""Coincidence factor of uncontrolled charging against the number of piles (Monte Carlo).

The coincidence factor of n piles is the peak of their aggregate uncontrolled charging power
divided by the sum of their ratings. Chinese design practice sizes the supply of charging piles
with a demand coefficient on the installed rating that falls as the number of piles grows (see
``docs/coincidence.md``); this module derives the same curve from the behaviour model, which is
what links the planning-index tier (one kW per pile) to the time-series tier.

All runs of one pile count are done in a single vectorised call: run r's sessions are shifted by
``r * block_h`` onto a common long grid whose blocks are long enough that no session spills
into the next block, and the peak of each block is one reshape and ``max`` away.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from evgrid.charging.uncontrolled import uncontrolled
from evgrid.demand.behaviour import Behaviour
from evgrid.demand.distributions import Discrete
from evgrid.demand.sampling import sample_sessions
from evgrid.errors import bad_value
from evgrid.params import as_generator, parameter
from evgrid.timegrid import DEFAULT_SLOT_MIN, HOURS_PER_DAY, FloatArray, IntArray, TimeGrid

DESIGN_DEMAND_COEFFICIENTS: tuple[tuple[int, float, float, float], ...] = (
    (5, 10, 0.75, 0.85),
    (10, 50, 0.55, 0.65),
    (50, float("inf"), 0.40, 0.45),
)
"""Chinese design-practice demand coefficients of charging piles: (fewest piles, most piles,
lowest, highest coefficient), about 0.75-0.85 for 5-10 piles, 0.55-0.65 for 10-50, 0.40-0.45
above 50. Source unverified: no code or handbook table with these values has been found
(docs/validation-demand.md). The report's findings imply 0.55 for a residential 7 kW pile
(report section 3; docs/index-model.md)."""


@dataclass(frozen=True, eq=False)
class CoincidenceCurve:
    """Coincidence factor against the number of piles.

    Parameters
    ----------
    n_piles
        Pile counts, shape ``(k,)`` [-].
    mean
        Mean over runs of peak ÷ installed rating, shape ``(k,)`` [-].
    p05, p95
        5th and 95th percentiles over runs, shape ``(k,)`` [-].
    pile_kw
        Rating of every pile [kW].
    n_runs
        Monte Carlo runs per pile count [-].
    average_day
        Peak of the average run (the runs' load averaged slot by slot, then its maximum) ÷
        installed rating, shape ``(k,)`` [-]: the statistic of a published average profile.
    """

    n_piles: IntArray
    mean: FloatArray
    p05: FloatArray
    p95: FloatArray
    pile_kw: float
    n_runs: int
    average_day: FloatArray | None = None


def design_coefficient(n_piles: int) -> tuple[float, float] | None:
    """The design-practice demand coefficient range for ``n_piles``, or ``None`` below 5."""
    for low, high, c_low, c_high in DESIGN_DEMAND_COEFFICIENTS:
        if low <= n_piles <= high:
            return c_low, c_high
    return None


def coincidence_factor(
    behaviour: Behaviour,
    n_piles: npt.ArrayLike,
    *,
    pile_kw: float | None = None,
    n_runs: int | None = None,
    days: int = 1,
    slot_min: float = DEFAULT_SLOT_MIN,
    rng: np.random.Generator | int | None = None,
) -> CoincidenceCurve:
    """Monte Carlo coincidence factor of uncontrolled charging for each pile count.

    Parameters
    ----------
    behaviour
        Charging behaviour; its charger power is replaced by ``pile_kw`` for every car.
    n_piles
        Pile counts, whole numbers >= 1 [-].
    pile_kw
        Rating of every pile [kW]; default the parameter ``pile_rating_kw`` (7 kW).
    n_runs
        Monte Carlo runs per pile count [-]; default the parameter ``coincidence_runs``.
    days
        Days per run [days]; the peak is over the whole run.
    slot_min
        Slot length [min]; the peak is the largest slot mean.
    rng
        Generator or seed.

    Returns
    -------
    CoincidenceCurve
        Mean and 5th/95th percentiles of peak ÷ ``n * pile_kw`` over the runs.
    """
    from evgrid.checks import floats, instance, whole

    instance(behaviour, Behaviour, "behaviour", "a Behaviour (Behaviour.preset or from_file)")
    pile_kw = parameter("pile_rating_kw").resolve(pile_kw, "pile_kw")
    n_runs = parameter("coincidence_runs").resolve(n_runs, "n_runs")
    days = whole(days, "days", minimum=1, unit="day")
    counts = np.atleast_1d(floats(n_piles, "n_piles", "whole numbers >= 1", ndim=None))
    if counts.ndim != 1 or np.any(counts < 1) or np.any(counts != np.round(counts)):
        raise bad_value("n_piles", counts.tolist(), "whole numbers >= 1")
    gen = as_generator(rng)
    b = dataclasses.replace(behaviour, charger_power_kw=Discrete.constant(pile_kw))
    # a session arrives before the end of its run's days and leaves within a day and a dwell
    block_days = int(days) + 2
    grid = TimeGrid(slot_min=slot_min, n_days=block_days * int(n_runs))
    per_block = grid.slots_per_day * block_days
    stats = np.empty((4, counts.size))
    for i, n in enumerate(counts.astype(np.int64)):  # a handful of pile counts
        s = sample_sessions(b, int(n) * int(n_runs), days, rng=gen)
        run = s.vehicle // n
        shift_h = run * (block_days * HOURS_PER_DAY)
        runs_sessions = type(s)(
            s.arrival_h + shift_h, s.departure_h + shift_h, s.energy_kwh, s.max_power_kw, s.vehicle
        )
        charging = uncontrolled(runs_sessions, grid).charging_kw
        runs = charging.reshape(int(n_runs), per_block)
        peak = runs.max(axis=1) / (n * pile_kw)
        average = runs.mean(axis=0).max() / (n * pile_kw)
        stats[:, i] = peak.mean(), *np.quantile(peak, [0.05, 0.95]), average
    return CoincidenceCurve(
        counts.astype(np.int64), stats[0], stats[1], stats[2], pile_kw, n_runs, stats[3]
    )

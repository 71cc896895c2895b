"""One Monte Carlo fleet: a site's cars over simulated days, built in one place for every command.

A :class:`Fleet` is what every Monte Carlo answer of a site starts from: the time grid (a
warm-up day, the evaluated days and a cool-down day), the site's regular load on it, the
behaviour, one car per parking space with its sampled sessions, the order in which cars get a
pile, and the seeds of the orders of willingness and of the strategies' own draws. The hosting
capacity (:mod:`evgrid.planning.timeseries.run`), the years of a scenario
(:mod:`evgrid.planning.timeseries.years`), the report's figure 6–7 comparison
(:mod:`evgrid.planning.orderly_impact`) and the incentives (:mod:`evgrid.incentives.fleet`) all
take their cars from :func:`sample_fleet`, so **the same seed and days give the same cars in every
command**: the cars of a share of the spaces are the first cars of the whole fleet
(:meth:`Fleet.first`).

Randomness. A seed (an integer) is combined with the site's name into the site's own stream,
``SeedSequence([seed, sha256(name)[:16]])`` (:func:`site_stream`), the stream a city run gives
the site of that id; a :class:`numpy.random.SeedSequence` or a generator is used as it is. The
stream is split once, always in the same way, into the sessions, the orders of willingness and
the strategies' seed.

Order of cars. Cars are sampled independently, so their index is already a random order: pile
ratio ``r`` takes the first ``round(r × spaces)`` cars, and the same cars are present at every
larger ratio. A share ``p`` of the present cars follows a coordinated strategy by the same
order (:func:`evgrid.charging.participation.participating_cars`), so ``round(p × k)`` of the
first ``k`` cars follow, for every ``k``.

Horizon. ``days + 2`` days: day 0 is a warm-up day (its evening sessions charge into day 1, and
it sets the thermal state), days ``1 .. days`` are evaluated, and the last day is a cool-down
day with no new arrivals, so the overnight sessions of the last evaluated evening can finish.
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from evgrid.demand.behaviour import Behaviour
from evgrid.errors import bad_value
from evgrid.params import default, parameter
from evgrid.planning.result import RegularLoad
from evgrid.resources import require_memory
from evgrid.sessions import Sessions
from evgrid.timegrid import FloatArray, TimeGrid

WARMUP_DAYS = 1
"""Days simulated before the evaluated days (overnight sessions, thermal state) [day]."""

COOLDOWN_DAYS = 1
"""Days simulated after the evaluated days, without new arrivals [day]."""

BYTES_PER_VALUE = 8.0
"""A float64 [B]."""

STREAMS = ("sessions", "orders", "strategy")
"""The parts a fleet's stream is split into, in this order (never reordered: the same seed must
give the same cars in every release that keeps this tuple)."""


def site_stream(rng: Any, key: str) -> np.random.SeedSequence | np.random.Generator:
    """The random stream of one site.

    Parameters
    ----------
    rng
        A seed (whole number >= 0; None for the parameter ``seed``), a
        :class:`~numpy.random.SeedSequence` or a :class:`~numpy.random.Generator`.
    key
        The site's id (its name unless a city table gives an ``id``).

    Returns
    -------
    SeedSequence or Generator
        For a seed, ``SeedSequence([seed, *four words of SHA-256(key)])``: the stream a city
        run of that seed gives the site of that id; otherwise ``rng`` as it is.
    """
    if isinstance(rng, np.random.SeedSequence | np.random.Generator):
        return rng
    seed = parameter("seed").resolve(rng, "seed")
    words = np.frombuffer(hashlib.sha256(str(key).encode("utf-8")).digest()[:16], dtype="<u4")
    return np.random.SeedSequence([int(seed), *(int(w) for w in words)])


def _children(stream: np.random.SeedSequence | np.random.Generator) -> list[np.random.Generator]:
    parts = stream.spawn(len(STREAMS))
    return [p if isinstance(p, np.random.Generator) else np.random.default_rng(p) for p in parts]


def site_base_kw(
    site: Any,
    grid: TimeGrid,
    study_year: int | None = None,
    *,
    seasonal: bool = False,
    warmup_days: int = WARMUP_DAYS,
    cooldown_days: int = COOLDOWN_DAYS,
) -> tuple[FloatArray, RegularLoad]:
    """A site's regular load on the grid's horizon, ``(grid.n_slots,)`` [kW], and its basis.

    The same basis as the planning-index tier (:func:`evgrid.planning.index.regular_load` and
    the office model): a measured curve as it is; measured peak and valley on the typical shape;
    the planning index (1.3 kW per household, report 3.1) where a community has no measurement
    or, new and still filling up, measures below it (the curve or shape scaled up to the index
    peak); an office park's load at saturation (the measured curve or peak × the saturation
    factor, report 4.2).

    With ``seasonal``, a community without a measured curve takes the typical day of each
    simulated day's season and day type (:mod:`evgrid.load.seasons`) on the study year's
    calendar: its peak and valley on the summer weekday, the others scaled.

    Parameters
    ----------
    site
        The site.
    grid
        The horizon.
    study_year
        The study year that decides which communities are new, and the calendar of the seasons
        [year]; default the parameter.
    seasonal
        Seasonal and weekday typical days (the design basis) instead of one typical day.
    warmup_days, cooldown_days
        Days of the horizon before and after the evaluated days (their calendar) [day].
    """
    from evgrid.load.measured import site_load_curve
    from evgrid.load.shapes import typical_curve
    from evgrid.planning.assumptions import OfficeAssumptions, ResidentialAssumptions
    from evgrid.planning.index import regular_load

    if site.kind == "office":
        factor = OfficeAssumptions().saturation_factor
        curve_kw = site_load_curve(site, slot_min=grid.slot_min).on_grid(grid) * factor
        peak_kw = float(site.regular_peak_kw * factor)
        return curve_kw, RegularLoad(peak_kw, float(curve_kw.min()), "measured peak at saturation")
    a = ResidentialAssumptions()
    if study_year is not None:
        a = dataclasses.replace(a, study_year=study_year)
    reg = regular_load(site, a)
    if site.load_curve is not None:
        curve_kw = site_load_curve(site, slot_min=grid.slot_min).on_grid(grid)
        return curve_kw * (reg.peak_kw / float(curve_kw.max())), reg
    if seasonal:
        from evgrid.load.seasons import calendar, day_type_index, seasonal_days_kw

        n_eval = int(grid.n_days) - warmup_days - cooldown_days
        month, weekend = calendar(n_eval, warmup_days, cooldown_days, a.study_year)
        days = seasonal_days_kw(
            reg.peak_kw, reg.valley_kw, day_type_index(month, weekend), grid.slot_min
        )
        return days.reshape(-1), reg
    curve = typical_curve("residential", reg.peak_kw, reg.valley_kw, slot_min=grid.slot_min)
    return curve.on_grid(grid), reg


def site_ambient_c(site: Any, basis: Any, grid: TimeGrid, year: int) -> float | FloatArray:
    """Ambient temperature of a site's transformer over the horizon [°C].

    The site's ``climate`` first, then an ``ambient_c`` other than the rated 20 °C (the site
    says so), then the basis's climate normal (:mod:`evgrid.grid.climate`) on the calendar of
    ``year`` (:func:`evgrid.load.seasons.calendar`); a basis without one takes the site's
    ``ambient_c``.

    Returns
    -------
    float or numpy.ndarray
        A constant, or ``(grid.n_slots,)`` [°C].
    """
    from evgrid.grid.climate import load_climate
    from evgrid.load.seasons import calendar

    own = getattr(site, "climate", None)
    constant = float(getattr(site, "ambient_c", default("ambient_c")))
    if own is not None:
        chosen: Any = own
    elif constant != float(default("ambient_c")) or basis.climate is None:
        return constant
    else:
        chosen = basis.climate
    n_eval = int(grid.n_days) - WARMUP_DAYS - COOLDOWN_DAYS
    month, _ = calendar(n_eval, WARMUP_DAYS, COOLDOWN_DAYS, year)
    return load_climate(chosen).ambient_c(month, grid.slot_min)


class EvaluatedDays:
    """The evaluated days of a horizon with warm-up and cool-down days: needs the attributes
    ``grid`` (:class:`~evgrid.timegrid.TimeGrid`) and ``eval_days`` (a slice of day indices)."""

    grid: TimeGrid
    eval_days: slice

    @property
    def n_days(self) -> int:
        """Evaluated days [day]."""
        return int(self.eval_days.stop - self.eval_days.start)

    @property
    def eval_slots(self) -> slice:
        """Slots of the evaluated days."""
        spd = self.grid.slots_per_day
        return slice(self.eval_days.start * spd, self.eval_days.stop * spd)

    def typical_day(self, series_kw: npt.ArrayLike) -> FloatArray:
        """Mean over the evaluated days of a horizon series ``(..., n_slots)``,
        ``(..., slots_per_day)`` [kW]."""
        values = np.asarray(series_kw, dtype=np.float64)
        spd = self.grid.slots_per_day
        days = values[..., self.eval_slots]
        return days.reshape(*values.shape[:-1], self.n_days, spd).mean(axis=-2)

    def daily_peaks(self, series_kw: npt.ArrayLike) -> FloatArray:
        """Peak of each evaluated day, ``(..., n_days)`` [kW]."""
        values = np.asarray(series_kw, dtype=np.float64)
        days = values[..., self.eval_slots]
        return days.reshape(*values.shape[:-1], self.n_days, self.grid.slots_per_day).max(-1)


@dataclass(frozen=True, eq=False)
class Fleet(EvaluatedDays):
    """A site's cars on a linear horizon of simulated days (see the module docstring).

    Parameters
    ----------
    site_name
        The site.
    grid
        The horizon: :data:`WARMUP_DAYS`, the evaluated days, :data:`COOLDOWN_DAYS`.
    eval_days
        The evaluated days of the horizon [day index].
    base_kw
        Regular load over the horizon, ``(n_slots,)`` [kW].
    regular
        The regular load's peak, valley and basis.
    behaviour
        The charging behaviour the sessions were sampled from.
    behaviour_name
        Its preset name, or ``"given"`` for a file or an object.
    sessions
        Sessions of the cars, ``vehicle`` in ``0 .. n_cars - 1``; car ``i`` is the ``i``-th to
        get a pile.
    n_cars
        Cars [-].
    orders_seed
        Seed of the orders of willingness (:meth:`orders`).
    strategy_seed
        Seed of the strategies' own draws (TOU stagger, tie breaks) [-].
    left_kwh
        Per session, energy its car asked for that no stay could take (the carry of
        :func:`evgrid.demand.sampling.carry_untaken` ended there), ``(n_sessions,)`` [kWh].
    basis
        Name of the design basis the fleet was built on (:mod:`evgrid.planning.basis`).
    ambient_c
        Ambient temperature of the transformer, a constant or ``(n_slots,)`` [°C].
    """

    site_name: str
    grid: TimeGrid
    eval_days: slice
    base_kw: FloatArray
    regular: RegularLoad
    behaviour: Behaviour
    behaviour_name: str
    sessions: Sessions
    n_cars: int
    orders_seed: int
    strategy_seed: int
    left_kwh: FloatArray
    basis: str = "design"
    ambient_c: float | FloatArray = 20.0

    def first(self, n_cars: int) -> Fleet:
        """The fleet of the first ``n_cars`` cars (the cars of a share of the spaces).

        Raises
        ------
        InputError
            ``n_cars`` outside ``0 .. n_cars``.
        """
        n = int(n_cars)
        if not 0 <= n <= self.n_cars:
            raise bad_value("cars", n_cars, f"a whole number in [0, {self.n_cars}]")
        if n == self.n_cars:
            return self
        keep = self.sessions.vehicle < n
        return dataclasses.replace(
            self, sessions=self.sessions.take(keep), n_cars=n, left_kwh=self.left_kwh[keep]
        )

    @property
    def asked_kwh(self) -> float:
        """Energy the cars asked for over the horizon, grid side [kWh]."""
        return float(self.sessions.energy_kwh.sum() + self.left_kwh.sum())

    @property
    def left_share(self) -> float:
        """Share of the asked energy no stay could take (delivered by no strategy) [-]."""
        asked = self.asked_kwh
        return float(self.left_kwh.sum() / asked) if asked > 0 else 0.0

    def orders(self, count: int) -> npt.NDArray[np.int64]:
        """``count`` random orders of the cars: each car's place in each, ``(count, n_cars)``.

        Order ``j`` is the same for every fleet of the same stream and size [-].
        """
        gen = np.random.default_rng(self.orders_seed)
        ranks = np.empty((int(count), self.n_cars), dtype=np.int64)
        for j in range(int(count)):  # a few orders
            ranks[j, gen.permutation(self.n_cars)] = np.arange(self.n_cars, dtype=np.int64)
        return ranks

    def participating(self, participation: float) -> npt.NDArray[np.bool_]:
        """Which cars follow a coordinated strategy, by the order of the piles, ``(n_cars,)``.

        Of the first ``k`` cars exactly ``round(participation × k)`` follow, for every ``k``.
        """
        from evgrid.charging.participation import participating_cars

        return participating_cars(np.arange(self.n_cars, dtype=np.int64), participation)

    def require(self, arrays: float, what: str) -> None:
        """Refuse before allocating ``arrays`` float64 series over the horizon that would not fit
        in memory (:func:`evgrid.resources.require_memory`).

        Parameters
        ----------
        arrays
            Number of ``(n_slots,)`` float64 arrays held at once, an upper estimate [-].
        what
            What they are for, named in the message.
        """
        require_memory(
            arrays * BYTES_PER_VALUE * self.grid.n_slots,
            f"days {self.n_days} of {self.grid.slot_min:g}-min slots for {what}",
        )


def resolve_behaviour(site: Any, behaviour: Any, basis: Any = None) -> tuple[Behaviour, str]:
    """The behaviour of a site's cars and its name: ``behaviour`` (a preset name, a file or a
    :class:`Behaviour`), or the basis's for the site's kind (default basis: the parameter
    ``basis``)."""
    if behaviour is None:
        from evgrid.planning.basis import load_basis

        behaviour = load_basis(basis).behaviour(site.kind)
    name = behaviour if isinstance(behaviour, str) else "given"
    return Behaviour.load(behaviour), name


def sample_fleet(
    site: Any,
    *,
    days: int | None = None,
    rng: Any = None,
    behaviour: Any = None,
    slot_min: float | None = None,
    study_year: int | None = None,
    days_parameter: str = "monte_carlo_days",
    basis: Any = None,
) -> Fleet:
    """The cars of every parking space of a site over Monte Carlo days.

    Parameters
    ----------
    site
        A residential community or an office park.
    days
        Evaluated days [day]; default the parameter named by ``days_parameter``.
    rng
        Seed (None for the parameter ``seed``), SeedSequence or generator; a seed is combined
        with the site's name (:func:`site_stream`).
    behaviour
        Preset name, behaviour file or :class:`~evgrid.demand.behaviour.Behaviour`; default the
        basis's for the site's kind.
    slot_min
        Slot length [min]; default the parameter ``slot_min``.
    study_year
        The study year that decides which communities are new [year].
    days_parameter
        The parameter that gives the default of ``days`` (``impact_days`` for the figure 6–7
        comparison and the incentives).
    basis
        The design basis (:func:`evgrid.planning.basis.load_basis`: a name, a file or a
        :class:`~evgrid.planning.basis.Basis`; default the parameter ``basis``): the behaviour,
        the regular load over the year (seasonal or one typical day) and the ambient.

    Returns
    -------
    Fleet
        One car per parking space.

    Raises
    ------
    InputError
        Bad days, seed or slot length, an unknown behaviour, or a horizon that would not fit in
        memory.
    """
    from evgrid.demand.sampling import sample_sessions_detail

    n_days = parameter(days_parameter).resolve(days, "days")
    if isinstance(n_days, np.integer):
        n_days = int(n_days)
    parameter(days_parameter).check(n_days, "days")
    grid = TimeGrid(
        slot_min=parameter("slot_min").resolve(slot_min, "slot_min"),
        n_days=int(n_days) + WARMUP_DAYS + COOLDOWN_DAYS,
    )
    from evgrid.planning.basis import load_basis

    chosen_basis = load_basis(basis)
    stream = site_stream(rng, str(site.name))
    chosen, name = resolve_behaviour(site, behaviour, chosen_basis)
    require_memory(
        3 * BYTES_PER_VALUE * grid.n_slots, f"days {n_days} of {grid.slot_min:g}-min slots"
    )
    year = int(parameter("study_year").resolve(study_year, "study_year"))
    seasonal = chosen_basis.base_load == "seasonal" and site.kind == "residential"
    base_kw, regular = site_base_kw(site, grid, study_year, seasonal=seasonal)
    sample_rng, orders_rng, strategy_rng = _children(stream)
    dc_share = getattr(site, "dc_pile_share", None)
    if dc_share is not None:
        chosen = chosen.with_dc_piles(float(dc_share))
    n_cars = int(site.parking_spaces)
    if n_cars > 0:
        detail = sample_sessions_detail(
            chosen, n_cars, days=int(n_days) + WARMUP_DAYS, rng=sample_rng
        )
        sessions, left_kwh = detail.sessions, detail.left_kwh
    else:
        sessions, left_kwh = Sessions.concat([]), np.zeros(0)
    return Fleet(
        site_name=str(site.name),
        grid=grid,
        eval_days=slice(WARMUP_DAYS, WARMUP_DAYS + int(n_days)),
        base_kw=np.asarray(base_kw, dtype=np.float64),
        regular=regular,
        behaviour=chosen,
        behaviour_name=name,
        sessions=sessions,
        n_cars=n_cars,
        orders_seed=int(orders_rng.integers(2**63 - 1)),
        strategy_seed=int(strategy_rng.integers(2**63 - 1)),
        left_kwh=np.asarray(left_kwh, dtype=np.float64),
        basis=chosen_basis.name,
        ambient_c=site_ambient_c(site, chosen_basis, grid, year),
    )

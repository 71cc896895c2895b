"""Charging modes of a community: each mode charged, the public hub sized, the transformers judged
(report 6).

Which car charges where (the mixes by community type, the counts) is
:mod:`evgrid.planning.mode_mix`.

``mix="fixed-only"`` is the model before this: only cars with a space charge, the others are
counted as unserved. :func:`plan_modes` samples the cars' sessions (the behaviour model), charges
each mode, sizes the hub and judges the community's transformer (with the hub's load when it is
connected there) and, for a hub on its own unit, that unit, on the design basis the hosting
tiers use (its behaviour, its power factors for the regular load and the charging, its band of
daily peaks); :func:`modes_timeline` does it for the years of an EV-growth scenario.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from evgrid.errors import bad_value
from evgrid.params import Spec, as_generator, parameter
from evgrid.planning.hub import (
    CONNECTIONS,
    Hub,
    by_day_blocks,
    own_unit_kva,
    size_hub,
    split_public,
)
from evgrid.planning.mode_mix import ModeCounts, ModeMix, count_modes, mode_mix
from evgrid.sessions import Sessions
from evgrid.timegrid import HOURS_PER_DAY, FloatArray, TimeGrid

PASSING = Spec("passing_per_day", "1/day", "[0, 100000]")
GROWTH = Spec("regular_growth", "-", "(0, 100]")
V2G_BOUND: dict[str, Any] = {
    "charge_efficiency": 1.0,
    "discharge_efficiency": 1.0,
    "wear_yuan_per_kwh": 0.0,
    "soc_bounds": False,
}
"""Options of V2G's lossless bound (no losses, no wear, no state-of-charge reserve): the exact
valley-filling kernel on shifted sessions, the most V2G can add (docs/v2g.md)."""


def shared_windows(sessions: Sessions, pile: np.ndarray, power_kw: float) -> Sessions:
    """Shared piles, first come first served: each session charges at full power from its
    arrival or the previous car's hand-over, whichever is later, until done or it leaves.

    Parameters
    ----------
    sessions
        The shared cars' sessions.
    pile
        Pile of each session ``(n,)`` [-].
    power_kw
        The pile's rating [kW].

    Returns
    -------
    Sessions
        The booked windows (zero-length when the pile is busy until the car leaves).
    """
    n = len(sessions)
    order = np.lexsort((sessions.arrival_h, pile))
    start = np.empty(n)
    end = np.empty(n)
    power = np.minimum(sessions.max_power_kw, power_kw)
    need_h = sessions.energy_kwh / np.maximum(power, 1e-12)
    free_at: dict[int, float] = {}
    for i in order.tolist():  # a pile hands over in turn: one pass over its sessions
        p = int(pile[i])
        s = max(float(sessions.arrival_h[i]), free_at.get(p, -math.inf))
        e = min(s + float(need_h[i]), float(sessions.departure_h[i]))
        s = min(s, e)
        start[i], end[i] = s, e
        free_at[p] = max(free_at.get(p, -math.inf), e)  # a car that never got it frees nothing
    return Sessions(start, end, sessions.energy_kwh, power, sessions.vehicle)


@dataclass(frozen=True, eq=False)
class ModesResult:
    """A community's charging modes at one EV share.

    Parameters
    ----------
    site_name, year, ev_share
        The site, the scenario year (or None) and the EV share [-].
    mix, counts
        The mode shares and the cars by mode.
    connection
        Where the hub is connected (:data:`~evgrid.planning.hub.CONNECTIONS`).
    hub
        The hub, or None without public charging.
    hour_h
        Slot starts of the typical day ``(slots_per_day,)`` [h].
    base_kw, fixed_kw, shared_kw, hub_kw
        Typical-day loads: regular, fixed piles, shared piles, the hub [kW].
    community_peak_kw
        95th percentile of the daily peaks of the community's transformer load (the hub's
        included when it is connected there) [kW].
    community_loading_pu, limit_pu
        That peak over the transformer (power factor × rating) [pu] and the limit [pu].
    hub_unit_kva
        The hub's own unit (own-unit or 10kv connection) [kVA], else None.
    unmet_share
        Energy asked but not delivered, over all modes [-].
    horizon_kw
        The loads over the whole Monte Carlo horizon (warm-up and cool-down days included):
        ``base``, ``fixed``, ``shared``, ``hub`` ``(n_slots,)`` [kW].
    """

    site_name: str
    year: int | None
    ev_share: float
    mix: ModeMix
    counts: ModeCounts
    connection: str
    hub: Hub | None
    hour_h: FloatArray
    base_kw: FloatArray
    fixed_kw: FloatArray
    shared_kw: FloatArray
    hub_kw: FloatArray
    community_peak_kw: float
    community_loading_pu: float
    limit_pu: float
    hub_unit_kva: float | None
    unmet_share: float
    horizon_kw: dict[str, FloatArray] = field(default_factory=dict)

    @property
    def community_passes(self) -> bool:
        """Whether the community's transformer stays within its limit."""
        return self.community_loading_pu <= self.limit_pu * (1 + 1e-9)

    def to_dict(self, *, curves: bool = False) -> dict[str, Any]:
        """Plain form: ``modes`` (share of the electric cars per mode), ``hub``
        (``dc_chargers``, ``ac_chargers``, ``peak_kw``, ``mean_wait_min``, ...) and the
        community's transformer."""
        c = self.counts
        out: dict[str, Any] = {
            "site": self.site_name,
            "year": self.year,
            "ev_share": self.ev_share,
            "mix": self.mix.name,
            "modes": c.shares(),
            "cars": {
                "cars": c.cars,
                "evs": c.evs,
                "evs_with_space": c.evs_with_space,
                "fixed": c.fixed,
                "shared": c.shared,
                "public": c.public,
                "unserved": c.unserved,
            },
            "shared_piles": c.shared_piles,
            "hub": None if self.hub is None else self.hub.to_dict(),
            "connection": self.connection,
            "hub_unit_kva": self.hub_unit_kva,
            "community": {
                "peak_kw": self.community_peak_kw,
                "loading_pu": self.community_loading_pu,
                "limit_pu": self.limit_pu,
                "passes": self.community_passes,
            },
            "unmet_share": self.unmet_share,
        }
        if curves:
            out["curves"] = {
                "hour_h": self.hour_h.tolist(),
                "base_kw": self.base_kw.tolist(),
                "fixed_kw": self.fixed_kw.tolist(),
                "shared_kw": self.shared_kw.tolist(),
                "hub_kw": self.hub_kw.tolist(),
            }
        return out


def plan_modes(
    site: Any,
    *,
    ev_share: float | None = None,
    year: int | None = None,
    mix: Any = "report",
    connection: str | None = None,
    strategy: str = "valley-filling",
    days: int | None = None,
    rng: np.random.Generator | np.random.SeedSequence | int | None = None,
    behaviour: Any = None,
    passing_per_day: float = 0.0,
    cars_per_household: float | None = None,
    hub_options: Mapping[str, Any] | None = None,
    participation: float | None = None,
    regular_growth: float = 1.0,
    basis: Any = None,
) -> ModesResult:
    """Charge a community's cars by mode, size the hub, judge the transformers (module
    docstring).

    Parameters
    ----------
    site
        A residential community.
    ev_share
        Share of private cars that are electric [-]; default the 2025 medium share (22 %).
    year
        The scenario year this share belongs to (carried into the result) [year].
    mix
        ``report``, ``fixed-only``, a :class:`ModeMix` or shares by mode (:func:`mode_mix`).
    connection
        ``community``, ``own-unit`` or ``10kv``; default the parameter ``hub_connection``.
    strategy
        How fixed piles and the hub's AC chargers charge: ``valley-filling`` (orderly, report 6:
        every residential pile under orderly control 2026–2030), ``uncontrolled``, or ``v2g``:
        the fixed piles bidirectional at the lossless bound (:data:`V2G_BOUND`, the most V2G
        can add, docs/v2g.md) and the hub's AC chargers valley-filled.
    days
        Monte Carlo days evaluated [day]; default the parameter ``impact_days`` (14).
    rng
        Seed or generator (the same seed, the same answer).
    behaviour
        Behaviour preset, file or object; default the basis's behaviour of the site's kind.
    passing_per_day
        Passing cars that charge at the hub's DC chargers each day [1/day] (their arrival hours
        and energies drawn from the community's DC visits).
    cars_per_household
        Private cars per household [-]; default the parameter.
    hub_options
        Passed to :func:`~evgrid.planning.hub.size_hub` (``dc_kw``, ``wait_target_min``, ...).
    participation
        Share of the fixed piles' cars that follow ``strategy``, the others uncontrolled (the
        participation rule of :mod:`evgrid.charging.participation`, over a random order of the
        cars) [-]; None: all of them. The hub's AC chargers follow ``strategy`` in any case.
    regular_growth
        The regular load over the site's own (a scenario year's growth) [-].
    basis
        The design basis (:func:`evgrid.planning.basis.load_basis`; default the parameter
        ``basis``), as the hosting tiers take it: the cars' behaviour, the power factors of the
        regular load and of the charging (:func:`~evgrid.planning.basis.power_factors`) and the
        band of the community's daily peaks. The regular load is the site's typical day (14
        days cannot stand for the seasons).

    Raises
    ------
    InputError
        A bad option, or a community of unknown type with ``mix="report"``.
    """
    from evgrid.charging.strategies import get_strategy, schedule
    from evgrid.demand.behaviour import Behaviour
    from evgrid.demand.sampling import sample_sessions
    from evgrid.planning.basis import load_basis, power_factors
    from evgrid.planning.timeseries.run import COOLDOWN_DAYS, WARMUP_DAYS, site_base_kw

    chosen_strategy = strategy if strategy == "v2g" else get_strategy(strategy).name
    if chosen_strategy not in ("valley-filling", "uncontrolled", "v2g"):
        raise bad_value("strategy", strategy, "valley-filling, uncontrolled or v2g")
    if participation is not None:
        participation = float(parameter("participation").check(participation, "participation"))
    growth = float(GROWTH.check(regular_growth))
    share = parameter("ev_share_2025_medium").resolve(ev_share, "ev_share")
    chosen = mode_mix(site, mix)
    where = parameter("hub_connection").resolve(connection, "connection")
    if where not in CONNECTIONS:  # pragma: no cover - the parameter's range says so
        raise bad_value("connection", where, ", ".join(CONNECTIONS))
    counts = count_modes(site, share, chosen, cars_per_household=cars_per_household)
    n_days = int(parameter("impact_days").resolve(days, "days"))
    passing = float(PASSING.check(passing_per_day))
    grid = TimeGrid(
        slot_min=parameter("slot_min").value, n_days=n_days + WARMUP_DAYS + COOLDOWN_DAYS
    )
    eval_days = slice(WARMUP_DAYS, WARMUP_DAYS + n_days)
    base_kw, _ = site_base_kw(site, grid)
    base_kw = np.asarray(base_kw, dtype=np.float64) * growth
    sample_rng, mode_rng, hub_rng, order_rng = as_generator(rng).spawn(4)
    chosen_basis = load_basis(basis)
    b = Behaviour.load(chosen_basis.behaviour(site.kind) if behaviour is None else behaviour)
    served = counts.fixed + counts.shared + counts.public
    sessions = (
        sample_sessions(b, served, days=n_days + WARMUP_DAYS, rng=sample_rng)
        if served
        else Sessions.concat([])
    )
    mode_of_car = np.repeat(np.arange(3), [counts.fixed, counts.shared, counts.public])
    mode_of_car = mode_rng.permutation(mode_of_car)
    mode = mode_of_car[sessions.vehicle] if len(sessions) else np.zeros(0, dtype=np.int64)
    fixed = sessions.take(mode == 0)
    fixed_kw = _fixed_piles_kw(
        fixed, mode_of_car == 0, chosen_strategy, participation, grid, base_kw, order_rng
    )
    shared_s = sessions.take(mode == 1)
    shared_cars = np.flatnonzero(mode_of_car == 1)
    pile_of_car = np.zeros(max(counts.evs, 1), dtype=np.int64)
    pile_of_car[shared_cars] = (
        np.arange(shared_cars.size) // parameter("shared_cars_per_pile").value
    )
    booked = shared_windows(
        shared_s, pile_of_car[shared_s.vehicle], parameter("pile_rating_kw").value
    )
    shared_kw = schedule(booked, "uncontrolled", grid=grid).charging_kw
    public = sessions.take(mode == 2)
    hub = None
    hub_kw = np.zeros(grid.n_slots)
    if len(public) or passing > 0:
        dc, ac = split_public(public, parameter("hub_dc_share").value, hub_rng)
        dc = _with_passing(dc, passing, grid, eval_days, hub_rng)
        around = base_kw + fixed_kw + shared_kw if where == "community" else None
        hub_strategy = "valley-filling" if chosen_strategy == "v2g" else chosen_strategy
        hub = size_hub(
            dc, ac, grid, eval_days, base_kw=around, strategy=hub_strategy, **(hub_options or {})
        )
        hub_kw = hub.load_kw
    charging_kw = fixed_kw + shared_kw + (hub_kw if where == "community" else 0.0)
    spd = grid.slots_per_day
    window = slice(eval_days.start * spd, eval_days.stop * spd)
    band_pct = float(chosen_basis.band.lstrip("p"))

    def band_peak(series: FloatArray) -> float:  # the band's daily peak (p95: the bad day)
        return float(np.percentile(series[window].reshape(n_days, spd).max(axis=1), band_pct))

    pf_household, pf_ev = power_factors(site, chosen_basis)
    peak = band_peak(base_kw + charging_kw)
    peak_kva = band_peak(base_kw / pf_household + charging_kw / pf_ev)  # as the tiers add them
    requested = float(sessions.energy_kwh.sum())
    if hub is not None:  # the passing cars' energy, asked and delivered at the hub
        requested += float(hub.dc_sessions.energy_kwh[hub.dc_sessions.vehicle < 0].sum())
    delivered = float(grid.energy_kwh(fixed_kw + shared_kw + hub_kw).sum())

    def day(series: FloatArray) -> FloatArray:
        return series[window].reshape(n_days, spd).mean(axis=0)

    return ModesResult(
        site_name=str(site.name),
        year=year,
        ev_share=float(share),
        mix=chosen,
        counts=counts,
        connection=where,
        hub=hub,
        hour_h=grid.starts_h[:spd].copy(),
        base_kw=day(base_kw),
        fixed_kw=day(fixed_kw),
        shared_kw=day(shared_kw),
        hub_kw=day(hub_kw),
        community_peak_kw=peak,
        community_loading_pu=peak_kva / float(site.transformer_kva),
        limit_pu=float(parameter("loading_limit_pu").value),
        hub_unit_kva=(
            None if hub is None or where == "community" else own_unit_kva(hub.peak_kw, pf_ev)
        ),
        unmet_share=max(0.0, 1.0 - delivered / requested) if requested > 0 else 0.0,
        horizon_kw={"base": base_kw, "fixed": fixed_kw, "shared": shared_kw, "hub": hub_kw},
    )


def _fixed_piles_kw(
    fixed: Sessions,
    is_fixed_car: np.ndarray,
    strategy: str,
    participation: float | None,
    grid: TimeGrid,
    base_kw: FloatArray,
    rng: np.random.Generator,
) -> FloatArray:
    """The fixed piles' load: the followers of ``strategy`` (all, or ``participation`` of the
    cars) fill around the base load and the others' uncontrolled load [kW]."""
    from evgrid.charging.participation import participating_cars
    from evgrid.charging.strategies import schedule

    options = V2G_BOUND if strategy == "v2g" else {}
    if participation is None or participation >= 1.0 or strategy == "uncontrolled":
        return by_day_blocks(fixed, strategy, grid, base_kw, **options)
    cars = np.flatnonzero(is_fixed_car)
    follows_car = np.zeros(is_fixed_car.size, dtype=bool)
    follows_car[cars] = participating_cars(rng.permutation(cars.size), participation)
    follows = follows_car[fixed.vehicle] if len(fixed) else np.zeros(0, dtype=bool)
    others = fixed.take(~follows)
    free_kw = (
        schedule(others, "uncontrolled", grid=grid).charging_kw
        if len(others)
        else np.zeros(grid.n_slots)
    )
    return free_kw + by_day_blocks(fixed.take(follows), strategy, grid, base_kw + free_kw,
                                   **options)  # fmt: skip


def _with_passing(
    dc: Sessions, per_day: float, grid: TimeGrid, eval_days: slice, rng: np.random.Generator
) -> Sessions:
    """The community's DC visits and passing cars' (vehicle -1): a Poisson number a day, their
    hours of arrival and energies drawn from the community's visits."""
    if per_day <= 0 or len(dc) == 0:
        return dc
    n_days = grid.n_days
    counts = rng.poisson(per_day, n_days)
    day = np.repeat(np.arange(n_days), counts)
    pick = rng.integers(0, len(dc), day.size)
    arrival = day * HOURS_PER_DAY + dc.arrival_h[pick] % HOURS_PER_DAY
    keep = arrival < grid.horizon_h
    extra = Sessions(
        arrival[keep], arrival[keep] + 1.0, dc.energy_kwh[pick][keep],
        dc.max_power_kw[pick][keep], np.full(int(keep.sum()), -1, dtype=np.int64),
    )  # fmt: skip
    return Sessions.concat([dc, extra])


def modes_timeline(
    site: Any,
    *,
    scenario: Any = None,
    years: Any = None,
    **options: Any,
) -> list[ModesResult]:
    """:func:`plan_modes` in each year of an EV-growth scenario.

    Parameters
    ----------
    site
        The community.
    scenario
        Scenario name, file or object; default the parameter ``scenario`` (``medium``).
    years
        The years [year]; default the scenario's.
    **options
        As :func:`plan_modes` (the same seed every year, so the years differ by their shares).
    """
    from evgrid.planning.scenarios import Scenario, load_scenario

    sc = (
        scenario
        if isinstance(scenario, Scenario)
        else load_scenario(scenario or parameter("scenario").value)
    )
    chosen = list(sc.years) if years is None else [int(y) for y in years]
    shares = sc.ev_share_at(np.array(chosen))
    return [
        plan_modes(site, ev_share=float(s), year=int(y), **options)
        for y, s in zip(chosen, shares, strict=True)
    ]

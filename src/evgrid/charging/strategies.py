"""The registry of charging strategies: each strategy module declares itself and its properties.

A strategy module ends with ``register(Strategy(name=..., run=..., ...))``; the registry imports
every module of :mod:`evgrid.charging` on first use, so adding a strategy touches one module (and
its tests). The properties tell the rest of evgrid how to use a strategy without knowing its
name: the hosting engine takes prefix sums for *separable* strategies and the closed-form optimal
peak for strategies that *minimise the peak*, the planning-index tier maps a strategy to its
*index mode*, and the CLI and API refuse a limit a strategy does not use.
"""

from __future__ import annotations

import importlib
import inspect
import math
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from evgrid.charging.schedule import Schedule
from evgrid.errors import bad_value
from evgrid.params import as_generator, parameter
from evgrid.resources import require_memory
from evgrid.sessions import Sessions
from evgrid.timegrid import HOURS_PER_DAY, TimeGrid

StrategyFn = Callable[..., Schedule]
IndexMode = Literal["uncontrolled", "orderly"]


@dataclass(frozen=True)
class Strategy:
    """A charging strategy and what it promises.

    Every ``run`` has the common signature of :mod:`evgrid.charging.schedule`:
    ``run(sessions, grid, base_kw=None, *, limit_kw=None, rng=None, per_session=False, ...)``.

    Parameters
    ----------
    name
        Name used by the CLI, the API and scenarios.
    run
        The strategy function.
    summary
        One line for ``--help`` and the docs.
    separable
        Each car's load depends only on its own session (not on the other cars or the base
        load), so a car's load can be computed once and summed over any set of cars.
    minimises_peak
        The schedule has the lowest possible peak of base + charging, so under a loading limit
        only that peak matters (closed form in :mod:`evgrid.charging.minpeak`).
    uses_limit
        The strategy keeps base + charging under ``limit_kw`` where it can.
    needs_limit
        Without ``limit_kw`` it charges as uncontrolled charging does.
    random
        It uses ``rng`` (else the result does not depend on it).
    index_mode
        Its planning-index counterpart (report figures 1–2), or None.
    dense
        It holds a sessions × slots matrix (its memory grows with both).
    aliases
        Other names accepted for it.
    order
        Position in listings (``--help``, docs), lowest first.
    """

    name: str
    run: StrategyFn
    summary: str
    separable: bool = False
    minimises_peak: bool = False
    uses_limit: bool = False
    needs_limit: bool = False
    random: bool = False
    index_mode: IndexMode | None = None
    dense: bool = False
    aliases: tuple[str, ...] = ()
    order: int = 100

    def __call__(self, *args: Any, **kwargs: Any) -> Schedule:
        """Run the strategy (see :mod:`evgrid.charging.schedule` for the arguments)."""
        return self.run(*args, **kwargs)

    def option_names(self) -> tuple[str, ...]:
        """The strategy's own options: the keyword arguments of :attr:`run` beyond the common
        signature (``stagger_h`` of ``tou``, ``weights`` of ``lp``)."""
        params = inspect.signature(self.run).parameters.values()
        own = (p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY)
        return tuple(name for name in own if name not in COMMON_OPTIONS)

    def check_options(self, options: dict[str, Any]) -> None:
        """Refuse an option the strategy does not take, naming the ones it does.

        Raises
        ------
        InputError
            ``NAME: got VALUE; allowed: an option of strategy S (a, b)``.
        """
        own = self.option_names()
        for name, value in options.items():
            if name not in own:
                listed = ", ".join(own) if own else "none"
                raise bad_value(name, value, f"an option of strategy {self.name} ({listed})")


COMMON_OPTIONS = ("limit_kw", "rng", "per_session")
"""Keyword arguments every strategy takes (:mod:`evgrid.charging.schedule`)."""
BYTES_PER_VALUE = 8.0
"""A float64 [B]."""
SLOT_ARRAYS = 16
"""Arrays of one value per slot a strategy holds at once, an upper estimate [-]."""
DENSE_ARRAYS = 3
"""Sessions × slots arrays a dense strategy holds at once, an upper estimate [-]."""

_REGISTRY: dict[str, Strategy] = {}
_ALIASES: dict[str, str] = {}
_LOADED = False
_NOT_STRATEGIES = frozenset({"schedule", "strategies", "minpeak"})


def register(strategy: Strategy) -> Strategy:
    """Add a strategy to the registry (called at the end of its module)."""
    for name in (strategy.name, *strategy.aliases):
        if name in _REGISTRY or name in _ALIASES:
            raise ValueError(f"strategy name {name!r} registered twice")
    _REGISTRY[strategy.name] = strategy
    for alias in strategy.aliases:
        _ALIASES[alias] = strategy.name
    return strategy


def _load() -> None:
    global _LOADED
    if _LOADED:
        return
    import evgrid.charging as package

    for info in pkgutil.iter_modules(package.__path__):
        if not info.name.startswith("_") and info.name not in _NOT_STRATEGIES:
            importlib.import_module(f"evgrid.charging.{info.name}")
    _LOADED = True


def all_strategies() -> dict[str, Strategy]:
    """Every registered strategy by name, in listing order."""
    _load()
    return {s.name: s for s in sorted(_REGISTRY.values(), key=lambda s: (s.order, s.name))}


def strategy_names(*, aliases: bool = False) -> tuple[str, ...]:
    """The strategy names in listing order, then (with ``aliases``) their other names."""
    names = tuple(all_strategies())
    return (*names, *_ALIASES) if aliases else names


def get_strategy(name: str) -> Strategy:
    """The strategy called ``name`` (or one of its aliases).

    Raises
    ------
    InputError
        ``strategy: got NAME; allowed: one of ...``.
    """
    _load()
    key = _ALIASES.get(name, name) if isinstance(name, str) else None
    if key not in _REGISTRY:
        allowed = ", ".join([*_REGISTRY, *_ALIASES])
        raise bad_value("strategy", name, f"one of {allowed}")
    return _REGISTRY[key]


def _base_series(
    base_kw: Any, grid: TimeGrid | None, slot_min: float | None
) -> tuple[Any, float | None]:
    """A base load given as a time-indexed Series: its values and the slot length it implies."""
    from evgrid.io.series import load_series

    given = load_series(base_kw, "base_kw", wall_clock=True)
    if given.slot_min is None:
        return given.values, slot_min
    if given.start_of_day_min:
        raise bad_value(
            "base_kw index [0]",
            f"{given.start_of_day_min:g} min after midnight",
            "midnight: a base load starts with the first slot of day 0",
        )
    wanted = grid.slot_min if grid is not None else slot_min
    if wanted is not None and wanted != given.slot_min:
        raise bad_value(
            "slot_min", wanted, f"the spacing of base_kw's index, {given.slot_min:g} min"
        )
    return given.values, (slot_min if grid is not None else given.slot_min)


def schedule(
    sessions: Sessions,
    strategy: str = "valley-filling",
    *,
    grid: TimeGrid | None = None,
    slot_min: float | None = None,
    n_days: int | None = None,
    base_kw: npt.ArrayLike | None = None,
    limit_kw: float | npt.ArrayLike | None = None,
    participation: float = 1.0,
    rng: np.random.Generator | int | None = None,
    per_session: bool = False,
    **options: Any,
) -> Schedule:
    """Schedule charging sessions with a strategy: the front door of :mod:`evgrid.charging`.

    Parameters
    ----------
    sessions
        The charging sessions (:class:`evgrid.sessions.Sessions`).
    strategy
        A strategy name (:func:`strategy_names`) or ``"orderly"``.
    grid
        The time grid; default ``n_days`` whole days of ``slot_min`` slots.
    slot_min
        Slot length [min]; default the parameter ``slot_min`` (15 min).
    n_days
        Days of the horizon; default the whole days from midnight of day 0 that cover the
        latest departure [day].
    base_kw
        Base load per slot ``(n_slots,)`` [kW]; default none. A pandas Series with a
        DatetimeIndex gives its slot length (``slot_min``) and must start at midnight on the
        wall clock of its index's zone and be evenly spaced
        (:func:`evgrid.io.series.load_series`).
    limit_kw
        Site limit on base + charging [kW], one number or one per slot ``(n_slots,)``: kept by
        the strategies that use a limit
        (:attr:`Strategy.uses_limit`); for the others, compare ``schedule.total_kw(base).max()``.
    participation
        Share of the cars that follow the strategy, the rest charging uncontrolled
        (:mod:`evgrid.charging.participation`) [-].
    rng
        Seed or generator: the participants, then the strategy's own draws.
    per_session
        Also return the per-session power per slot (sparse) [kW].
    **options
        The strategy's own options (e.g. ``stagger_h`` of ``tou``, ``weights`` of ``lp``).

    Returns
    -------
    Schedule

    Raises
    ------
    InputError
        An unknown strategy or option of the strategy, a bad slot length, base load, limit or
        participation.
    """
    from evgrid.charging._windows import base_or_zero, check_limit
    from evgrid.charging.participation import with_participation
    from evgrid.checks import instance

    instance(
        sessions,
        Sessions,
        "sessions",
        "Sessions (evgrid.Sessions, evgrid.read_sessions or evgrid.sample_sessions)",
        reader="evgrid.read_sessions",
    )
    if rng is not None:
        as_generator(rng)  # refused even where the strategy draws nothing
    chosen = get_strategy(strategy)
    chosen.check_options(options)
    if base_kw is not None:
        base_kw, slot_min = _base_series(base_kw, grid, slot_min)
    if grid is None:
        days = horizon_days(sessions) if n_days is None else n_days
        grid = TimeGrid(slot_min=parameter("slot_min").resolve(slot_min), n_days=days)
    elif slot_min is not None or n_days is not None:
        raise bad_value("grid", grid, "either grid or slot_min/n_days, not both")
    matrix = len(sessions) * grid.n_slots if chosen.dense or per_session else 0
    require_memory(
        (SLOT_ARRAYS * grid.n_slots + DENSE_ARRAYS * matrix) * BYTES_PER_VALUE,
        f"a horizon of {grid.n_days} days of {grid.slot_min:g}-min slots for {len(sessions)} "
        "sessions (the latest departure sets it)",
    )
    base = base_or_zero(base_kw, grid)  # type: ignore[arg-type]  # checked there
    if limit_kw is not None:
        check_limit(limit_kw, base)  # type: ignore[arg-type]
        limit_kw = np.asarray(limit_kw, dtype=np.float64)
        limit_kw = float(limit_kw) if limit_kw.ndim == 0 else limit_kw
    p = parameter("participation").check(participation, "participation")
    if p < 1.0 and chosen.name != "uncontrolled":
        return with_participation(
            chosen.name,
            sessions,
            grid,
            base,
            p,
            limit_kw=limit_kw,  # type: ignore[arg-type]
            rng=rng,
            per_session=per_session,
            **options,
        )
    return chosen(
        sessions, grid, base, limit_kw=limit_kw, rng=rng, per_session=per_session, **options
    )


def horizon_days(sessions: Sessions) -> int:
    """Whole days from midnight of day 0 that cover the latest departure [day], >= 1."""
    if len(sessions) == 0:
        return 1
    return max(1, math.ceil(float(np.max(sessions.departure_h)) / HOURS_PER_DAY))

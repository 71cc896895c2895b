"""Charging jobs: a schedule under a strategy, the uncontrolled load of sessions, and sampled
sessions (``evgrid schedule``, ``evgrid load``, ``evgrid sample``)."""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evgrid.jobs.fields import Answer, Progress, Request, option
from evgrid.jobs.inputs import CURVE_SUFFIXES
from evgrid.jobs.options import (
    BASIS,
    BEHAVIOUR,
    DISCHARGE,
    PARTICIPATION,
    SEED,
    SESSIONS,
    SLOT_MIN,
    STRATEGY,
    WEAR,
    behaviour_presets,
)


def _check_slot(slot_min: float | None) -> None:
    """InputError unless the slot divides the day (:class:`evgrid.TimeGrid`)."""
    if slot_min is not None:
        from evgrid.timegrid import TimeGrid

        TimeGrid(slot_min=slot_min)


@dataclass(frozen=True, kw_only=True)
class ScheduleRequest(Request):
    """Schedule charging sessions with a strategy: the load per slot."""

    kind = "schedule"

    sessions: Any = option(like=SESSIONS)
    strategy: str | None = option(like=STRATEGY, required=True)
    base_load: Path | None = option(
        help="Base-load file (CSV/Excel, power_kw [kW]): one row per slot, or a time column",
        file=CURVE_SUFFIXES,
        zh="基础负荷",
    )
    limit_kw: float | None = option(
        help="Site limit on base + charging [kW]", allowed="(0, inf)", unit="kW", zh="场地限值"
    )
    participation: float | None = option(like=PARTICIPATION)
    slot_min: float | None = option(like=SLOT_MIN)
    seed: int | None = option(like=SEED)
    wear_yuan_per_kwh: float | None = option(like=WEAR)
    discharge_kw: float | None = option(like=DISCHARGE)

    def validate(self) -> None:
        """A slot that divides the day."""
        _check_slot(self.slot_min)

    def strategy_options(self) -> dict[str, Any]:
        """The strategy's own options that are given (refused by a strategy without them)."""
        given = {"wear_yuan_per_kwh": self.wear_yuan_per_kwh, "discharge_kw": self.discharge_kw}
        return {k: v for k, v in given.items() if v is not None}

    def run(self, progress: Progress | None = None) -> ScheduleAnswer:
        """The schedule (:func:`evgrid.schedule`) over the sessions' days."""
        import numpy as np

        from evgrid.charging.strategies import get_strategy, horizon_days, schedule
        from evgrid.load.measured import read_base_load
        from evgrid.params import default
        from evgrid.timegrid import TimeGrid

        assert self.strategy is not None
        chosen = get_strategy(self.strategy)
        slot_min = default("slot_min") if self.slot_min is None else self.slot_min
        grid = TimeGrid(slot_min=slot_min, n_days=horizon_days(self.sessions))
        base = (
            np.zeros(grid.n_slots)
            if self.base_load is None
            else read_base_load(self.base_load, grid)
        )
        if progress is not None:
            progress(0, 1, f"{chosen.name}: {len(self.sessions):,} sessions, {grid.n_slots} slots")
        options: dict[str, Any] = self.strategy_options()
        if self.participation is not None:
            options["participation"] = self.participation
        result = schedule(
            self.sessions,
            chosen.name,
            grid=grid,
            base_kw=base,
            limit_kw=self.limit_kw,
            rng=default("seed") if self.seed is None else self.seed,
            **options,
        )
        summary = result.summary(base)
        document = dict(summary)
        own = getattr(result, "v2g_summary", None)
        if own is not None:  # a strategy's own figures (V2G: discharge, wear)
            document[chosen.name] = own()
        return ScheduleAnswer(self, (result, base), document, summary)


@dataclass(frozen=True)
class _SlotAnswer(Answer):
    """An answer with a load per slot."""

    def columns(self) -> dict[str, Any]:
        """The load per slot [-, h, kW]."""
        raise NotImplementedError

    def to_frame(self) -> Any:
        """The per-slot columns as a pandas DataFrame."""
        import pandas as pd

        return pd.DataFrame(self.columns())


@dataclass(frozen=True)
class ScheduleAnswer(_SlotAnswer):
    """A schedule, its per-slot columns and its summary."""

    def columns(self) -> dict[str, Any]:
        """The load per slot (the CSV ``evgrid schedule --out`` writes) [-, h, kW]."""
        result, base = self.result
        columns: dict[str, Any] = result.columns(base)
        return columns

    def warnings(self) -> list[str]:
        """A limit the schedule does not meet (a strategy that ignores it, or no schedule can)."""
        request = self.request
        assert isinstance(request, ScheduleRequest)
        limit, peak = request.limit_kw, self.document["total_peak_kw"]
        if limit is None or peak <= limit * (1.0 + 1e-9):
            return []
        return [
            f"base + charging peaks at {peak:.6g} kW, above limit_kw {limit:g} (strategy "
            f"{request.strategy} does not enforce the limit, or no schedule meets it)"
        ]


@dataclass(frozen=True, kw_only=True)
class LoadRequest(Request):
    """Uncontrolled charging load of a session file, per slot over the sessions' days."""

    kind = "load"

    sessions: Any = option(like=SESSIONS)
    slot_min: float | None = option(like=SLOT_MIN)
    taper_soc: float | None = option(
        help="CC-CV taper above this state of charge [-] (default: none)",
        allowed="[0, 1]",
        zh="恒压起点",
    )
    typical_day: bool = option(
        False, help="Write the mean day over the horizon instead of every slot", zh="典型日"
    )

    def validate(self) -> None:
        """A slot that divides the day."""
        _check_slot(self.slot_min)

    def run(self, progress: Progress | None = None) -> LoadAnswer:
        """The uncontrolled load (:func:`evgrid.schedule` with ``"uncontrolled"``)."""
        from evgrid.charging.strategies import schedule
        from evgrid.params import default

        options: dict[str, Any] = {} if self.taper_soc is None else {"taper_soc": self.taper_soc}
        slot_min = default("slot_min") if self.slot_min is None else self.slot_min
        result = schedule(self.sessions, "uncontrolled", slot_min=slot_min, **options)
        totals = result.summary()
        return LoadAnswer(self, result, totals, totals)


@dataclass(frozen=True)
class LoadAnswer(_SlotAnswer):
    """An uncontrolled load and its totals."""

    def columns(self) -> dict[str, Any]:
        """The load per slot, or the typical day (``typical_day``) [-, h, kW]."""
        request = self.request
        assert isinstance(request, LoadRequest)
        columns: dict[str, Any] = self.result.columns(typical_day=request.typical_day)
        return columns

    def lines(self, lang: str = "en") -> list[str]:
        """One sentence of totals."""
        t, grid = self.document, self.result.grid
        return [
            f"{len(self.request.sessions):,} sessions over {grid.n_days} day(s) at "  # type: ignore[attr-defined]
            f"{grid.slot_min:g} min: peak {t['peak_kw']:.1f} kW, requested "
            f"{t['energy_requested_kwh']:.1f} kWh, delivered {t['energy_delivered_kwh']:.1f} kWh, "
            f"unmet {t['unmet_kwh']:.1f} kWh"
        ]


@dataclass(frozen=True, kw_only=True)
class SampleRequest(Request):
    """Sample charging sessions of N vehicles over D days (Monte Carlo)."""

    kind = "sample"

    n_vehicles: int | None = option(
        help="Number of vehicles (= piles) [-]",
        flag="--n",
        required=True,
        allowed="integer [1, inf)",
        zh="车辆数",
    )
    days: int = option(1, help="Days to sample [day]", allowed="integer [1, 36600]", zh="天数")
    seed: int | None = option(like=SEED)
    behaviour: str | None = option(like=BEHAVIOUR, param=None)
    basis: str | None = option(
        like=BASIS,
        help="Design basis whose residential behaviour is sampled when no behaviour "
        "is given (design, report or a basis file)",
    )
    preset: str | None = option(
        help="Deprecated since evgrid 0.3: the same as --behaviour with a preset's name",
        choices=behaviour_presets,
        faces=frozenset({"cli"}),
    )

    def run(self, progress: Progress | None = None) -> SampleAnswer:
        """The sessions (:func:`evgrid.sample_sessions`)."""
        from evgrid.demand.behaviour import Behaviour
        from evgrid.demand.sampling import sample_sessions
        from evgrid.errors import bad_value
        from evgrid.params import default

        if self.preset is not None and self.behaviour is not None:
            raise bad_value("preset", self.preset, "either preset or behaviour, not both")
        if self.preset is not None:
            warnings.warn(
                "preset is deprecated since evgrid 0.3: use behaviour, which takes a preset's "
                "name or a file",
                DeprecationWarning,
                stacklevel=2,
            )
        assert self.n_vehicles is not None
        given = self.behaviour or self.preset
        if given is None:
            from evgrid.planning.basis import load_basis

            given = load_basis(self.basis).behaviour("residential")
        elif self.basis is not None:
            raise bad_value("basis", self.basis, "either basis or behaviour, not both")
        chosen = Behaviour.load(given)
        report = None
        if progress is not None:
            total = self.n_vehicles

            def report(done: int) -> None:
                progress(done, total, "vehicles")

        seed = default("seed") if self.seed is None else self.seed
        sessions = sample_sessions(chosen, self.n_vehicles, self.days, rng=seed, progress=report)
        document = {"sessions": len(sessions), "vehicles": self.n_vehicles, "days": self.days}
        return SampleAnswer(self, sessions, document)


@dataclass(frozen=True)
class SampleAnswer(Answer):
    """Sampled sessions."""

    def to_frame(self) -> Any:
        """The sessions as a pandas DataFrame (the columns of a session file)."""
        import pandas as pd

        s = self.result
        return pd.DataFrame(
            {
                "vehicle": s.vehicle,
                "arrival_h": s.arrival_h,
                "departure_h": s.departure_h,
                "energy_kwh": s.energy_kwh,
                "max_power_kw": s.max_power_kw,
            }
        )

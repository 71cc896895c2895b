"""Figures the service keeps about itself (the status endpoint reports them)."""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any

import numpy as np

if TYPE_CHECKING:
    from evgrid.service.planner import Plan


def quantiles(values: list[float]) -> dict[str, float | int | None]:
    """Count, median, 95th percentile and maximum of a list."""
    if not values:
        return {"n": 0, "p50": None, "p95": None, "max": None}
    a = np.asarray(values, dtype=np.float64)
    return {
        "n": int(a.size),
        "p50": float(np.quantile(a, 0.5)),
        "p95": float(np.quantile(a, 0.95)),
        "max": float(a.max()),
    }


KEEP = 5000
"""Values of each figure kept across a restart [-]."""


@dataclass
class Metrics:
    """Running figures.

    Parameters
    ----------
    solve_s
        Wall time of each planner run [s].
    round_s
        Wall time of each planning round before the push: state to request, plan, profiles and
        the choice of what to send [s].
    latency_s
        Wall time from the first event of a round to the last acknowledgement of its changed
        profiles [s].
    wait_s
        Wall time from the first event of a round to the round's start (debounce and a previous
        round still pushing) [s].
    push_s
        Wall time from the start of a round's push to its last acknowledgement [s].
    reconcile_s
        Wall time from a pile's connection to its reconciliation [s].
    """

    solve_s: list[float] = field(default_factory=list)
    round_s: list[float] = field(default_factory=list)
    plan_sessions: list[int] = field(default_factory=list)
    latency_s: list[float] = field(default_factory=list)
    wait_s: list[float] = field(default_factory=list)
    push_s: list[float] = field(default_factory=list)
    reconcile_s: list[float] = field(default_factory=list)
    reconcile_since_start_s: list[float] = field(default_factory=list)
    changed: int = 0
    plans: int = 0
    failed_lowers: int = 0
    fallbacks: int = 0
    events: dict[str, int] = field(default_factory=dict)
    started_wall: float | None = None

    def to_json(self) -> dict[str, Any]:
        """What a restarted service takes over (the latest :data:`KEEP` values of each list)."""
        out: dict[str, Any] = {}
        for f in fields(self):
            value = getattr(self, f.name)
            if isinstance(value, list):
                value = value[-KEEP:]
            out[f.name] = value
        out.pop("started_wall", None)
        return out

    def restore(self, doc: dict[str, Any] | None) -> None:
        """Take over the figures of a previous run (:meth:`to_json`)."""
        for f in fields(self):
            if doc and f.name in doc and f.name != "started_wall":
                setattr(self, f.name, doc[f.name])

    def plan(self, plan: Plan, changed: int) -> None:
        """Record a planner run."""
        self.plans += 1
        self.changed += changed
        self.solve_s.append(plan.solve_s)
        self.plan_sessions.append(len(plan.request.keys))
        if plan.strategy not in ("valley-filling", "none"):
            self.fallbacks += 1

    def _busiest(self, values: list[float]) -> list[float]:
        """The values of the runs with at least 80 % of the most sessions planned at once."""
        top = max(self.plan_sessions, default=0)
        pairs = zip(self.plan_sessions, values, strict=False)
        return [v for n, v in pairs if top and n >= 0.8 * top]

    def summary(self) -> dict[str, Any]:
        """JSON-able summary."""
        return {
            "plans": self.plans,
            "profiles_changed": self.changed,
            "fallback_plans": self.fallbacks,
            "failed_lowering_pushes": self.failed_lowers,
            "solve_s": quantiles(self.solve_s),
            "round_s": quantiles(self.round_s),
            "sessions_max": max(self.plan_sessions, default=0),
            "solve_s_busiest": quantiles(self._busiest(self.solve_s)),
            "round_s_busiest": quantiles(self._busiest(self.round_s)),
            "event_to_ack_s": quantiles(self.latency_s),
            "event_to_round_s": quantiles(self.wait_s),
            "push_s": quantiles(self.push_s),
            "reconcile_s": quantiles(self.reconcile_s),
            "reconcile_since_start_s": quantiles(self.reconcile_since_start_s),
            "events": dict(self.events),
        }

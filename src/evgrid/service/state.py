"""The service's picture of its piles and sessions, and the estimates of what owners need.

A session's needs come from the owner (a declaration through the status endpoint, an app or a QR
page; or an ISO 15118 car through OCPP 2.0.1), else from the pile's own history, else from
evgrid's behaviour model (:class:`Priors`): the departure is an early quantile of the departure
hours, the energy the median session energy. Chinese AC piles cannot hear the car (GB/T 18487.1
PWM only), so the estimate is the usual case there.
"""

from __future__ import annotations

import statistics
import warnings
from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np

from evgrid.service.adapters import PileLink
from evgrid.service.profiles import ProfileSpec, composite_at, composite_slot_max
from evgrid.service.settings import (
    ESTIMATE_DEPARTURE_Q,
    ESTIMATE_ENERGY_Q,
    PRIOR_SAMPLE,
    SKEW_LIMIT_S,
)
from evgrid.service.store import ChargerRow
from evgrid.timegrid import FloatArray

TRIGGER_WINDOW_S = 2.0
"""Statuses that arrive within this long after the service's TriggerMessage are its answer [s of
wall time]: only they tell the pile's clock (queued messages carry old time stamps)."""
SKEW_SAMPLES = 7
"""Clock-skew samples kept per pile; the estimate is their median [-]."""


@dataclass(frozen=True)
class Priors:
    """Estimates of a session's needs when the owner declared none.

    Parameters
    ----------
    departure_hour
        Local hour of day of the estimated departure [h].
    energy_kwh
        Estimated energy of a session, grid side [kWh].
    min_dwell_h
        Shortest stay [h].
    """

    departure_hour: float
    energy_kwh: float
    min_dwell_h: float = 0.25

    @classmethod
    def from_behaviour(cls, preset: str, seed: int = 0) -> Priors:
        """Quantiles of sessions sampled from a behaviour preset (``"home"``, ``"office"``)."""
        from evgrid import Behaviour, sample_sessions

        with warnings.catch_warnings():  # the bundled distance table's known 104.2 % (report typo)
            warnings.filterwarnings("ignore", message=".*104.2 %.*")
            b = Behaviour.preset(preset)
        s = sample_sessions(b, PRIOR_SAMPLE, days=1, rng=seed)
        dep_hour = np.mod(s.departure_h, 24.0)
        return cls(
            departure_hour=float(np.quantile(dep_hour, ESTIMATE_DEPARTURE_Q)),
            energy_kwh=float(np.quantile(s.energy_kwh, ESTIMATE_ENERGY_Q)),
            min_dwell_h=b.min_dwell_h,
        )

    def departure_after(
        self, arrival: datetime, utc_offset_h: float, hour: float | None = None
    ) -> datetime:
        """First time at the prior's (or ``hour``'s) local hour at least the shortest stay
        after ``arrival``."""
        h = self.departure_hour if hour is None else hour
        local = arrival + timedelta(hours=utc_offset_h)
        day = local.replace(hour=0, minute=0, second=0, microsecond=0)
        cand = day + timedelta(hours=h)
        while cand < local + timedelta(hours=self.min_dwell_h):
            cand += timedelta(days=1)
        return cand - timedelta(hours=utc_offset_h)


@dataclass
class TxState:
    """A running transaction and what its owner needs.

    Parameters
    ----------
    tx_id
        Service transaction id (the OCPP 1.6 id).
    ext_id
        The pile's own id (OCPP 2.0.1), else None.
    start
        Start time (UTC).
    meter_start_wh, meter_wh
        Energy register at the start and now [Wh].
    departure
        Declared or estimated departure (UTC).
    energy_kwh
        Declared or estimated energy need, grid side [kWh].
    declared
        Whether the owner (or the car) declared the needs.
    """

    tx_id: int
    ext_id: str | None
    start: datetime
    meter_start_wh: float
    meter_wh: float
    departure: datetime
    energy_kwh: float
    declared: bool = False
    power_kw: float = 0.0
    full: bool = False
    suspended_since: datetime | None = None
    pauses: int = 0
    car_max_kw: float | None = None
    meter_at: datetime | None = None
    since_meter_kw: float = 0.0

    @property
    def delivered_kwh(self) -> float:
        """Energy delivered so far [kWh]."""
        return max(self.meter_wh - self.meter_start_wh, 0.0) / 1000.0

    @property
    def remaining_kwh(self) -> float:
        """Energy still needed by the last meter reading [kWh], 0 once the car is full."""
        return 0.0 if self.full else max(self.energy_kwh - self.delivered_kwh, 0.0)


@dataclass
class ConnectorState:
    """One connector: its status and transaction."""

    status: str = "Unknown"
    tx: TxState | None = None


@dataclass
class PileState:
    """One registered pile.

    Parameters
    ----------
    row
        Its registration.
    installed
        Profiles the pile accepted, by (purpose, connector, stack), in the pile's clock.
    uncertain
        Profiles sent whose answer never came: the pile may hold them.
    """

    row: ChargerRow
    link: PileLink | None = None
    online: bool = False
    suspect: bool = False
    connectors: dict[int, ConnectorState] = field(default_factory=dict)
    installed: dict[tuple[str, int, int], ProfileSpec] = field(default_factory=dict)
    uncertain: dict[tuple[str, int, int], ProfileSpec] = field(default_factory=dict)
    skew_samples: deque[float] = field(default_factory=lambda: deque(maxlen=SKEW_SAMPLES))
    skew_s: float = 0.0
    """Estimated pile clock minus service clock [s]: the median of :attr:`skew_samples`, 0
    before any (set by :meth:`observe_skew`)."""
    skew_alerted: bool = False
    reconciled_at: datetime | None = None
    connected_wall: float | None = None
    max_periods: int | None = None
    unknown: bool = False
    """Its profiles are not known (a failed reconciliation): count it at its maximum."""
    last_sent: datetime | None = None
    """Service time of the last profile sent or cleared (the pile may apply it before its
    answer arrives)."""
    refusals: int = 0
    """Profiles refused in a row (reset by an accepted one) [-]."""
    retry_wall: float | None = None
    """Wall time at which an uncontrollable pile is tried again [s]."""
    retry_wait_s: float = 0.0
    """Present wait between tries of an uncontrollable pile [s], doubled after each."""
    trigger_wall: float | None = None
    """Wall time the service last asked the pile for a status (TriggerMessage): the statuses
    that answer it within :data:`TRIGGER_WINDOW_S` carry the pile's clock as it is now."""
    trigger_at: datetime | None = None
    """Service time of that TriggerMessage."""
    trigger_samples: list[float] = field(default_factory=list)
    volts: float | None = None
    """Its measured phase voltage [V] (smoothed), None before a reading."""
    extra: dict[tuple[str, int, int], ProfileSpec] = field(default_factory=dict)
    """Profiles another system (the operator's CSMS, local-controller mode) installed."""

    def __post_init__(self) -> None:
        for c in range(1, self.row.connectors + 1):
            self.connectors.setdefault(c, ConnectorState())

    @property
    def id(self) -> str:
        """Pile id."""
        return self.row.id

    def observe_skew(self, sample_s: float) -> None:
        """Take one sample of the pile's clock minus the service's [s]; :attr:`skew_s` becomes
        the median of the recent ones."""
        self.skew_samples.append(sample_s)
        self.skew_s = statistics.median(self.skew_samples)

    @property
    def skewed(self) -> bool:
        """Whether the clock skew exceeds :data:`SKEW_LIMIT_S`."""
        return abs(self.skew_s) > SKEW_LIMIT_S

    @property
    def uncontrollable(self) -> bool:
        """It refused every profile :data:`~evgrid.service.settings.REJECT_LIMIT` times in a
        row: it is counted at its maximum and tried again with back-off."""
        return self.row.uncontrollable

    @property
    def controllable(self) -> bool:
        """Online, reconciled, answering: the planner may plan its sessions."""
        return (
            self.online
            and not self.suspect
            and self.reconciled_at is not None
            and not self.row.uncontrollable
        )

    def phase_volts(self, nominal: float) -> float:
        """Its phase voltage [V]: measured, else registered, else ``nominal``."""
        return self.volts or self.row.volts or nominal

    def tx_active(self, connector: int) -> bool:
        """Whether a transaction runs on the connector."""
        return self.connectors[connector].tx is not None

    def limit_at(self, t: datetime, connector: int, with_uncertain: bool = True) -> float:
        """Effective current limit at service time ``t`` [A] from the profiles it holds; with
        ``with_uncertain`` the higher of with and without the unanswered profiles."""
        if self.unknown:
            return self.row.max_a
        tp = t + timedelta(seconds=self.skew_s)
        tx = self.tx_active(connector)
        base = composite_at(self.installed.values(), tp, connector, tx, self.row.max_a)
        if not with_uncertain or not self.uncertain:
            return base
        merged = {**self.installed, **self.uncertain}
        return max(base, composite_at(merged.values(), tp, connector, tx, self.row.max_a))

    def lowest_limit(self, t0: datetime, t1: datetime, connector: int) -> float | None:
        """Lowest effective limit over ``[t0, t1]`` (service time) [A], or None when the service
        cannot be sure of it: profiles unknown or unanswered, or one sent since ``t0``."""
        if self.unknown or self.uncertain or (self.last_sent is not None and self.last_sent >= t0):
            return None
        d = timedelta(seconds=self.skew_s)
        times = [t0, t1]
        for spec in self.installed.values():
            times.extend(t - d for t in spec.limits.changes(t0 + d, t1 + d))
        return min(self.limit_at(t, connector, False) for t in times)

    def slot_limit_max(self, edges: FloatArray, connector: int, tx: bool) -> FloatArray:
        """Highest effective limit in each ``[edges[k], edges[k+1])`` (Unix seconds, service
        time) [A], unanswered profiles included; ``tx``: whether a transaction runs."""
        if self.unknown:
            return np.full(edges.size - 1, self.row.max_a)
        pile_edges = edges + self.skew_s
        base = composite_slot_max(
            self.installed.values(), pile_edges, connector, tx, self.row.max_a
        )
        if not self.uncertain:
            return base
        merged = {**self.installed, **self.uncertain}
        other = composite_slot_max(merged.values(), pile_edges, connector, tx, self.row.max_a)
        return np.maximum(base, other)

    def signature(self, connector: int, tx: bool) -> tuple[object, ...]:
        """What :meth:`slot_limit_max` depends on besides time (for caching across piles)."""
        inst = tuple(sorted((k, v) for k, v in self.installed.items() if tx or k[0] != "tx"))
        unc = tuple(sorted((k, v) for k, v in self.uncertain.items() if tx or k[0] != "tx"))
        return (inst, unc, round(self.skew_s, 3), connector, tx, self.row.max_a, self.unknown)

"""Every default number of the live service, named, with its source, and the validated options.

The numbers below are defaults a deployment may override (:class:`ServiceConfig`); each carries
its unit and where it comes from (a standard and clause, the OCPP specification, or an evgrid
assumption stated as such).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path

from evgrid.errors import bad_value
from evgrid.params import default

# --- the pile and its car ------------------------------------------------------------------------
PHASE_VOLTAGE_V = 220.0
"""Nominal phase voltage of Chinese low-voltage supply [V] (GB/T 156-2017, 220/380 V)."""
MIN_CURRENT_A = 6.0
"""Lowest current a car accepts through the control-pilot PWM signal [A per phase]
(IEC 61851-1:2017 annex A; GB/T 18487.1-2015 annex A uses the same 6 A floor): below it the
pile pauses charging (0 A)."""
MAX_CURRENT_A = 32.0
"""Highest current of an AC home pile [A per phase] (GB/T 18487.1-2015: AC charging mode 3 up
to 32 A; a 7 kW home pile is 32 A x 220 V)."""
CURRENT_STEP_A = 1.0
"""Resolution of the current limits the service sends [A]: whole amperes, which every pile
accepts (OCPP 1.6 allows one decimal, some firmware only integers)."""
DEFAULT_MAX_PERIODS = 24
"""Periods per charging schedule when a pile does not report ``ChargingScheduleMaxPeriods``
[-] (evgrid assumption; piles commonly report 24 or more)."""

# --- the planning loop ---------------------------------------------------------------------------
SLOT_MIN = 15.0
"""Planning slot [min]: the 96-point day of Chinese metering data, as the planning tier."""
DEBOUNCE_S = 0.2
"""Quiet time after an event before the planner runs [s of wall time]: a burst of plug-ins gives
one replan. (A 1 s quiet time would alone use up a 1 s event-to-acknowledgement budget.)"""
DEBOUNCE_MAX_S = 1.0
"""Longest wait for a quiet spell after the first event [s of wall time] (evgrid choice)."""
MARGIN_PU = 0.02
"""Headroom kept below the loading limit against forecast error [pu of the transformer's
kW capacity] (evgrid assumption; the meter correction removes most of the bias)."""
METER_TAU_H = 2.0
"""Time constant over which a meter correction of the base-load forecast fades [h] (evgrid
assumption: a load deviation persists for an hour or two)."""
METER_STALE_S = 900.0
"""A site meter reading older than this is not used [s] (one slot)."""
ESTIMATE_DEPARTURE_Q = 0.25
"""Quantile of the departure-hour prior used when the owner declared none [-] (evgrid assumption:
P25, an early guess, so the car is more likely full when it leaves)."""
ESTIMATE_ENERGY_Q = 0.5
"""Quantile of the session-energy prior used when the owner declared none [-] (median)."""
PRIOR_SAMPLE = 4000
"""Sessions sampled from the behaviour preset to build the priors [-]."""
FULL_AFTER_S = 600.0
"""A car drawing (almost) nothing for this long under a limit of 6 A or more is taken as full
[s] (evgrid assumption, two meter intervals)."""

# --- the pile link -------------------------------------------------------------------------------
HEARTBEAT_S = 900
"""Heartbeat interval given to piles at boot [s] (evgrid assumption: at most 1 h; 15 min also
refreshes the clock-skew estimate every slot)."""
METER_INTERVAL_S = 300
"""Meter-value sample interval asked of piles [s] (``MeterValueSampleInterval``)."""
CALL_TIMEOUT_S = 10.0
"""Wait for a pile's answer to one CALL [s of wall time] (the ``ocpp`` package's default is
30 s; a pile that answers later is retried)."""
RETRIES = 3
"""Attempts per profile before the pile is marked failed [-]."""
RETRY_BACKOFF_S = 2.0
"""Wait before the second attempt after a timeout or an error answer, doubled after each [s of
wall time]."""
REJECT_RETRY_S = 0.25
"""Wait before a rejected TxProfile is sent once more [s of wall time] (evgrid assumption): a
pile that has not yet processed its StartTransaction answer rejects the transaction's profile,
which takes it milliseconds; a longer wait would hold back the acknowledgement of the whole
round that sent it."""
START_BACKDATE_S = 5
"""A schedule starts this long before it is sent [s]: a start in the future leaves a gap
(OCPP 1.6 section 3.13.3)."""
GUARD_S = 60
"""Rises of a plan's profile move this much later and falls earlier [s]: piles whose clocks
disagree by up to a minute stay under the limit together."""
SKEWED_SLOTS = 3
"""Slots covered by the short profiles a pile with a skewed clock gets (then 0 A), refreshed
every slot [-] (three: a refresh may come a slot late and the car still does not pause); their
start is moved into the pile's clock by the estimated skew."""
SKEWED_GUARD_S = 120
"""Guard of a skewed pile's profiles [s]: the estimated skew is corrected, this covers the
error of the estimate."""
SKEW_LIMIT_S = 60.0
"""Clock skew above which a pile gets short, slot-by-slot profiles [s]: within it, the
:data:`GUARD_S` of every profile covers the disagreement."""
DEFAULT_STACK = 0
"""Stack level of the commissioning defaults (TxDefaultProfile, ChargePointMaxProfile)."""
PLAN_STACK = 3
"""Stack level of the planner's profiles (TxProfile, or the connector TxDefaultProfile that
replaces it on piles that reject TxProfile: above the demand-response default, which the plan
already respects)."""
IDLE_STACK = 2
"""Stack level of the idle hold: a TxDefaultProfile of 0 A on connector 0 that the service puts
on every pile it controls, so a new car waits (about a second) for its plan instead of taking
the commissioning default, and the headroom the default reserves for empty piles is free for the
plan. It lasts :data:`IDLE_HOLD_H`; after it (and whenever it is missing) the commissioning
default applies again, and the planner counts it."""
IDLE_PROFILE_ID = 4
"""Profile id of the idle hold [-]."""
IDLE_HOLD_H = 12.0
"""Length of the idle hold [h]: the plan's free headroom reaches that far."""
IDLE_REFRESH_H = 6.0
"""The idle hold is renewed when less than this is left of it [h]."""
DR_STACK = 1
"""Stack level of the demand-response default (a TxDefaultProfile on connector 0 valid only
during the event), above the commissioning default and below the idle hold."""
DEFAULT_PROFILE_ID = 1
"""Profile id of the recurring TxDefaultProfile on connector 0 [-]."""
MAX_PROFILE_ID = 2
"""Profile id of the ChargePointMaxProfile [-]."""
DR_PROFILE_ID = 3
"""Profile id of the demand-response default [-]."""
PLAN_PROFILE_BASE = 100
"""Profile ids of the planner's profiles are ``PLAN_PROFILE_BASE + connector`` [-]."""

# --- demand response -----------------------------------------------------------------------------
DR_MAX_UNMET_SHARE = 0.05
"""Opt in to a demand-response event when the replan under its cap leaves at most this share of
the plugged-in energy unmet [-] (evgrid assumption; the aggregator contract decides)."""
DR_SIMPLE_LEVELS = {1: 0.9, 2: 0.8, 3: 0.7}
"""OpenADR ``SIMPLE`` signal levels as caps on the site limit [-] (evgrid assumption: the
levels are moderate, high, special; OpenADR 2.0b profile leaves their meaning to the program)."""

SUBPROTOCOLS = ("ocpp2.0.1", "ocpp1.6")
"""WebSocket subprotocols the gateway speaks, preferred first (OCPP-J 1.6 section 3.1.2)."""
LOOPBACK_HOSTS = ("127.0.0.1", "::1", "localhost")


@dataclass(frozen=True)
class ServiceConfig:
    """Options of ``evgrid service``, validated at construction.

    Parameters
    ----------
    host, port
        Address of the plain OCPP WebSocket listener (security profile 0/1); loopback only
        unless ``allow_remote``.
    ocpp_path
        Path of the piles' URLs: a pile dials ``<ocpp_path>/<pile id>`` (every listener).
    tls_port
        Port of the TLS listener (security profile 2: TLS >= 1.2 + per-pile Basic key) or None.
    mtls_port
        Port of the mutual-TLS listener (security profile 3) or None.
    certfile, keyfile
        Server certificate chain and key (PEM) for the TLS listeners.
    client_ca
        CA bundle (PEM) that signs the piles' client certificates (profile 3).
    allow_remote
        Allow the plain listener on a non-loopback address (refused otherwise).
    status_port
        Loopback port of the status/metrics endpoint, None for none.
    limit_pu
        Loading limit [pu of the transformer's kW capacity]; report section 3.3, 0.8.
    margin_pu
        Forecast margin below the limit [pu].
    slot_min
        Planning slot [min].
    debounce_s
        Quiet time before a replan [s of wall time].
    fallback
        Strategy when the limit cannot hold: ``"lp"`` (most energy, HiGHS) or ``"edf"``.
    phase_voltage_v
        Phase voltage [V].
    utc_offset_h
        Site time zone as an offset from UTC [h] (China: 8, no daylight saving).
    behaviour
        Behaviour preset of the estimates (``"home"`` or ``"office"``).
    vtn_url, ven_name
        OpenADR 2.0b VTN to poll (outbound only) and this VEN's name; None for no VEN.
    vtn_fingerprint, ven_cert, ven_key, vtn_ca
        VEN TLS and signing material (paths), optional.
    """

    host: str = "127.0.0.1"
    port: int | None = 9000
    ocpp_path: str = "/ocpp"
    tls_port: int | None = None
    mtls_port: int | None = None
    certfile: Path | None = None
    keyfile: Path | None = None
    client_ca: Path | None = None
    allow_remote: bool = False
    status_port: int | None = 9001
    limit_pu: float = default("loading_limit_pu")
    margin_pu: float = MARGIN_PU
    slot_min: float = SLOT_MIN
    debounce_s: float = DEBOUNCE_S
    fallback: str = "lp"
    phase_voltage_v: float = PHASE_VOLTAGE_V
    utc_offset_h: float = 8.0
    behaviour: str = "home"
    vtn_url: str | None = None
    ven_name: str = "evgrid"
    vtn_fingerprint: str | None = None
    ven_cert: Path | None = None
    ven_key: Path | None = None
    vtn_ca: Path | None = None

    def __post_init__(self) -> None:
        if not (0.0 < self.limit_pu <= 2.0):
            raise bad_value("--limit", self.limit_pu, "a loading limit in (0, 2] [pu]")
        if not (0.0 <= self.margin_pu < self.limit_pu):
            raise bad_value("--margin", self.margin_pu, "a margin in [0, limit) [pu]")
        if not (math.isfinite(self.slot_min) and 1440.0 % self.slot_min == 0):
            raise bad_value("--slot-min", self.slot_min, "a slot [min] that divides 1440")
        if self.debounce_s < 0:
            raise bad_value("--debounce", self.debounce_s, "a time >= 0 [s]")
        if not re.fullmatch(r"(/[A-Za-z0-9._~-]+)*", self.ocpp_path) or ".." in self.ocpp_path:
            raise bad_value(
                "--ocpp-path", self.ocpp_path, "'' or /name[/name...] (letters, digits, . _ ~ -)"
            )
        if self.fallback not in ("lp", "edf"):
            raise bad_value("--fallback", self.fallback, "'lp' or 'edf'")
        if self.behaviour not in ("home", "office"):
            raise bad_value("--behaviour", self.behaviour, "'home' or 'office'")
        for name in ("port", "tls_port", "mtls_port", "status_port"):
            value = getattr(self, name)
            if value is not None and not (0 <= value <= 65535):
                raise bad_value(f"--{name.replace('_', '-')}", value, "a TCP port 0..65535")
        if not self.allow_remote and self.host not in LOOPBACK_HOSTS:
            raise bad_value(
                "--host", self.host, "a loopback address unless --allow-remote (then use TLS)"
            )
        if (self.tls_port is not None or self.mtls_port is not None) and (
            self.certfile is None or self.keyfile is None
        ):
            raise bad_value("--cert", self.certfile, "a server certificate and key for TLS ports")
        if self.mtls_port is not None and self.client_ca is None:
            raise bad_value("--client-ca", None, "a CA file for mutual TLS (profile 3)")

    @property
    def slot_s(self) -> float:
        """Planning slot [s]."""
        return self.slot_min * 60.0

"""The live service's defaults and its validated options.

Every number that is a default or a setting is a row of evgrid's parameter table
(``service_*`` rows of ``evgrid/data/parameters.csv``: value, unit, allowed range, basis,
source); it is read here once under a module-level name. What stays a literal below is not a
choice: a protocol constant with its clause (the 6 A floor of the control pilot, the stack levels
and profile ids the service reserves, the subprotocol names).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from pathlib import Path

from evgrid.errors import bad_value
from evgrid.params import default, parameter

# --- the pile and its car ------------------------------------------------------------------------
PHASE_VOLTAGE_V: float = default("service_phase_voltage_v")
"""Phase voltage of a pile until it reports its own [V] (parameter table)."""
MIN_CURRENT_A = 6.0
"""Lowest current a car accepts through the control-pilot PWM signal [A per phase]
(IEC 61851-1:2017 annex A; GB/T 18487.1-2015 annex A uses the same 6 A floor): below it the
pile pauses charging (0 A). Not a choice: the standard's."""
MAX_CURRENT_A: float = default("service_pile_max_a")
"""Highest current of a registered pile unless its registration says otherwise [A per phase]."""
PILE_PHASES: int = default("service_pile_phases")
"""Phases of a registered pile unless its registration says otherwise [-]."""
CURRENT_STEP_A: float = default("service_current_step_a")
"""Resolution of the current limits the service plans [A]."""
DEFAULT_MAX_PERIODS: int = default("service_max_periods")
"""Periods per schedule of a pile that does not report ``ChargingScheduleMaxPeriods`` [-]."""

# --- the planning loop ---------------------------------------------------------------------------
SLOT_MIN: float = default("service_slot_min")
"""Planning slot [min]."""
DEBOUNCE_S: float = default("service_debounce_s")
"""Quiet time after an event before the planner runs [s of wall time]."""
DEBOUNCE_MAX_S: float = default("service_debounce_max_s")
"""Longest wait for a quiet spell after the first event [s of wall time]."""
MARGIN_PU: float = default("service_margin_pu")
"""Headroom kept below the loading limit against forecast error [pu]."""
METER_TAU_H: float = default("service_meter_tau_h")
"""Time constant over which a meter correction of the forecast fades [h]."""
METER_STALE_S: float = default("service_meter_stale_s")
"""A site meter reading older than this is not used [s]."""
ESTIMATE_DEPARTURE_Q: float = default("service_departure_quantile")
"""Quantile of the departure-hour prior for an undeclared session [-]."""
ESTIMATE_ENERGY_Q: float = default("service_energy_quantile")
"""Quantile of the session-energy prior for an undeclared session [-]."""
PRIOR_SAMPLE: int = default("service_prior_sessions")
"""Sessions sampled from the behaviour preset to build the priors [-]."""
FULL_AFTER_S: float = default("service_full_after_s")
"""A car drawing nothing this long under a limit of 6 A or more is taken as full [s]."""
TOPUP_KWH: float = default("service_topup_kwh")
"""Energy added to an undeclared car's estimate at each top-up [kWh]."""
HISTORY_MIN: int = default("service_history_sessions")
"""Finished sessions of a pile before its own history replaces the behaviour prior [-]."""

# --- the pile link -------------------------------------------------------------------------------
HEARTBEAT_S: int = default("service_heartbeat_s")
"""Heartbeat interval given to piles at boot [s]."""
METER_INTERVAL_S: int = default("service_meter_interval_s")
"""Meter-value sample interval asked of piles [s]."""
CALL_TIMEOUT_S: float = default("service_call_timeout_s")
"""Wait for a pile's answer to one call [s of wall time]."""
RETRIES: int = default("service_retries")
"""Attempts per profile after a timeout [-]."""
RETRY_BACKOFF_S: float = default("service_retry_backoff_s")
"""Wait before another attempt after a timeout, doubled after each [s of wall time]."""
REJECT_RETRY_S: float = default("service_reject_retry_s")
"""Wait before a rejected TxProfile is sent once more [s of wall time]."""
REJECT_LIMIT: int = default("service_reject_limit")
"""Profiles in a row a pile may refuse before it is marked uncontrollable [-]."""
UNCONTROLLED_RETRY_S: float = default("service_uncontrolled_retry_s")
"""Wait before an uncontrollable pile is tried again, doubled after each try [s of wall time]."""
UNCONTROLLED_RETRY_MAX_S: float = default("service_uncontrolled_retry_max_s")
"""Longest wait between tries of an uncontrollable pile [s of wall time]."""
START_BACKDATE_S: int = default("service_start_backdate_s")
"""A schedule starts this long before it is sent [s] (OCPP 1.6 section 3.13.3)."""
GUARD_S: int = default("service_guard_s")
"""Rises of a plan's profile move this much later and falls earlier [s]."""
SKEWED_SLOTS: int = default("service_skewed_slots")
"""Slots covered by the short profiles of a pile with a skewed clock [-]."""
SKEWED_GUARD_S: int = default("service_skewed_guard_s")
"""Guard of a skewed pile's profiles [s]."""
SKEW_LIMIT_S: float = default("service_skew_limit_s")
"""Clock skew above which a pile gets short, slot-by-slot profiles [s]."""
IDLE_HOLD_H: float = default("service_idle_hold_h")
"""Length of the idle hold [h]."""
IDLE_REFRESH_H: float = default("service_idle_refresh_h")
"""The idle hold is renewed when less than this is left of it [h]."""

# --- stack levels and profile ids the service reserves (identifiers, not quantities) -------------
DEFAULT_STACK = 0
"""Stack level of the commissioning defaults (TxDefaultProfile, ChargePointMaxProfile)."""
DR_STACK = 1
"""Stack level of the demand-response default (a TxDefaultProfile on connector 0 valid only
during the event), above the commissioning default and below the idle hold."""
IDLE_STACK = 2
"""Stack level of the idle hold: a TxDefaultProfile of 0 A on connector 0 on every pile the
service controls, so a new car waits (about a second) for its plan instead of taking the
commissioning default. It lasts :data:`IDLE_HOLD_H`; after it the commissioning default applies
again, and the planner counts it."""
PLAN_STACK = 3
"""Stack level of the planner's profiles (TxProfile, or the connector TxDefaultProfile that
replaces it on piles that reject TxProfile)."""
DEFAULT_PROFILE_ID = 1
"""Profile id of the recurring TxDefaultProfile on connector 0 [-]."""
MAX_PROFILE_ID = 2
"""Profile id of the ChargePointMaxProfile [-]."""
DR_PROFILE_ID = 3
"""Profile id of the demand-response default [-]."""
IDLE_PROFILE_ID = 4
"""Profile id of the idle hold [-]."""
PLAN_PROFILE_BASE = 100
"""Profile ids of the planner's profiles are ``PLAN_PROFILE_BASE + connector`` [-]."""

# --- demand response -----------------------------------------------------------------------------
DR_MAX_UNMET_SHARE: float = default("service_dr_max_unmet_share")
"""A voluntary site opts in when the cap leaves at most this share more unmet [-]."""
DR_SIMPLE_LEVELS = {k: float(default(f"service_dr_simple_level_{k}_pu")) for k in (1, 2, 3)}
"""OpenADR ``SIMPLE`` signal levels as caps on the site limit [pu]."""

MIN_TOKEN_CHARS = 16
"""Shortest operator-API token [characters] (as the web app's access token)."""
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
        Behaviour preset of the estimates (default: the table's ``behaviour_residential``).
    dr_policy
        ``"voluntary"`` (a demand-response cap that costs too much energy is declined, the
        OpenADR answer is ``optOut``) or ``"contracted"`` (every cap is obeyed, ``optIn``).
    ca_key
        Private key of ``client_ca`` (PEM): with it the service signs the certificate signing
        requests of profile-3 piles (OCPP 2.0.1 SignCertificate, 1.6 security extension).
    admin_token
        Token of the operator API on the status port (at least 16 characters); None: no
        operator API.
    upstream
        The operator's CSMS (``ws://`` or ``wss://`` URL of its OCPP path): local-controller
        mode, every pile message is forwarded there and its calls to the piles come back down.
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
    fallback: str = default("service_fallback")
    phase_voltage_v: float = PHASE_VOLTAGE_V
    utc_offset_h: float = default("service_utc_offset_h")
    behaviour: str = default("behaviour_residential")
    dr_policy: str = default("service_dr_policy")
    ca_key: Path | None = None
    admin_token: str | None = field(default=None, repr=False)
    upstream: str | None = None
    vtn_url: str | None = None
    ven_name: str = "evgrid"
    vtn_fingerprint: str | None = None
    ven_cert: Path | None = None
    ven_key: Path | None = None
    vtn_ca: Path | None = None

    def __post_init__(self) -> None:
        checked = {
            "limit_pu": ("loading_limit_pu", "limit_pu"),
            "margin_pu": ("service_margin_pu", "margin_pu"),
            "slot_min": ("service_slot_min", "slot_min"),
            "debounce_s": ("service_debounce_s", "debounce_s"),
            "fallback": ("service_fallback", "fallback"),
            "phase_voltage_v": ("service_phase_voltage_v", "phase_voltage_v"),
            "utc_offset_h": ("service_utc_offset_h", "utc_offset_h"),
            "dr_policy": ("service_dr_policy", "dr_policy"),
        }
        for name, (row, flag) in checked.items():
            value = getattr(self, name)
            if isinstance(value, int) and not isinstance(value, bool) and name != "fallback":
                value = float(value)
            object.__setattr__(self, name, parameter(row).check(value, flag))
        if not self.margin_pu < self.limit_pu:
            raise bad_value("margin_pu", self.margin_pu, "a margin below the limit [pu]")
        if not (math.isfinite(self.slot_min) and 1440.0 % self.slot_min == 0):
            raise bad_value("slot_min", self.slot_min, "a slot [min] that divides 1440")
        if not re.fullmatch(r"(/[A-Za-z0-9._~-]+)*", self.ocpp_path) or ".." in self.ocpp_path:
            raise bad_value(
                "ocpp_path", self.ocpp_path, "'' or /name[/name...] (letters, digits, . _ ~ -)"
            )
        presets = str(parameter("behaviour_residential").allowed).split(":", 1)[1]
        names = (*(w.strip() for w in presets.split(",")), "office")
        if self.behaviour not in names:
            raise bad_value("behaviour", self.behaviour, "one of " + ", ".join(names))
        for name in ("port", "tls_port", "mtls_port", "status_port"):
            value = getattr(self, name)
            if value is not None and (
                isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 65535
            ):
                raise bad_value(name, value, "a TCP port 0..65535")
        if not self.allow_remote and self.host not in LOOPBACK_HOSTS:
            raise bad_value(
                "host", self.host, "a loopback address unless allow_remote (then use TLS)"
            )
        if (self.tls_port is not None or self.mtls_port is not None) and (
            self.certfile is None or self.keyfile is None
        ):
            raise bad_value("certfile", self.certfile, "a server certificate and key for TLS ports")
        if self.admin_token is not None and (
            len(self.admin_token) < MIN_TOKEN_CHARS
            or not self.admin_token.strip()
            or not self.admin_token.isprintable()
        ):
            raise bad_value(
                "admin_token", "*" * 8, f"at least {MIN_TOKEN_CHARS} printable characters"
            )
        if self.upstream is not None:
            up = self.upstream
            ok = isinstance(up, str) and up.isprintable() and not any(c.isspace() for c in up)
            if ok:
                from urllib.parse import urlsplit

                try:
                    parts = urlsplit(up)
                    parts.port  # noqa: B018 - raises on a bad port
                except ValueError:
                    ok = False
                else:
                    ok = parts.scheme in ("ws", "wss") and bool(parts.hostname)
            if not ok:
                raise bad_value("upstream", up, "a ws:// or wss:// URL of the CSMS's OCPP path")
        if self.ca_key is not None and self.client_ca is None:
            raise bad_value("ca_key", self.ca_key, "a CA key together with client_ca")
        if self.mtls_port is not None and self.client_ca is None:
            raise bad_value("client_ca", None, "a CA file for mutual TLS (profile 3)")

    @property
    def slot_s(self) -> float:
        """Planning slot [s]."""
        return self.slot_min * 60.0

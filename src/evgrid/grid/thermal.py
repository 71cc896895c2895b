"""IEC 60076-7 thermal model of an oil-immersed transformer: top-oil, hot-spot and ageing.

Kernel layer: pure numpy/scipy on arrays of many load cases at once, shape
``(n_cases, n_slots)``, no I/O.

Model (IEC 60076-7:2018, clause 8.2: the differential equations and their exponential and
difference-equation solutions): with load factor K (current / rated current; evgrid uses
``loading_pu``) and ambient temperature θa,

* top oil: ``k11 τo dθo/dt = Δθor ((1 + R K²) / (1 + R))^x − (θo − θa)``;
* hot-spot rise over top oil, the two-term winding model: ``Δθh = Δθh1 − Δθh2`` with
  ``k22 τw dΔθh1/dt = k21 Δθhr K^y − Δθh1`` and ``(τo / k22) dΔθh2/dt = (k21 − 1) Δθhr K^y −
  Δθh2``;
* hot spot ``θh = θo + Δθh``.

Load and ambient are held constant within each slot (a slot's mean), so each equation is a
first-order lag with a piecewise-constant input, solved exactly:
``y[n] = a y[n−1] + (1 − a) u[n]`` with ``a = exp(−Δt / τ)``. This is the solution
of the IEC 60076-7 exponential equations applied slot by slot and is the same update as the
``transformer-thermal-model`` package (Alliander, MPL-2.0); unlike the explicit-Euler difference
equations of the standard it stays exact for slots longer than the winding time constant
(15 min slots against k22 τw = 8 min). The recurrence is a linear filter, run along the time
axis for all cases at once by :func:`scipy.signal.lfilter`. Temperatures are those at the end of
each slot; as each lag moves monotonically within a slot, their maximum is the maximum over
continuous time.

Initial state: ``"cyclic"`` (default) starts each case in its periodic steady state, the state
that repeating the case's horizon forever settles to (exact, from the filter's linearity: a
typical day is preceded by the same day); a number ``K0`` starts from the steady state at load
factor K0 and the first slot's ambient.

Ageing (clause 6.3), non-thermally-upgraded paper: ``V = 2^((θh − 98) / 6)``;
thermally upgraded paper: ``V = exp(15000 / 383 − 15000 / (θh + 273))``. Loss of
life over a horizon ``L = Σ V Δt`` (IEC 60076-7 loss of life), evaluated with the slot-end hot spot
(right-endpoint rule, as the package's ``days_aged``).
"""

from __future__ import annotations

import csv
import functools
from dataclasses import dataclass
from importlib import resources
from typing import Literal, NamedTuple

import numpy as np
import numpy.typing as npt

from evgrid.errors import bad_value
from evgrid.timegrid import FloatArray

MINUTES_PER_DAY = 1440.0

REFERENCE_HOT_SPOT_C = 98.0
"""Hot spot at which non-upgraded paper ages at the normal rate, V = 1 [°C] (IEC 60076-7:2018,
6.3)."""

AGEING_DOUBLING_K = 6.0
"""Hot-spot rise that doubles the ageing rate of non-upgraded paper [K] (IEC 60076-7:2018, 6.3)."""

UPGRADED_PAPER_ACTIVATION_K = 15000.0
"""Arrhenius constant of thermally upgraded paper [K] (IEC 60076-7:2018)."""

UPGRADED_PAPER_REFERENCE_C = 110.0
"""Hot spot at which thermally upgraded paper ages at V = 1 [°C] (IEC 60076-7)."""

KELVIN_OFFSET = 273.0
"""Celsius to kelvin as written in the IEC 60076-7:2018 (6.3) ageing rate of upgraded paper [K]."""

Paper = Literal["normal", "upgraded"]
PAPERS: tuple[str, ...] = ("normal", "upgraded")


@dataclass(frozen=True)
class ThermalParams:
    """Thermal characteristics of an oil-immersed transformer (IEC 60076-7:2018, Table 5).

    The defaults are the standard's recommended values for ONAN distribution transformers
    (the column "distribution transformer, ONAN"): at rated load and 20 °C ambient the hot spot
    is 20 + 55 + 23 = 98 °C, where ageing runs at the normal rate.

    Parameters
    ----------
    top_oil_rise_k
        Top-oil rise over ambient at rated losses, Δθor [K].
    hot_spot_gradient_k
        Hot-spot to top-oil gradient at rated current, Δθhr = H·gr [K].
    loss_ratio
        Load losses at rated current / no-load losses, R [-].
    oil_exponent
        Oil exponent x [-].
    winding_exponent
        Winding exponent y [-].
    oil_time_constant_min
        Average oil time constant τo [min].
    winding_time_constant_min
        Winding time constant τw [min].
    k11, k21, k22
        Thermal model constants [-].
    """

    top_oil_rise_k: float = 55.0
    hot_spot_gradient_k: float = 23.0
    loss_ratio: float = 5.0
    oil_exponent: float = 0.8
    winding_exponent: float = 1.6
    oil_time_constant_min: float = 180.0
    winding_time_constant_min: float = 4.0
    k11: float = 1.0
    k21: float = 1.0
    k22: float = 2.0

    def __post_init__(self) -> None:
        for name in (
            "top_oil_rise_k",
            "hot_spot_gradient_k",
            "loss_ratio",
            "oil_exponent",
            "winding_exponent",
        ):
            value = getattr(self, name)
            if not np.isfinite(value) or value < 0:
                raise bad_value(f"thermal parameter {name}", value, "a finite number >= 0")
        for name in ("oil_time_constant_min", "winding_time_constant_min", "k11", "k22"):
            value = getattr(self, name)
            if not np.isfinite(value) or value <= 0:
                raise bad_value(f"thermal parameter {name}", value, "a finite number > 0")
        if not np.isfinite(self.k21) or self.k21 < 1:
            raise bad_value("thermal parameter k21", self.k21, "a finite number >= 1")

    @classmethod
    def for_cooling(cls, cooling: str) -> ThermalParams:
        """The IEC 60076-7:2018 Table 5 column ``cooling`` (``evgrid/data/iec60076_7_table5.csv``).

        Parameters
        ----------
        cooling
            ``"ONAN-distribution"`` (distribution transformers), or ``"ONAN"``, ``"ONAF"``,
            ``"OF"``, ``"OD"`` (medium and large power transformers).
        """
        table = _table5()
        if cooling not in table:
            raise bad_value("cooling", cooling, "one of " + ", ".join(table))
        return table[cooling]


@functools.cache
def _table5() -> dict[str, ThermalParams]:
    text = (resources.files("evgrid") / "data" / "iec60076_7_table5.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return {
        row.pop("cooling"): ThermalParams(**{k: float(v) for k, v in row.items()}) for row in rows
    }


ONAN_DISTRIBUTION = ThermalParams()
"""IEC 60076-7:2018 Table 5, distribution transformer, ONAN (the dataclass defaults)."""


class ThermalResponse(NamedTuple):
    """Temperatures at the end of each slot, each ``loading_pu.shape``."""

    top_oil_c: FloatArray
    """Top-oil temperature θo [°C]."""
    hot_spot_c: FloatArray
    """Winding hot-spot temperature θh [°C]."""


def _lag(target: FloatArray, decay: float, initial: Literal["cyclic"] | FloatArray) -> FloatArray:
    """Exact first-order lag ``y[n] = a y[n-1] + (1 - a) target[n]`` along the last axis.

    ``initial`` is the state before slot 0, shape ``target.shape[:-1]``, or ``"cyclic"`` for the
    periodic steady state.
    """
    from scipy.signal import lfilter  # imported here: scipy.signal takes ~1 s to import

    zero_start = np.asarray(lfilter([1.0 - decay], [1.0, -decay], target, axis=-1))
    n_slots = target.shape[-1]
    powers = decay ** np.arange(1, n_slots + 1, dtype=np.float64)
    cyclic = isinstance(initial, str)
    start = zero_start[..., -1] / (1.0 - decay**n_slots) if cyclic else initial
    return np.asarray(zero_start + np.asarray(start)[..., np.newaxis] * powers, dtype=np.float64)


def thermal_response(
    loading_pu: npt.ArrayLike,
    ambient_c: npt.ArrayLike,
    slot_min: float,
    params: ThermalParams = ONAN_DISTRIBUTION,
    initial: Literal["cyclic"] | float = "cyclic",
) -> ThermalResponse:
    """Top-oil and hot-spot temperatures of many load cases (IEC 60076-7, clause 8.2).

    Parameters
    ----------
    loading_pu
        Load factor K in each slot, ``(n_slots,)`` or ``(n_cases, n_slots)`` [pu of rating].
    ambient_c
        Ambient temperature: a constant, ``(n_slots,)`` or broadcastable to ``loading_pu`` [°C].
    slot_min
        Slot length Δt [min].
    params
        Thermal characteristics (default: IEC 60076-7 Table 5 ONAN distribution transformer).
    initial
        ``"cyclic"``: periodic steady state of each case; a number K0: steady state at load
        factor K0 [pu] and the first slot's ambient.

    Returns
    -------
    ThermalResponse
        ``top_oil_c`` and ``hot_spot_c`` at the end of each slot, shape of ``loading_pu`` [°C].
    """
    load = np.asarray(loading_pu, dtype=np.float64)
    ambient = np.broadcast_to(np.asarray(ambient_c, dtype=np.float64), load.shape)
    p = params
    oil_tau_min = p.k11 * p.oil_time_constant_min
    winding_tau_min = p.k22 * p.winding_time_constant_min
    oil_flow_tau_min = p.oil_time_constant_min / p.k22

    def top_oil_rise(k: npt.ArrayLike) -> FloatArray:
        ratio = (1.0 + p.loss_ratio * np.square(k)) / (1.0 + p.loss_ratio)
        return np.asarray(p.top_oil_rise_k * ratio**p.oil_exponent, dtype=np.float64)

    def winding_rise(k: npt.ArrayLike) -> FloatArray:
        return np.asarray(p.hot_spot_gradient_k * np.power(k, p.winding_exponent))

    rise = winding_rise(load)
    if isinstance(initial, str):
        if initial != "cyclic":
            raise bad_value("thermal initial state", initial, "'cyclic' or a load factor [pu]")
        start_oil: Literal["cyclic"] | FloatArray = "cyclic"
        start_h1: Literal["cyclic"] | FloatArray = "cyclic"
        start_h2: Literal["cyclic"] | FloatArray = "cyclic"
    else:
        shape = load.shape[:-1]
        start_oil = np.full(shape, top_oil_rise(initial)) + ambient[..., 0]
        start_h1 = np.full(shape, p.k21 * winding_rise(initial))
        start_h2 = np.full(shape, (p.k21 - 1.0) * winding_rise(initial))
    top_oil = _lag(ambient + top_oil_rise(load), np.exp(-slot_min / oil_tau_min), start_oil)
    rise_h1 = _lag(p.k21 * rise, np.exp(-slot_min / winding_tau_min), start_h1)
    if p.k21 == 1.0:  # the oil-flow term vanishes (ONAN distribution transformers, Table 5)
        return ThermalResponse(top_oil, top_oil + rise_h1)
    rise_h2 = _lag((p.k21 - 1.0) * rise, np.exp(-slot_min / oil_flow_tau_min), start_h2)
    return ThermalResponse(top_oil, top_oil + rise_h1 - rise_h2)


def hot_spot_c(
    loading_pu: npt.ArrayLike,
    ambient_c: npt.ArrayLike,
    slot_min: float,
    params: ThermalParams = ONAN_DISTRIBUTION,
    initial: Literal["cyclic"] | float = "cyclic",
) -> FloatArray:
    """Winding hot-spot temperature at the end of each slot [°C].

    Same parameters as :func:`thermal_response`; returns only its ``hot_spot_c``.
    """
    return thermal_response(loading_pu, ambient_c, slot_min, params, initial).hot_spot_c


def relative_ageing(hot_spot_c: npt.ArrayLike, paper: Paper | str = "normal") -> FloatArray:
    """Relative ageing rate V of the paper insulation (IEC 60076-7:2018, 6.3).

    Parameters
    ----------
    hot_spot_c
        Hot-spot temperature θh [°C].
    paper
        ``"normal"`` (non-thermally upgraded, ``2^((θh − 98)/6)``) or
        ``"upgraded"`` (thermally upgraded).

    Returns
    -------
    numpy.ndarray
        V, shape of ``hot_spot_c`` [-] (1 = normal ageing).
    """
    theta = np.asarray(hot_spot_c, dtype=np.float64)
    if paper == "normal":
        return np.asarray(np.exp2((theta - REFERENCE_HOT_SPOT_C) / AGEING_DOUBLING_K))
    if paper == "upgraded":
        reference_k = UPGRADED_PAPER_REFERENCE_C + KELVIN_OFFSET
        return np.asarray(
            np.exp(
                UPGRADED_PAPER_ACTIVATION_K / reference_k
                - UPGRADED_PAPER_ACTIVATION_K / (theta + KELVIN_OFFSET)
            )
        )
    raise bad_value("paper insulation", paper, " or ".join(PAPERS))


def loss_of_life_days(
    hot_spot_c: npt.ArrayLike, slot_min: float, paper: Paper | str = "normal"
) -> FloatArray:
    """Loss of life over the horizon, ``L = Σ V Δt`` (IEC 60076-7:2018, loss of life).

    Parameters
    ----------
    hot_spot_c
        Slot-end hot-spot temperature, ``(..., n_slots)`` [°C].
    slot_min
        Slot length Δt [min].
    paper
        Paper insulation, see :func:`relative_ageing`.

    Returns
    -------
    numpy.ndarray
        Life consumed, shape ``hot_spot_c.shape[:-1]`` [days of normal life].
    """
    ageing = relative_ageing(hot_spot_c, paper)
    return np.asarray(ageing.sum(axis=-1) * slot_min / MINUTES_PER_DAY, dtype=np.float64)


def ageing_days_per_day(
    hot_spot_c: npt.ArrayLike, slot_min: float, paper: Paper | str = "normal"
) -> FloatArray:
    """Mean loss of life per day of horizon [days/day] (1 = normal ageing).

    Parameters
    ----------
    hot_spot_c
        Slot-end hot-spot temperature, ``(..., n_slots)`` [°C].
    slot_min
        Slot length Δt [min].
    paper
        Paper insulation, see :func:`relative_ageing`.
    """
    theta = np.asarray(hot_spot_c, dtype=np.float64)
    horizon_days = theta.shape[-1] * slot_min / MINUTES_PER_DAY
    return loss_of_life_days(theta, slot_min, paper) / horizon_days

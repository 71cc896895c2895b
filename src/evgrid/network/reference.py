"""The reference: every step by power-grid-model (the peer of the benchmark and the check of the
screen), chunked, each element's extreme kept as the screen keeps it."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from evgrid.network.model import Network, three_phase_buses
from evgrid.network.powerflow import pgm_batch, pgm_model
from evgrid.network.screening import PER_STEP, Extremes, StepLoads, _metrics, balanced_points
from evgrid.params import default


def pgm_extremes(
    net: Network,
    loads: StepLoads,
    *,
    method: str = "newton_raphson",
    chunk: int | None = None,
    progress: Callable[[int], None] | None = None,
) -> Extremes:
    """Every step by power-grid-model (the reference and the peer of the benchmark), chunked."""
    lp = balanced_points(loads.lp) if loads.symmetric else loads.lp
    mdl = pgm_model(net, lp)
    size = int(default("network_step_chunk") if chunk is None else chunk)
    n = loads.n_steps
    best: dict[str, tuple[np.ndarray, np.ndarray]] = {}
    per_step = {name: np.empty(n) for name in PER_STEP}
    three = three_phase_buses(net)
    rules = {
        "vmin": ("v", np.argmin, np.min),
        "vmax": ("v", np.argmax, np.max),
        "unb": ("unb", np.argmax, np.max),
        "cable": ("cable", np.argmax, np.max),
        "neutral": ("neutral", np.argmax, np.max),
        "unit": ("unit", np.argmax, np.max),
        "unit_total": ("unit_total", np.argmax, np.max),
    }
    for lo in range(0, n, size):
        hi = min(lo + size, n)
        sol = pgm_batch(net, lp, loads.power(slice(lo, hi)), model=mdl, method=method)
        m = _metrics(net, sol)
        for key, (src, arg, red) in rules.items():
            vals = m[src]
            k = arg(vals, axis=0)
            v = red(vals, axis=0)
            if key not in best:
                best[key] = (v, k + lo)
            else:
                old_v, old_t = best[key]
                better = v < old_v if key == "vmin" else v > old_v
                best[key] = (np.where(better, v, old_v), np.where(better, k + lo, old_t))
        per_step["min_voltage_pu"][lo:hi] = m["v"].reshape(hi - lo, -1).min(axis=1)
        per_step["max_voltage_pu"][lo:hi] = m["v"].reshape(hi - lo, -1).max(axis=1)
        per_step["max_cable_loading_pu"][lo:hi] = m["cable"].reshape(hi - lo, -1).max(axis=1)
        per_step["max_transformer_loading_pu"][lo:hi] = m["unit"].max(axis=1)
        per_step["max_voltage_unbalance_pct"][lo:hi] = m["unb"].max(axis=1)
        for name, mask in (("1ph", ~three), ("3ph", three)):  # by the voltage limit they keep
            held = m["v"][:, mask].reshape(hi - lo, -1)
            per_step[f"min_voltage_{name}_pu"][lo:hi] = held.min(axis=1, initial=np.inf)
            per_step[f"max_voltage_{name}_pu"][lo:hi] = held.max(axis=1, initial=0.0)
        if progress is not None:
            progress(hi)
    per_step["bound_pu"][:] = 0.0
    per_step["iterations"][:] = np.nan
    return Extremes(
        vmin_pu=best["vmin"][0],
        vmin_step=best["vmin"][1],
        vmax_pu=best["vmax"][0],
        vmax_step=best["vmax"][1],
        unbalance_pct=best["unb"][0],
        unbalance_step=best["unb"][1],
        cable_loading_pu=best["cable"][0],
        cable_loading_step=best["cable"][1],
        neutral_a=best["neutral"][0],
        neutral_step=best["neutral"][1],
        unit_loading_pu=best["unit"][0],
        unit_loading_step=best["unit"][1],
        unit_total_pu=best["unit_total"][0],
        unit_total_step=best["unit_total"][1],
        per_step=per_step,
        bound_pu=0.0,
        method=f"pgm-{method}",
    )

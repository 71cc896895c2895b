"""Cross-check of the power flow against OpenDSS on the IEEE European LV test feeder.

The network is read from pandapower's data (evgrid's reader), written out as OpenDSS commands
here (the same sequence impedances, unit, source and constant-power loads), and solved by both
power-grid-model's Newton-Raphson (:func:`evgrid.network.powerflow.pgm_batch`) and OpenDSS
(opendssdirect.py): every bus-phase voltage agrees within 1e-4 pu, for one snapshot and for one
day of 96 steps.
"""

from __future__ import annotations

import numpy as np
import pytest

from evgrid.network.formats import ieee_eu_lv
from evgrid.network.powerflow import LoadPoints, pgm_batch, pgm_model
from evgrid.network.screening import StepLoads, screen

dss = pytest.importorskip("opendssdirect")
pytest.importorskip("power_grid_model")
pytest.importorskip("pandapower", reason="the IEEE feeder's data ships with pandapower")


def _dss_lines(net, lp):
    mv_v = net.mv_kv * 1e3
    rx = net.source_rx
    z = mv_v**2 / (net.source_sk_mva * 1e6)
    r, x = z * rx / np.hypot(1, rx), z / np.hypot(1, rx)
    u = net.units[0]
    lines = [
        "clear",
        f"new circuit.ieee basekv={net.mv_kv} pu={net.source_voltage_pu} phases=3 "
        f"bus1=src Z1=[{r:.17g}, {x:.17g}] Z0=[{r:.17g}, {x:.17g}]",
        f"new transformer.t1 phases=3 windings=2 buses=[src, b{u.bus}] conns=[delta, wye] "
        f"kvs=[{u.primary_kv}, {u.secondary_v / 1e3}] kvas=[{u.rating_kva}, {u.rating_kva}] "
        f"%loadloss={u.r_pu * 100:.17g} xhl={u.x_pu * 100:.17g} %noloadloss=0 %imag=0",
    ]
    for k in range(net.n_cable):
        lines.append(
            f"new line.l{k} bus1=b{net.from_bus[k]}.1.2.3 bus2=b{net.to_bus[k]}.1.2.3 phases=3 "
            f"r1={net.r1_ohm[k]:.17g} x1={net.x1_ohm[k]:.17g} r0={net.r0_ohm[k]:.17g} "
            f"x0={net.x0_ohm[k]:.17g} c1=0 c0=0 length=1 units=none"
        )
    kv = net.nominal_v / 1e3 / np.sqrt(3)
    for k in range(lp.size):
        lines.append(
            f"new load.p{k} bus1=b{lp.bus[k]}.{lp.phase[k] + 1} phases=1 kv={kv:.17g} kw=1 kvar=0 "
            "model=1 vminpu=0.5 vmaxpu=1.5"
        )
    lines += [f"set voltagebases=[{net.mv_kv}, {net.nominal_v / 1e3}]", "calcvoltagebases"]
    return lines


def _dss_solve(net, lp, s_va):
    for line in _dss_lines(net, lp):
        dss.Text.Command(line)
    names = [n.lower() for n in dss.Circuit.AllNodeNames()]
    where = {n: i for i, n in enumerate(names)}
    out = np.empty((s_va.shape[0], net.n_bus, 3))
    for t in range(s_va.shape[0]):
        for k in range(lp.size):
            dss.Loads.Name(f"p{k}")
            dss.Loads.kW(s_va[t, k].real / 1e3)
            dss.Loads.kvar(s_va[t, k].imag / 1e3)
        dss.Solution.Solve()
        assert dss.Solution.Converged()
        v = np.asarray(dss.Circuit.AllBusMagPu())
        for b in range(net.n_bus):
            for p in range(3):
                out[t, b, p] = v[where[f"b{b}.{p + 1}"]]
    return out


def _loads(net, n_steps: int, seed: int) -> StepLoads:
    rng = np.random.default_rng(seed)
    lp = LoadPoints.of(net)
    household = 1.3 * (0.4 + 0.6 * np.sin(np.linspace(0, np.pi, n_steps)) ** 2)
    extra = rng.uniform(0, 3, (n_steps, lp.size))  # a little of each customer's own noise
    return StepLoads(lp, household, np.zeros((n_steps, 0))), extra


def _power(loads, extra):
    return loads.power(slice(None)) + extra * 1e3


@pytest.mark.parametrize("n_steps", [1, 96])
def test_ieee_eu_lv_against_opendss(n_steps: int) -> None:
    net = ieee_eu_lv()
    loads, extra = _loads(net, n_steps, seed=n_steps)
    s_va = _power(loads, extra)
    sol = pgm_batch(net, loads.lp, s_va, model=pgm_model(net, loads.lp))
    ours = np.abs(sol.v) / net.phase_v
    theirs = _dss_solve(net, loads.lp, s_va)
    live = np.isfinite(ours).all(axis=(0, 2))
    assert np.max(np.abs(ours[:, live] - theirs[:, live])) <= 1e-4


def test_ieee_eu_lv_screen_equals_newton_raphson() -> None:
    """The screen's extremes over a day equal Newton-Raphson's, element by element."""
    from evgrid.network.reference import pgm_extremes

    net = ieee_eu_lv()
    lp = LoadPoints.of(net)
    rng = np.random.default_rng(3)
    household = 1.3 * (0.4 + 0.6 * rng.random(96))
    piles = np.zeros((96, 0))
    loads = StepLoads(lp, household, piles)
    fast = screen(net, loads)
    full = pgm_extremes(net, loads)
    assert fast.bound_pu < 1e-7
    np.testing.assert_allclose(fast.vmin_pu, full.vmin_pu, atol=1e-6)
    np.testing.assert_allclose(fast.vmax_pu, full.vmax_pu, atol=1e-6)
    np.testing.assert_allclose(fast.cable_loading_pu, full.cable_loading_pu, atol=1e-6)
    np.testing.assert_allclose(fast.unit_loading_pu, full.unit_loading_pu, atol=1e-6)
    np.testing.assert_allclose(fast.unbalance_pct, full.unbalance_pct, atol=1e-4)

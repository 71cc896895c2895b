"""Compiled three-phase sweep of a radial low-voltage network over many steps (numba kernel).

For one step, the unknown phase voltages ``V`` solve ``V = E - Z I(V)`` with constant-power loads
``I_k = conj(S_k / V_k)``: the current-injection fixed point (backward sweep: cable currents are
the sums of the load currents beyond them; forward sweep: voltages drop along each cable,
``V_child = V_parent - Z_cable I_cable`` (the sequence model's phase matrix is
``z1 I + (z0 - z1) / 3 (1 1^T)``: four complex products a cable, not nine), from the busbar
whose voltage is the source and unit Thevenin equivalent in sequence components). Each step
starts from the previous step's solution.

The error bound (contraction mapping theorem, a posteriori): the map's Lipschitz constant in the
max-norm over the region ``|V| >= v_low`` is at most the largest row sum
``sum_k |Z_ik| |S_k| / v_low^2`` (``|d conj(S/V) / dV| = |S| / |V|^2``). The impedance shared by
the paths of bus ``i`` and load point ``k`` is part of either path, so ``|Z_ik| <= w_th + w_k``
(``w_th`` bounds the busbar's Thevenin part, ``w_k`` the cables on ``k``'s path), and only
``w_th`` when they sit on different feeders; hence
``q = (w_th sum_k |S_k| + max_f sum_{k in f} w_k |S_k|) / v_low^2``. When ``q < 1`` the exact
solution lies within ``q / (1 - q) * |V_n - V_(n-1)|`` of the last iterate (``v_low``: 0.99 of
the step's lowest voltage, a margin the iterate's tiny distance to the solution never uses up).
The kernel returns that bound per step.

Per element it keeps only the extremes and the step where each occurs (memory bounded): lowest
and highest phase voltage per bus, highest negative-sequence unbalance per bus, highest phase
current and neutral (return) current per cable, highest phase loading per unit; and per step the
network-wide extremes.
"""

from __future__ import annotations

import numpy as np

from evgrid.charging._jit import njit

FAST_FLAGS = {"reassoc", "contract", "arcp", "nsz"}
"""LLVM fast-math flags of the kernel: reordering and fused products only, never ``nnan`` or
``ninf`` (the extremes start at infinity and a step that does not converge has an infinite
bound)."""

A_OP = np.exp(2j * np.pi / 3.0)
"""The operator ``a = exp(j 120°)`` of symmetrical components [-]."""


@njit(cache=True, nogil=True, fastmath=FAST_FLAGS)
def sweep_steps(
    p_w: np.ndarray,
    q_var: np.ndarray,
    lp_bus: np.ndarray,
    lp_phase: np.ndarray,
    lp_weight: np.ndarray,
    lp_feeder: np.ndarray,
    w_thevenin: float,
    order: np.ndarray,
    parent: np.ndarray,
    cable_to: np.ndarray,
    z1_cable: np.ndarray,
    zm_cable: np.ndarray,
    unit_bus: np.ndarray,
    unit_ratio: np.ndarray,
    unit_z1: np.ndarray,
    unit_z0: np.ndarray,
    e_mv: complex,
    z_mv: complex,
    v_base: float,
    three_phase: np.ndarray,
    ampacity: np.ndarray,
    unit_va: np.ndarray,
    tol_pu: float,
    max_iter: int,
    step0: int,
    v_state: np.ndarray,
    ext_bus: np.ndarray,
    ext_bus_t: np.ndarray,
    ext_cable: np.ndarray,
    ext_cable_t: np.ndarray,
    ext_unit: np.ndarray,
    ext_unit_t: np.ndarray,
    per_step: np.ndarray,
) -> None:
    """Solve steps ``0 .. n_steps - 1`` of the loads ``p_w + j q_var`` ``(n_steps, n_lp)``
    [W, var] and fold them into the running extremes.

    ``ext_bus[:, 0:3]`` lowest |V| per phase [pu], ``3:6`` highest [pu], ``6`` highest unbalance
    [%]; ``ext_cable[:, 0:3]`` highest loading per phase [pu], ``3`` highest neutral current [A];
    ``ext_unit[:, 0]`` highest phase loading, ``1`` highest total loading [pu] (``* _t``: the
    global step of each). ``per_step`` ``(n_steps, 11)``: lowest and highest |V| [pu], highest
    cable loading, unit loading [pu], unbalance [%], the error bound [pu], the iterations, then
    the lowest and highest |V| over the buses held to the single-phase limit and over those held
    to the three-phase limit (``three_phase``, a mask of the buses) [pu].
    ``v_state`` ``(n_bus, 3)`` holds the
    warm start and is left at the last solution.
    """
    n_steps = p_w.shape[0]
    n_bus = v_state.shape[0]
    n_lp = lp_bus.size
    n_unit = unit_bus.size
    a = np.exp(2j * np.pi / 3.0)
    a2 = a * a
    acc = np.zeros((n_bus, 3), np.complex128)
    v_new = np.zeros((n_bus, 3), np.complex128)
    i_unit = np.zeros((n_unit, 3), np.complex128)
    feeder_sum = np.zeros(lp_feeder.max() + 1 if n_lp else 1)
    tol2 = (tol_pu * v_base) ** 2
    for t in range(n_steps):
        delta2 = np.inf
        it = 0
        while it < max_iter:
            it += 1
            for b in range(n_bus):
                acc[b, 0] = 0.0
                acc[b, 1] = 0.0
                acc[b, 2] = 0.0
            for k in range(n_lp):
                b = lp_bus[k]
                ph = lp_phase[k]
                pk, qk = p_w[t, k], q_var[t, k]
                if pk != 0.0 or qk != 0.0:
                    v = v_state[b, ph]
                    inv = 1.0 / (v.real * v.real + v.imag * v.imag)
                    # conj(S / V) = (P - jQ) V / |V|^2
                    acc[b, ph] += complex(
                        (pk * v.real + qk * v.imag) * inv, (pk * v.imag - qk * v.real) * inv
                    )
            for j in range(order.size - 1, -1, -1):  # backward: currents beyond each bus
                b = order[j]
                p = parent[b]
                if p >= 0:
                    acc[p, 0] += acc[b, 0]
                    acc[p, 1] += acc[b, 1]
                    acc[p, 2] += acc[b, 2]
            # busbars: source and units in sequence components
            sum1 = 0.0 + 0.0j
            sum2 = 0.0 + 0.0j
            for u in range(n_unit):
                b = unit_bus[u]
                ia, ib, ic = acc[b, 0], acc[b, 1], acc[b, 2]
                i_unit[u, 0], i_unit[u, 1], i_unit[u, 2] = ia, ib, ic
                sum1 += unit_ratio[u] * (ia + a * ib + a2 * ic) / 3.0
                sum2 += unit_ratio[u] * (ia + a2 * ib + a * ic) / 3.0
            vm1 = e_mv - z_mv * sum1
            vm2 = -z_mv * sum2
            for u in range(n_unit):
                b = unit_bus[u]
                ia, ib, ic = acc[b, 0], acc[b, 1], acc[b, 2]
                i0 = (ia + ib + ic) / 3.0
                i1 = (ia + a * ib + a2 * ic) / 3.0
                i2 = (ia + a2 * ib + a * ic) / 3.0
                v0 = -unit_z0[u] * i0
                v1 = unit_ratio[u] * vm1 - unit_z1[u] * i1
                v2 = unit_ratio[u] * vm2 - unit_z1[u] * i2
                v_new[b, 0] = v0 + v1 + v2
                v_new[b, 1] = v0 + a2 * v1 + a * v2
                v_new[b, 2] = v0 + a * v1 + a2 * v2
            for j in range(order.size):  # forward: voltage drops along the cables
                b = order[j]
                p = parent[b]
                if p < 0:
                    continue
                c = cable_to[b]
                # Z_abc = z1 I + zm (1 1^T): drop_r = z1 I_r + zm (I_a + I_b + I_c)
                common = zm_cable[c] * (acc[b, 0] + acc[b, 1] + acc[b, 2])
                z1 = z1_cable[c]
                v_new[b, 0] = v_new[p, 0] - z1 * acc[b, 0] - common
                v_new[b, 1] = v_new[p, 1] - z1 * acc[b, 1] - common
                v_new[b, 2] = v_new[p, 2] - z1 * acc[b, 2] - common
            delta2 = 0.0  # largest squared update [V^2]
            for j in range(order.size):
                b = order[j]
                for r in range(3):
                    d = v_new[b, r] - v_state[b, r]
                    d2 = d.real * d.real + d.imag * d.imag
                    if d2 > delta2:
                        delta2 = d2
                    v_state[b, r] = v_new[b, r]
            if delta2 <= tol2:
                break
        delta = np.sqrt(delta2)
        g = step0 + t
        # extremes per bus (and the step's lowest and highest voltage)
        vlow = np.inf
        vhigh = 0.0
        low1, high1, low3, high3 = np.inf, 0.0, np.inf, 0.0  # by the limit the bus keeps
        unb_step = 0.0
        for j in range(order.size):
            b = order[j]
            bus_low, bus_high = np.inf, 0.0
            for r in range(3):
                m = abs(v_state[b, r])
                if m < vlow:
                    vlow = m
                if m > vhigh:
                    vhigh = m
                m /= v_base
                bus_low = min(bus_low, m)
                bus_high = max(bus_high, m)
                if m < ext_bus[b, r]:
                    ext_bus[b, r] = m
                    ext_bus_t[b, r] = g
                if m > ext_bus[b, 3 + r]:
                    ext_bus[b, 3 + r] = m
                    ext_bus_t[b, 3 + r] = g
            va, vb, vc = v_state[b, 0], v_state[b, 1], v_state[b, 2]
            v1 = abs(va + a * vb + a2 * vc)
            v2 = abs(va + a2 * vb + a * vc)
            unb = 100.0 * v2 / v1 if v1 > 0 else 0.0
            if unb > ext_bus[b, 6]:
                ext_bus[b, 6] = unb
                ext_bus_t[b, 6] = g
            if unb > unb_step:
                unb_step = unb
            if three_phase[b]:
                low3, high3 = min(low3, bus_low), max(high3, bus_high)
            else:
                low1, high1 = min(low1, bus_low), max(high1, bus_high)
        # error bound: q over |V| >= 0.99 * the step's lowest voltage
        # rows of one feeder share with another feeder's loads only the busbar's Thevenin part
        shared = 0.0
        for f in range(feeder_sum.size):
            feeder_sum[f] = 0.0
        for k in range(n_lp):
            m = np.sqrt(p_w[t, k] ** 2 + q_var[t, k] ** 2)
            shared += w_thevenin * m
            feeder_sum[lp_feeder[k]] += lp_weight[k] * m
        q = (shared + feeder_sum.max()) / (0.99 * vlow) ** 2
        bound = q / (1.0 - q) * delta / v_base if q < 1.0 and delta2 <= tol2 else np.inf
        cable_step = 0.0
        for j in range(order.size):
            b = order[j]
            c = cable_to[b]
            if c < 0:
                continue
            for r in range(3):
                ld = abs(acc[b, r]) / ampacity[c]
                if ld > ext_cable[c, r]:
                    ext_cable[c, r] = ld
                    ext_cable_t[c, r] = g
                if ld > cable_step:
                    cable_step = ld
            i_n = abs(acc[b, 0] + acc[b, 1] + acc[b, 2])
            if i_n > ext_cable[c, 3]:
                ext_cable[c, 3] = i_n
                ext_cable_t[c, 3] = g
        unit_step = 0.0
        for u in range(n_unit):
            b = unit_bus[u]
            s_total = 0.0 + 0.0j
            for r in range(3):
                s_r = v_state[b, r] * np.conj(acc[b, r])
                s_total += s_r
                ld = 3.0 * abs(s_r) / unit_va[u]
                if ld > ext_unit[u, 0]:
                    ext_unit[u, 0] = ld
                    ext_unit_t[u, 0] = g
                if ld > unit_step:
                    unit_step = ld
            ld = abs(s_total) / unit_va[u]
            if ld > ext_unit[u, 1]:
                ext_unit[u, 1] = ld
                ext_unit_t[u, 1] = g
        per_step[t, 0] = vlow / v_base
        per_step[t, 1] = vhigh / v_base
        per_step[t, 2] = cable_step
        per_step[t, 3] = unit_step
        per_step[t, 4] = unb_step
        per_step[t, 5] = bound
        per_step[t, 6] = it
        per_step[t, 7] = low1
        per_step[t, 8] = high1
        per_step[t, 9] = low3
        per_step[t, 10] = high3

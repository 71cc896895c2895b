"""Properties of base-load curves: resampling conserves energy; shapes scale exactly."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from evgrid.load import LoadCurve, typical_curve
from evgrid.timegrid import TimeGrid

SLOTS_MIN = (1.0, 5.0, 10.0, 15.0, 20.0, 30.0, 60.0, 120.0)
powers = arrays(np.float64, 24, elements=st.floats(0.0, 5000.0, allow_nan=False))


@given(power_kw=powers, slot_min=st.sampled_from(SLOTS_MIN), n_days=st.integers(1, 4))
def test_on_grid_conserves_daily_energy(power_kw: np.ndarray, slot_min: float, n_days: int) -> None:
    curve = LoadCurve(power_kw, slot_min=60.0)
    grid = TimeGrid(slot_min=slot_min, n_days=n_days)
    on_grid = curve.on_grid(grid)
    assert on_grid.shape == (grid.n_slots,)
    np.testing.assert_allclose(
        on_grid.sum() * grid.slot_h, n_days * curve.energy_kwh, rtol=1e-9, atol=1e-6
    )
    assert on_grid.max() <= curve.peak_kw + 1e-9
    assert on_grid.min() >= curve.valley_kw - 1e-9


@given(power_kw=powers, factor=st.sampled_from((2, 4, 12, 60)))
def test_refine_then_coarsen_is_identity(power_kw: np.ndarray, factor: int) -> None:
    curve = LoadCurve(power_kw, slot_min=60.0)
    fine = LoadCurve(curve.days_on(60.0 / factor), slot_min=60.0 / factor)
    np.testing.assert_allclose(fine.days_on(60.0), curve.power_kw, rtol=1e-12, atol=1e-9)


@given(
    kind=st.sampled_from(("residential", "office")),
    peak_kw=st.floats(1.0, 1e5),
    valley_share=st.floats(0.0, 1.0),
    slot_min=st.sampled_from((1.0, 5.0, 15.0, 30.0, 60.0)),
)
def test_typical_curve_scales_to_peak_and_valley(
    kind: str, peak_kw: float, valley_share: float, slot_min: float
) -> None:
    valley_kw = valley_share * peak_kw
    curve = typical_curve(kind, peak_kw, valley_kw, slot_min=slot_min)
    np.testing.assert_allclose(curve.peak_kw, peak_kw, rtol=1e-12)
    np.testing.assert_allclose(curve.valley_kw, valley_kw, rtol=1e-12, atol=1e-9)

"""Properties of the levers: more responders never raise the coordinated peak; the aggregator
never delivers more than asked or contracted and never leaves a car short of its energy."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from evgrid.charging.demand_response import contracted_dispatch
from evgrid.incentives.fleet import Fleet, responder_loads
from evgrid.sessions import Sessions
from evgrid.timegrid import TimeGrid


@st.composite
def fleets(draw: st.DrawFn) -> Fleet:
    """Evening-to-morning cars on a 2-day horizon of 30-min slots (no window crosses noon)."""
    n = draw(st.integers(2, 9))
    arrival = np.array(draw(st.lists(st.floats(16.0, 23.5), min_size=n, max_size=n)))
    stay = np.array(draw(st.lists(st.floats(0.5, 12.0), min_size=n, max_size=n)))
    energy = np.array(draw(st.lists(st.floats(0.5, 30.0), min_size=n, max_size=n)))
    power = np.array(draw(st.lists(st.sampled_from([3.5, 7.0]), min_size=n, max_size=n)))
    grid = TimeGrid(30.0, 2)
    hours = grid.starts_h
    base = 40.0 + 30.0 * np.cos((hours - 20.0) / 24.0 * 2 * np.pi) + draw(st.floats(0, 20))
    rank = np.array(draw(st.permutations(range(n))), dtype=np.int64)
    sessions = Sessions(arrival, arrival + stay, energy, power)
    return Fleet("t", grid, base, sessions, n, rank[None, :], slice(0, 2), 1.0, 1)


@given(fleets())
def test_more_responders_never_raise_the_coordinated_peak(fleet: Fleet) -> None:
    counts = np.arange(fleet.n_cars + 1)
    loads, _ = responder_loads(fleet, counts, "valley-filling")
    peaks = (fleet.base_kw + loads).max(axis=1)
    assert np.all(np.diff(peaks) <= 1e-7 * peaks[:-1] + 1e-9), peaks


@st.composite
def dispatch_cases(draw: st.DrawFn) -> tuple[np.ndarray, ...]:
    n = draw(st.integers(1, 6))
    m = draw(st.integers(2, 10))
    cap = np.array(draw(st.lists(st.sampled_from([0.0, 3.5, 7.0]), min_size=n * m,
                                 max_size=n * m))).reshape(n, m)  # fmt: skip
    frac = np.array(draw(st.lists(st.floats(0, 1), min_size=n * m, max_size=n * m)))
    base = cap * frac.reshape(n, m)
    contract = np.array(draw(st.lists(st.floats(0, 7), min_size=n, max_size=n)))
    first = draw(st.integers(0, m - 1))
    last = draw(st.integers(first, m - 1))
    event = np.zeros(m, dtype=bool)
    event[first : last + 1] = True
    requested = np.array(draw(st.floats(0.0, 40.0)))
    return base, cap, contract, event, requested


@given(dispatch_cases(), st.sampled_from([0.25, 1.0]))
def test_dispatch_never_exceeds_request_contract_or_a_cars_energy(
    case: tuple[np.ndarray, ...], slot_h: float
) -> None:
    base, cap, contract, event, requested = case
    cut, catch = contracted_dispatch(base, cap, contract, event, float(requested), slot_h)
    eps = 1e-9
    assert np.all(cut >= 0) and np.all(catch >= 0)
    assert np.all(cut <= np.minimum(base, contract[:, None]) + eps)  # own power and contract
    assert not cut[:, ~event].any()
    assert np.all(cut.sum(axis=0) <= requested + eps)  # never more than requested
    assert not catch[:, : np.flatnonzero(event)[-1] + 1].any()  # catch-up after the event
    assert np.all(base + catch <= cap + eps)  # within each car's window and power
    np.testing.assert_allclose(catch.sum(axis=1), cut.sum(axis=1), atol=1e-9)  # nobody short

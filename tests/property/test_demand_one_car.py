"""One car, one place: its sessions never overlap and its pile never exceeds its rating.

Over every bundled preset, several days and random seeds: per car, the next session starts no
earlier than the previous one ends, and the uncontrolled charging power of all of a car's sessions
in any slot stays within the rating of that car's pile.
"""

from __future__ import annotations

import numpy as np
import scipy.sparse as sp
from hypothesis import given, settings
from hypothesis import strategies as st

from evgrid.charging.uncontrolled import uncontrolled
from evgrid.demand.behaviour import Behaviour
from evgrid.demand.sampling import sample_sessions
from evgrid.timegrid import TimeGrid

PRESETS = Behaviour.presets()


@settings(max_examples=40)
@given(
    preset=st.sampled_from(PRESETS),
    n=st.integers(1, 200),
    days=st.integers(2, 6),
    slot_min=st.sampled_from([5, 15, 60]),
    seed=st.integers(0, 2**32),
)
def test_sessions_of_one_car_are_disjoint_and_within_its_rating(
    preset: str, n: int, days: int, slot_min: int, seed: int
) -> None:
    s = sample_sessions(Behaviour.preset(preset), n, days, rng=seed)  # type: ignore[arg-type]
    # sorted by car, then time: each session ends before the car's next one begins
    assert np.all(np.diff(s.vehicle) >= 0)
    same_car = s.vehicle[1:] == s.vehicle[:-1]
    assert np.all(s.arrival_h[1:][same_car] >= s.departure_h[:-1][same_car])
    # per car and slot, the power of all its sessions together stays within its pile's rating
    grid = TimeGrid(slot_min=slot_min, n_days=days + 2)
    sched = uncontrolled(s, grid, per_session=True)
    assert sched.session_kw is not None
    car_of_session = sp.csr_matrix(
        (np.ones(len(s)), (s.vehicle, np.arange(len(s)))), shape=(n, len(s))
    )
    car_kw = (car_of_session @ sched.session_kw).toarray()
    rating_kw = np.zeros(n)
    rating_kw[s.vehicle] = s.max_power_kw
    assert np.all(car_kw <= rating_kw[:, None] * (1 + 1e-9))

"""Profiles: composite limits, the clock guard, compression and rounding to what a pile can do."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from evgrid.service.profiles import (
    Limits,
    ProfileSpec,
    composite_at,
    composite_slot_max,
    compress,
    guard_changes,
    periods_from_slots,
    quantize,
)

T0 = datetime(2024, 6, 1, tzinfo=UTC)


def _at(periods: list[tuple[int, float]], s: float) -> float:
    value = periods[0][1]
    for start, v in periods:
        if start <= s:
            value = v
    return value


def test_limits_absolute_recurring_and_duration() -> None:
    lim = Limits(T0, ((0, 10.0), (600, 20.0)))
    assert lim.at(T0 - timedelta(seconds=1)) is None  # a future start is not valid yet
    assert lim.at(T0 + timedelta(seconds=599)) == 10.0
    assert lim.at(T0 + timedelta(days=3)) == 20.0
    daily = Limits(T0, ((0, 6.0), (3600, 0.0)), recurring_daily=True)
    assert daily.at(T0 + timedelta(days=2, minutes=30)) == 6.0
    assert daily.at(T0 + timedelta(days=2, hours=2)) == 0.0
    short = Limits(T0, ((0, 8.0),), duration_s=900)
    assert short.at(T0 + timedelta(seconds=899)) == 8.0
    assert short.at(T0 + timedelta(seconds=900)) is None
    edges = T0.timestamp() + np.array([0.0, 300.0, 900.0])
    assert lim.slot_max(edges).tolist() == [10.0, 20.0]
    before = lim.slot_max(edges - 600.0)  # the first slot ends before the schedule starts
    assert np.isnan(before[0]) and before[1] == 10.0
    assert short.slot_max(edges + 300.0).tolist() == [8.0, 8.0]  # valid in part of the slot


def test_composite_precedence() -> None:
    """Highest stack per purpose; TxProfile overrides defaults during a transaction; the pile
    maximum caps everything (OCPP 1.6 section 3.13)."""
    spec = lambda purpose, conn, stack, amps: ProfileSpec(  # noqa: E731
        purpose, conn, stack + 10 * conn, stack, Limits(T0, ((0, amps),))
    )
    installed = [
        spec("max", 0, 0, 16.0),
        spec("tx_default", 0, 0, 10.0),
        spec("tx_default", 0, 2, 0.0),
        spec("tx", 1, 3, 30.0),
    ]
    t = T0 + timedelta(minutes=1)
    assert composite_at(installed, t, 1, tx_active=False, rating_a=32.0) == 0.0
    assert composite_at(installed, t, 1, tx_active=True, rating_a=32.0) == 16.0
    assert composite_at([], t, 1, tx_active=True, rating_a=32.0) == 32.0


@given(
    st.lists(
        st.tuples(st.integers(1, 40), st.sampled_from([0.0, 6.0, 10.0, 16.0, 32.0])),
        min_size=1,
        max_size=8,
    ),
    st.integers(0, 300),
)
def test_guard_is_the_minimum_over_the_window(steps: list[tuple[int, float]], guard: int) -> None:
    periods: list[tuple[int, float]] = []
    t = 0
    for length, amps in steps:
        periods.append((t, amps))
        t += length * 60
    guarded = guard_changes(periods, guard)
    for s in range(0, t + 600, 30):
        window = [_at(periods, x) for x in range(max(s - guard, 0), s + guard + 1, 5)]
        assert _at(guarded, s) <= min(window) + 1e-9


@given(
    st.lists(st.sampled_from([0.0, 6.0, 7.0, 12.0, 32.0]), min_size=1, max_size=30),
    st.integers(1, 6),
)
def test_compress_never_raises_and_fits(amps: list[float], max_periods: int) -> None:
    periods = periods_from_slots(np.array(amps), 900, 900, 0.0)
    out = compress(periods, max_periods)
    assert len(out) <= max_periods
    for s in range(0, 900 * (len(amps) + 2), 60):
        assert _at(out, s) <= _at(periods, s) + 1e-9


def test_quantize_respects_pile_and_cap() -> None:
    rng = np.random.default_rng(3)
    kw = rng.uniform(0.0, 7.0, size=(12, 20))
    cap = np.full(20, 25.0)
    amps = quantize(kw, cap, 220.0, np.ones(12), np.full(12, 32.0), np.zeros(12))
    assert np.all((amps == 0) | ((amps >= 6) & (amps <= 32)))
    assert np.all((amps * 0.22).sum(axis=0) <= cap + 1e-9)


def test_quantize_thin_plan_becomes_one_block() -> None:
    """A plan of 3 A for 8 slots becomes one block at 6 A (one start, one stop), same charge."""
    kw = np.full((1, 8), 3.0 * 0.22)
    amps = quantize(kw, np.full(8, 100.0), 220.0, np.ones(1), np.full(1, 32.0), np.zeros(1))[0]
    assert amps.sum() == 24.0
    on = amps > 0
    assert int(np.sum(on[1:] & ~on[:-1])) + int(on[0]) == 1


def _reference_slot_max(
    profiles: list[ProfileSpec], edges: list[datetime], tx_active: bool, rating_a: float
) -> list[float]:
    """The composite's highest value per slot, point by point with datetimes (the definition)."""
    out = []
    for lo, hi in itertools.pairwise(edges):
        times = [lo]
        for p in profiles:
            times.extend(p.limits.changes(lo, hi))
        out.append(max(composite_at(profiles, t, 1, tx_active, rating_a) for t in times))
    return out


profile_limits = st.builds(
    lambda start_min, steps, daily, duration: Limits(
        T0 + timedelta(minutes=start_min),
        tuple(
            zip(
                np.cumsum([0, *[d for d, _ in steps[1:]]]).tolist(),
                [a for _, a in steps],
                strict=True,
            )
        ),
        recurring_daily=daily,
        duration_s=duration,
    ),
    start_min=st.integers(-1500, 600),
    steps=st.lists(
        st.tuples(st.integers(1, 7200), st.sampled_from([0.0, 6.0, 10.0, 16.0, 32.0])),
        min_size=1,
        max_size=8,
    ),
    daily=st.booleans(),
    duration=st.one_of(st.none(), st.integers(60, 200_000)),
)
profiles = st.lists(
    st.builds(
        lambda purpose, connector, stack, limits: ProfileSpec(
            purpose, connector, 1, stack, limits, 1, 7 if purpose == "tx" else None
        ),
        purpose=st.sampled_from(["max", "tx_default", "tx"]),
        connector=st.sampled_from([0, 1, 2]),
        stack=st.integers(0, 3),
        limits=profile_limits,
    ),
    max_size=5,
)


@given(
    installed=profiles,
    now_s=st.integers(0, 900),
    m=st.integers(1, 120),
    tx_active=st.booleans(),
)
def test_slot_maxima_equal_the_point_by_point_definition(
    installed: list[ProfileSpec], now_s: int, m: int, tx_active: bool
) -> None:
    """The vectorised slot maxima (composite and single schedule) equal the composite evaluated
    at every slot start and change time, on absolute, daily and finite schedules."""
    edges = [T0 + timedelta(seconds=now_s)] + [
        T0 + timedelta(seconds=900 * (k + 1)) for k in range(m)
    ]
    edges_s = np.array([e.timestamp() for e in edges])
    got = composite_slot_max(installed, edges_s, 1, tx_active, 32.0)
    assert got.tolist() == _reference_slot_max(installed, edges, tx_active, 32.0)
    for p in installed:
        single = p.limits.slot_max(edges_s)
        for k, (lo, hi) in enumerate(itertools.pairwise(edges)):
            values = [p.limits.at(t) for t in [lo, *p.limits.changes(lo, hi)]]
            valid = [v for v in values if v is not None]
            assert (np.isnan(single[k]) and not valid) or single[k] == max(valid)


@given(
    amps=st.lists(
        st.floats(min_value=0.0, max_value=32.0, allow_nan=False), min_size=1, max_size=6
    ),
    purpose=st.sampled_from(["tx", "tx_default", "max"]),
)
def test_every_profile_passes_the_ocpp_16_schema(amps: list[float], purpose: str) -> None:
    """Any planned current goes out as a limit OCPP 1.6 accepts (a multiple of 0.1 A, checked
    by the ``ocpp`` package's own validation), never above the planned one."""
    import asyncio

    from ocpp.charge_point import snake_to_camel_case
    from ocpp.messages import Call, validate_payload

    from evgrid.service.ocpp16 import profile_16

    lim = Limits(start=T0, periods=tuple((600 * k, a) for k, a in enumerate(amps)))
    spec = ProfileSpec(purpose, 1, 101, 3, lim, 1, 7 if purpose == "tx" else None)  # type: ignore[arg-type]
    payload = snake_to_camel_case({"connector_id": 1, "cs_charging_profiles": profile_16(spec)})
    asyncio.run(validate_payload(Call("1", "SetChargingProfile", payload), "1.6"))
    sent = [
        p["limit"]
        for p in payload["csChargingProfiles"]["chargingSchedule"]["chargingSchedulePeriod"]
    ]
    assert all(a - 0.1 < s <= a + 1e-6 for s, a in zip(sent, amps, strict=True))


@given(
    amps=st.lists(st.sampled_from([0.0, 6.0, 7.0, 12.0, 32.0]), min_size=1, max_size=20),
    first_s=st.integers(0, 900),
    tail=st.sampled_from([0.0, 6.0]),
    guard=st.sampled_from([0, 60, 120]),
)
def test_fast_guarded_periods_equal_the_general_guard(
    amps: list[float], first_s: int, tail: float, guard: int
) -> None:
    """The planning round's one-pass guard gives what the general definition gives."""
    from evgrid.service.profiles import guarded_slot_periods

    a = np.array(amps)
    want = guard_changes(periods_from_slots(a, first_s, 900, tail), guard)
    assert guarded_slot_periods(a, first_s, 900, tail, guard) == want


@given(
    items=st.lists(
        st.tuples(
            st.integers(-3000, 3000),
            st.lists(
                st.tuples(st.integers(1, 3000), st.sampled_from([0.0, 6.0, 10.0, 32.0])),
                min_size=1,
                max_size=6,
            ),
            st.integers(-200, 200),
        ),
        min_size=1,
        max_size=6,
    ),
    m=st.integers(1, 30),
)
def test_batched_slot_maxima_equal_one_by_one(
    items: list[tuple[int, list[tuple[int, float]], int]], m: int
) -> None:
    """Slot maxima of many schedules at once (each on its own pile's clock) equal
    :meth:`Limits.slot_max` of each."""
    from evgrid.service.profiles import batch_slot_max

    lims, shifts = [], []
    for start_s, steps, shift in items:
        offsets = np.cumsum([0] + [d for d, _ in steps[1:]]).tolist()
        periods = tuple(zip(offsets, [a for _, a in steps], strict=True))
        lims.append(Limits(T0 + timedelta(seconds=start_s), periods))
        shifts.append(shift)
    edges = T0.timestamp() + 100 + 900 * np.arange(m + 1, dtype=float)
    e = edges[None, :] + np.array(shifts, dtype=float)[:, None]
    got = batch_slot_max(lims, e)
    want = np.array([lim.slot_max(e[i]) for i, lim in enumerate(lims)])
    assert got is not None
    assert np.array_equal(np.isnan(got), np.isnan(want))
    assert np.allclose(np.nan_to_num(got), np.nan_to_num(want))

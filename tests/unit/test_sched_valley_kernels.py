"""The valley-filling kernels: the C extension and the numba kernels give the same bits.

The C kernels (``evgrid.charging._valleyc``, built by ``pip install`` where a C compiler is
present) are the fast path; the numba kernels (the ``numba`` extra) are the fallback where they
were not built, and the reference. Every comparison here is bit for bit (``tobytes``), on random
instances with partial first and last slots, one-slot windows, energies that fill a window, zero
and shaped base loads. Without either, valley filling says in one line what to install.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

import evgrid.cli
from evgrid.charging import _minnorm
from evgrid.charging._minnorm import min_norm_point
from evgrid.charging._oracle import (
    KERNELS_ENV,
    MissingKernelsError,
    WindowClasses,
    c_kernels,
    session_schedules,
)
from evgrid.charging._windows import window_slots
from evgrid.charging.valley import valley_filling
from evgrid.demand.behaviour import Behaviour
from evgrid.demand.io import write_sessions
from evgrid.demand.sampling import sample_sessions
from evgrid.errors import EvgridError, InputError
from evgrid.sessions import Sessions
from evgrid.timegrid import TimeGrid

C = c_kernels("c") if importlib.util.find_spec("evgrid.charging._valleyc") else None
HAS_NUMBA = importlib.util.find_spec("numba") is not None
needs_both = pytest.mark.skipif(
    C is None or not HAS_NUMBA, reason="needs the C kernels built and numba installed"
)
needs_c = pytest.mark.skipif(C is None, reason="the C kernels are not built")
EXAMPLES = 40


def _same_bits(a: np.ndarray, b: np.ndarray) -> bool:
    return a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes()


def _problem(sessions: Sessions, grid: TimeGrid) -> tuple[tuple[np.ndarray, ...], WindowClasses]:
    """Per-session kernel inputs (first, last, fractions, unit, energy) and the class tables,
    as :func:`evgrid.charging.valley.valley_filling` builds them."""
    first, last, frac_first, frac_last = window_slots(
        sessions.arrival_h, sessions.departure_h, grid
    )
    unit = sessions.max_power_kw * grid.slot_h
    room = unit * (frac_first + frac_last + np.maximum(last - first - 1, 0))
    energy = np.minimum(sessions.energy_kwh, room)
    keep = energy > 0.0
    local = (first[keep], last[keep], frac_first[keep], frac_last[keep], unit[keep], energy[keep])
    return local, WindowClasses.build(*local, grid.n_slots)


@st.composite
def instances(draw: st.DrawFn) -> tuple[Sessions, TimeGrid, np.ndarray]:
    """Random sessions on a 1- or 2-day grid and a base load per slot [kWh]."""
    grid = TimeGrid(draw(st.sampled_from([15.0, 30.0, 60.0])), draw(st.integers(1, 2)))
    n = draw(st.integers(1, 120))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    arr = rng.uniform(0.0, grid.horizon_h - 0.05, n)
    short = rng.random(n) < 0.2  # windows within one slot
    dur = np.where(short, rng.uniform(0.01, grid.slot_h, n), rng.uniform(0.2, 16.0, n))
    energy = rng.uniform(0.1, 45.0, n)
    power = rng.choice([3.5, 7.0, 11.0], n)
    if draw(st.booleans()):  # whole hours: many sessions share a window, many ties
        arr, dur = np.floor(arr), np.ceil(dur)
    kind = draw(st.sampled_from(["zero", "shaped", "noisy"]))
    slots = np.arange(grid.n_slots)
    base = {
        "zero": np.zeros(grid.n_slots),
        "shaped": 30.0 + 20.0 * np.cos(2 * np.pi * slots * grid.slot_h / 24.0),
        "noisy": rng.uniform(0.0, 40.0, grid.n_slots),
    }[kind] * grid.slot_h
    return Sessions(arr, arr + dur, energy, power), grid, base


@needs_c
def test_c_constants_are_the_python_ones() -> None:
    assert C is not None
    assert C.GAP_RTOL == _minnorm.GAP_RTOL
    assert C.MAX_ORACLE_CALLS == _minnorm.MAX_ORACLE_CALLS
    assert C.WEIGHT_EPS == _minnorm.WEIGHT_EPS
    assert C.POOL_MAX == _minnorm.POOL_MAX
    assert C.CHOL_RTOL == _minnorm.CHOL_RTOL


@needs_both
@settings(max_examples=EXAMPLES)
@given(instances(), st.sampled_from([_minnorm.LAZY_SHARE, np.inf]))
def test_min_norm_point_c_equals_numba_bit_for_bit(
    case: tuple[Sessions, TimeGrid, np.ndarray], lazy_share: float
) -> None:
    sessions, grid, base = case
    local, classes = _problem(sessions, grid)
    if classes.first.size == 0:
        return
    fast = min_norm_point(classes, base, lazy_share=lazy_share, backend="c")
    ref = min_norm_point(classes, base, lazy_share=lazy_share, backend="numba")
    for got, expected in zip(fast, ref, strict=True):
        assert _same_bits(got, expected)
    y, orders, weights = fast
    fast_s = session_schedules(orders, weights, *local, backend="c")
    ref_s = session_schedules(orders, weights, *local, backend="numba")
    assert _same_bits(fast_s, ref_s)
    np.testing.assert_allclose(fast_s.sum(axis=0), y, rtol=1e-9, atol=1e-7)


@needs_both
@settings(max_examples=EXAMPLES)
@given(instances(), st.integers(0, 2**32 - 1))
def test_greedy_vertex_c_equals_numba_bit_for_bit(
    case: tuple[Sessions, TimeGrid, np.ndarray], seed: int
) -> None:
    sessions, grid, _ = case
    _, classes = _problem(sessions, grid)
    rng = np.random.default_rng(seed)
    for order in (rng.permutation(grid.n_slots), np.arange(grid.n_slots)[::-1]):
        fast = classes.greedy(order, backend="c")
        assert _same_bits(fast, classes.greedy(order, backend="numba"))


@needs_both
def test_sampled_two_night_day_c_equals_numba_bit_for_bit() -> None:
    """The shape the command line solves: home sessions over two nights, no base load (one
    wide tie of night slots)."""
    n_vehicles = 1500
    sessions = sample_sessions(Behaviour.preset("home"), n_vehicles, days=1, rng=3)
    grid = TimeGrid(15.0, 2)
    _, classes = _problem(sessions, grid)
    fast = min_norm_point(classes, np.zeros(grid.n_slots), backend="c")
    ref = min_norm_point(classes, np.zeros(grid.n_slots), backend="numba")
    assert fast[1].shape[0] > 10  # a real corral, not a one-vertex case
    for got, expected in zip(fast, ref, strict=True):
        assert _same_bits(got, expected)


@needs_both
@pytest.mark.parametrize("per_session", [False, True])
def test_valley_filling_follows_the_environment_switch(
    monkeypatch: pytest.MonkeyPatch, per_session: bool
) -> None:
    sessions, grid, base = _fixed_case()
    monkeypatch.setenv(KERNELS_ENV, "c")
    fast = valley_filling(sessions, grid, base / grid.slot_h, per_session=per_session)
    monkeypatch.setenv(KERNELS_ENV, "numba")
    ref = valley_filling(sessions, grid, base / grid.slot_h, per_session=per_session)
    assert _same_bits(fast.charging_kw, ref.charging_kw)
    if per_session:
        assert fast.session_kw is not None and ref.session_kw is not None
        assert _same_bits(fast.session_kw.toarray(), ref.session_kw.toarray())


def _fixed_case() -> tuple[Sessions, TimeGrid, np.ndarray]:
    rng = np.random.default_rng(17)
    grid = TimeGrid(30.0, 2)
    n = 300
    arr = 24.0 * rng.integers(0, 2, n) + rng.uniform(15.0, 23.0, n)
    sessions = Sessions(
        arr, arr + rng.uniform(1.0, 13.0, n), rng.uniform(1.0, 40.0, n), np.full(n, 7.0)
    )
    base = (25.0 + 10.0 * np.sin(np.arange(grid.n_slots) / 48 * 2 * np.pi)) * grid.slot_h
    return sessions, grid, base


@needs_c
def test_c_kernels_refuse_bad_arrays() -> None:
    assert C is not None
    sessions, grid, _ = _fixed_case()
    _, classes = _problem(sessions, grid)
    out = np.empty(grid.n_slots)
    order = np.arange(grid.n_slots)
    with pytest.raises(TypeError, match="int64"):
        C.vertex(order.astype(np.int32), *classes.kernel_args, out)
    with pytest.raises(ValueError, match="permutation"):
        C.vertex(np.zeros(grid.n_slots, dtype=np.int64), *classes.kernel_args, out)
    with pytest.raises(ValueError, match="entries"):
        C.vertex(order, *classes.kernel_args, np.empty(grid.n_slots - 1))
    phi, offset, top, first, last, starts, start_row = classes.kernel_args
    with pytest.raises(ValueError, match="window tables"):
        C.vertex(order, phi[:-4], offset, top, first, last, starts, start_row, out)
    backwards = (np.ascontiguousarray(a[::-1]) for a in (offset, top, first, last))
    with pytest.raises(ValueError, match="ascending"):
        C.vertex(order, phi, *backwards, starts, np.ascontiguousarray(start_row[::-1]), out)


@pytest.mark.skipif(not HAS_NUMBA, reason="numba is not installed")
def test_backend_numba_and_unknown_c_module(monkeypatch: pytest.MonkeyPatch) -> None:
    assert c_kernels("numba") is None
    monkeypatch.setenv(KERNELS_ENV, "numba")
    assert c_kernels() is None
    monkeypatch.setitem(sys.modules, "evgrid.charging._valleyc", None)  # not built
    assert c_kernels("c") is None


def test_unknown_backend_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(InputError, match="backend: got 'fortran'; allowed: c or numba"):
        c_kernels("fortran")
    monkeypatch.setenv(KERNELS_ENV, "C")
    with pytest.raises(InputError, match="EVGRID_KERNELS: got 'C'"):
        c_kernels()


def _neither(monkeypatch: pytest.MonkeyPatch) -> None:
    """No C kernels built and no numba installed (``None`` in ``sys.modules`` hides both)."""
    monkeypatch.delenv(KERNELS_ENV, raising=False)
    monkeypatch.setitem(sys.modules, "evgrid.charging._valleyc", None)
    monkeypatch.setitem(sys.modules, "numba", None)


def test_without_c_kernels_and_numba_valley_filling_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _neither(monkeypatch)
    sessions, grid, base = _fixed_case()
    with pytest.raises(MissingKernelsError, match=r"pip install 'evgrid\[numba\]'") as info:
        valley_filling(sessions, grid, base / grid.slot_h)
    assert isinstance(info.value, EvgridError) and isinstance(info.value, ImportError)
    assert "C kernels were not built" in str(info.value)
    monkeypatch.setitem(sys.modules, "evgrid.charging._valleyc", sys)  # built, numba asked
    with pytest.raises(MissingKernelsError, match="numba kernels are asked for"):
        c_kernels("numba")


def test_without_c_kernels_and_numba_the_command_line_says_it_in_one_line(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    sessions, _, _ = _fixed_case()
    path = tmp_path / "s.csv"
    write_sessions(sessions, path)
    _neither(monkeypatch)
    out = tmp_path / "y.csv"
    args = ["schedule", "--sessions", str(path), "--strategy", "valley-filling", "--out", str(out)]
    result = CliRunner().invoke(evgrid.cli.app, args)
    assert result.exit_code == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "pip install 'evgrid[numba]'" in lines[0], result.stderr
    assert not out.exists()


@needs_c
def test_the_c_kernels_run_without_importing_numba() -> None:
    """Where the C kernels are built, a valley-filling run never imports numba (it is an
    optional extra there)."""
    code = (
        "import sys\n"
        "import numpy as np\n"
        "from evgrid.charging.valley import valley_filling\n"
        "from evgrid.sessions import Sessions\n"
        "from evgrid.timegrid import TimeGrid\n"
        "s = Sessions([18.0, 19.0], [30.0, 31.0], [10.0, 20.0], [7.0, 7.0])\n"
        "sch = valley_filling(s, TimeGrid(15, 2), per_session=True)\n"
        "assert abs(sch.delivered_kwh.sum() - 30.0) < 1e-9\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('numba', 'llvmlite')))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != KERNELS_ENV}
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "[]"

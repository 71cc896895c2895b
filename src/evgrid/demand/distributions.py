"""Univariate distributions of the behaviour model: binned (edges + weights) and discrete.

Every default of the behaviour model is one of these two, read from a small CSV in
``evgrid/data/behaviour`` (see its ``SOURCES.md``), and a user can replace any of them with a CSV
of their own, e.g. measured arrival times:

* binned, a piecewise-uniform density: columns ``lower, upper`` and ``weight`` or ``share_pct``
  (contiguous bins, ``upper`` of one bin = ``lower`` of the next);
* discrete, point masses: columns ``value`` and ``weight`` or ``share_pct``.

``weight`` is relative (normalised silently); ``share_pct`` is a share in per cent that should add
up to 100: if it does not, the shares are divided by their sum (proportional renormalisation) and
a warning is issued once per file.

Sampling is one uniform draw per value: the inverse CDF of a piecewise-uniform density is
piecewise linear (``np.interp``), of a discrete one a ``searchsorted``.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path

import numpy as np
import numpy.typing as npt

from evgrid.errors import InputError, bad_value
from evgrid.io import CSV_SUFFIXES, read_table
from evgrid.timegrid import FloatArray

TABLE_CELLS = 1 << 14
"""Cells of the inverse-CDF lookup table [-]: a draw in a cell without a bin boundary is one
linear interpolation in the table, exact because the inverse CDF is linear there; the few draws
in a cell holding a boundary (at most one cell a bin) take the exact ``np.interp`` path."""

SHARE_TOLERANCE_PCT = 0.5
"""Shares in per cent that add up to 100 within this tolerance are taken as they are [%]."""

_WARNED: set[str] = set()


def _weights(where: str, weights: npt.ArrayLike) -> FloatArray:
    w = np.asarray(weights, dtype=np.float64)
    if w.ndim != 1 or w.size == 0:
        raise bad_value(f"{where}: weights", w.tolist(), "a non-empty list of weights")
    bad = np.flatnonzero(~np.isfinite(w) | (w < 0))
    if bad.size:
        raise bad_value(f"{where}: weight {bad[0] + 1}", float(w[bad[0]]), "a finite number >= 0")
    if w.sum() <= 0:
        raise bad_value(f"{where}: weights", w.tolist(), "weights with a positive sum")
    return w / w.sum()


@dataclass(frozen=True, eq=False)
class Binned:
    """A piecewise-uniform density: weight ``weights[i]`` spread evenly over bin i.

    Parameters
    ----------
    edges
        Bin edges, strictly increasing, shape ``(n_bins + 1,)`` [unit of the quantity].
    weights
        Relative weight of each bin, shape ``(n_bins,)`` [-]; normalised to sum 1.
    """

    edges: FloatArray
    weights: FloatArray

    def __post_init__(self) -> None:
        edges = np.asarray(self.edges, dtype=np.float64)
        if edges.ndim != 1 or edges.size < 2 or not np.all(np.isfinite(edges)):
            raise bad_value("distribution edges", edges.tolist(), "at least 2 finite bin edges")
        if np.any(np.diff(edges) <= 0):
            raise bad_value("distribution edges", edges.tolist(), "strictly increasing bin edges")
        w = _weights("distribution", self.weights)
        if w.size != edges.size - 1:
            raise bad_value("distribution weights", w.size, f"{edges.size - 1} weights, one a bin")
        object.__setattr__(self, "edges", edges)
        object.__setattr__(self, "weights", w)

    @classmethod
    def uniform(cls, low: float, high: float) -> Binned:
        """The uniform distribution on ``[low, high)``."""
        return cls(np.array([low, high]), np.array([1.0]))

    @property
    def cdf_points(self) -> FloatArray:
        """CDF at the bin edges, shape ``(n_bins + 1,)`` [-]."""
        return np.concatenate([[0.0], np.cumsum(self.weights)])

    @property
    def low(self) -> float:
        """Smallest possible value."""
        return float(self.edges[0])

    @property
    def high(self) -> float:
        """Largest possible value."""
        return float(self.edges[-1])

    def mean(self) -> float:
        """Expected value [unit of the quantity]."""
        return float(np.dot(self.weights, 0.5 * (self.edges[:-1] + self.edges[1:])))

    def cdf(self, x: npt.ArrayLike) -> FloatArray:
        """Cumulative distribution function at ``x`` [-]."""
        return np.interp(np.asarray(x, dtype=np.float64), self.edges, self.cdf_points)

    def ppf(self, u: npt.ArrayLike) -> FloatArray:
        """Inverse CDF of probabilities ``u`` in [0, 1] (empty bins are never returned)."""
        full = self.weights > 0
        low = self.edges[:-1][full]
        width = np.diff(self.edges)[full]
        w = self.weights[full]
        cum = np.cumsum(w)
        p = np.asarray(u, dtype=np.float64)
        b = np.minimum(np.searchsorted(cum, p, side="right"), w.size - 1)
        return low[b] + np.clip((p - (cum[b] - w[b])) / w[b], 0.0, 1.0) * width[b]

    @cached_property
    def _table(self) -> tuple[FloatArray, FloatArray, npt.NDArray[np.bool_]]:
        q = self.ppf(np.arange(TABLE_CELLS + 1) / TABLE_CELLS)
        holds_knot = np.zeros(TABLE_CELLS, dtype=bool)
        knots = self.cdf_points[1:-1]
        holds_knot[np.minimum((knots * TABLE_CELLS).astype(np.int64), TABLE_CELLS - 1)] = True
        return q[:-1], np.diff(q), holds_knot

    def sample(self, n: int, rng: np.random.Generator) -> FloatArray:
        """``n`` independent draws, shape ``(n,)``: the inverse CDF of uniform draws."""
        u = rng.random(n)
        if self.edges.size == 2:  # uniform: one bin
            u *= self.edges[1] - self.edges[0]
            u += self.edges[0]
            return u
        q, dq, holds_knot = self._table
        x = u * TABLE_CELLS
        cell = x.astype(np.int64)
        x -= cell
        out = q[cell] + x * dq[cell]
        exact = np.flatnonzero(holds_knot[cell])
        out[exact] = self.ppf(u[exact])
        return out


@dataclass(frozen=True, eq=False)
class Discrete:
    """Point masses ``weights[i]`` at ``values[i]``.

    Parameters
    ----------
    values
        The possible values, shape ``(n_values,)`` [unit of the quantity].
    weights
        Relative weight of each value, shape ``(n_values,)`` [-]; normalised to sum 1.
    """

    values: FloatArray
    weights: FloatArray

    def __post_init__(self) -> None:
        values = np.atleast_1d(np.asarray(self.values, dtype=np.float64))
        if values.ndim != 1 or values.size == 0 or not np.all(np.isfinite(values)):
            raise bad_value("distribution values", values.tolist(), "finite values")
        w = _weights("distribution", np.atleast_1d(self.weights))
        if w.size != values.size:
            raise bad_value("distribution weights", w.size, f"{values.size} weights, one a value")
        object.__setattr__(self, "values", values)
        object.__setattr__(self, "weights", w)

    @classmethod
    def constant(cls, value: float) -> Discrete:
        """A single value with probability 1."""
        return cls(np.array([value]), np.array([1.0]))

    @property
    def low(self) -> float:
        """Smallest possible value."""
        return float(self.values[self.weights > 0].min())

    @property
    def high(self) -> float:
        """Largest possible value."""
        return float(self.values[self.weights > 0].max())

    def mean(self) -> float:
        """Expected value [unit of the quantity]."""
        return float(np.dot(self.weights, self.values))

    def cdf(self, x: npt.ArrayLike) -> FloatArray:
        """Cumulative distribution function ``P(X <= x)`` at ``x`` [-]."""
        order = np.argsort(self.values)
        cum = np.concatenate([[0.0], np.cumsum(self.weights[order])])
        at = np.searchsorted(self.values[order], np.asarray(x, dtype=np.float64), side="right")
        return cum[at]

    @cached_property
    def _table(self) -> tuple[FloatArray, npt.NDArray[np.int64], npt.NDArray[np.bool_]]:
        cum = np.cumsum(self.weights)
        cum[-1] = 1.0
        at = np.searchsorted(cum, np.arange(TABLE_CELLS + 1) / TABLE_CELLS, side="right")
        at = np.minimum(at, self.values.size - 1)
        return cum, at[:-1], at[:-1] != at[1:]

    def sample_index(self, n: int, rng: np.random.Generator) -> npt.NDArray[np.int64]:
        """``n`` draws of the index into ``values``, shape ``(n,)``."""
        if self.values.size == 1:
            return np.zeros(n, dtype=np.int64)
        cum, at, straddles = self._table
        u = rng.random(n)
        cell = (u * TABLE_CELLS).astype(np.int64)
        idx = at[cell]
        exact = np.flatnonzero(straddles[cell])
        idx[exact] = np.minimum(np.searchsorted(cum, u[exact], side="right"), self.values.size - 1)
        return idx

    def sample(self, n: int, rng: np.random.Generator) -> FloatArray:
        """``n`` independent draws, shape ``(n,)``."""
        if self.values.size == 1:
            return np.full(n, self.values[0])
        return self.values[self.sample_index(n, rng)]


Distribution = Binned | Discrete


def read_distribution(path: str | Path) -> Distribution:
    """Read a binned or discrete distribution from a CSV file.

    Parameters
    ----------
    path
        CSV (``.csv`` or ``.txt``) with columns ``lower, upper`` (binned) or ``value``
        (discrete), and ``weight`` (relative) or ``share_pct`` (per cent, renormalised with a
        warning if the sum is not 100). ``#`` starts a comment; blank lines are skipped. The
        file is read by the strict table reader (:func:`evgrid.io.read_table`).

    Raises
    ------
    InputError
        A missing file or column, a non-numeric, non-finite or negative entry, a row with more
        or fewer fields than the header, or bins that do not touch. Rows are data rows counted
        from 1 (comments, blank lines and the header not counted).
    """
    p = Path(path)
    table = read_table(p, "distribution file", suffixes=CSV_SUFFIXES, comments=True)
    cols = set(table.fields)
    weight_col = "share_pct" if "share_pct" in cols else "weight"
    if weight_col not in cols:
        raise bad_value(f"{p}: columns", sorted(cols), "a 'weight' or 'share_pct' column")
    if "weight" in cols and "share_pct" in cols:
        raise bad_value(f"{p}: columns weight and share_pct", "both", "one weight column")
    value_cols = ["lower", "upper"] if {"lower", "upper"} <= cols else ["value"]
    if not set(value_cols) <= cols:
        raise bad_value(f"{p}: columns", sorted(cols), "'lower' and 'upper', or 'value'")
    if value_cols == ["lower", "upper"] and "value" in cols:
        raise bad_value(f"{p}: columns lower/upper and value", "both", "bins or values, not both")
    numbers = {col: table.numbers(col, "a finite number") for col in [*value_cols, weight_col]}
    weights = numbers[weight_col]
    if weight_col == "share_pct":
        weights = _renormalise_shares(p, weights)
    try:
        if value_cols == ["value"]:
            return Discrete(numbers["value"], weights)
        lower, upper = numbers["lower"], numbers["upper"]
        gap = np.flatnonzero(lower[1:] != upper[:-1])
        if gap.size:
            row = gap[0] + 2
            raise bad_value(
                f"{p} row {row}, lower", lower[row - 1], f"{upper[row - 2]} (bins touch)"
            )
        return Binned(np.concatenate([lower[:1], upper]), weights)
    except InputError as exc:
        if str(exc).startswith(str(p)):
            raise
        raise InputError(f"{p}: {exc}") from None


def _renormalise_shares(path: Path, shares_pct: FloatArray) -> FloatArray:
    total = float(shares_pct.sum())
    if abs(total - 100.0) > SHARE_TOLERANCE_PCT and str(path) not in _WARNED:
        _WARNED.add(str(path))
        warnings.warn(
            f"{path.name}: shares add up to {total:g} %, not 100 %; each share is divided by "
            f"{total:g} % (proportional renormalisation)",
            UserWarning,
            stacklevel=3,
        )
    return shares_pct / total

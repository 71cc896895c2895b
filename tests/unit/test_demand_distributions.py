"""Binned and discrete distributions: exact table sampling, CSV reading, bad input."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from scipy import stats

from evgrid.demand.distributions import Binned, Discrete, read_distribution
from evgrid.errors import InputError


def test_binned_table_sampling_equals_exact_inverse_cdf() -> None:
    dist = Binned(np.array([0.0, 1.0, 1.5, 4.0, 10.0]), np.array([0.1, 0.0, 0.6, 0.3]))
    x = dist.sample(200_000, np.random.default_rng(5))
    u = np.random.default_rng(5).random(200_000)
    assert np.allclose(x, dist.ppf(u), rtol=0, atol=1e-9)
    assert not np.any((x > 1.0) & (x < 1.5))  # the empty bin stays empty


def test_binned_cdf_mean_and_ks() -> None:
    dist = Binned(np.array([0.0, 30.0, 60.0, 90.0]), np.array([2.0, 1.0, 1.0]))
    assert dist.mean() == pytest.approx(0.5 * 15 + 0.25 * 45 + 0.25 * 75)
    assert dist.cdf([0.0, 30.0, 45.0, 90.0]) == pytest.approx([0.0, 0.5, 0.625, 1.0])
    x = dist.sample(100_000, np.random.default_rng(1))
    assert stats.kstest(x, dist.cdf).pvalue > 1e-3


def test_uniform_fast_path() -> None:
    dist = Binned.uniform(40.0, 90.0)
    x = dist.sample(100_000, np.random.default_rng(2))
    assert x.min() >= 40.0 and x.max() < 90.0
    assert stats.kstest(x, stats.uniform(40, 50).cdf).pvalue > 1e-3


def test_discrete_table_sampling_equals_searchsorted() -> None:
    weights = np.array([0.32, 0.205, 0.205, 0.135, 1e-6, 0.135])
    dist = Discrete(np.array([1.0, 2, 3, 4, 5, 7]), weights)
    idx = dist.sample_index(300_000, np.random.default_rng(9))
    u = np.random.default_rng(9).random(300_000)
    assert np.array_equal(idx, np.searchsorted(np.cumsum(dist.weights), u, side="right"))
    counts = np.bincount(idx, minlength=6)
    assert (
        stats.chisquare(
            counts[[0, 1, 2, 3, 5]],
            300_000 * dist.weights[[0, 1, 2, 3, 5]] / dist.weights[[0, 1, 2, 3, 5]].sum(),
        ).pvalue
        > 1e-3
    )


def test_constant() -> None:
    dist = Discrete.constant(7.0)
    assert np.all(dist.sample(10, np.random.default_rng(0)) == 7.0)
    assert dist.mean() == 7.0


@pytest.mark.parametrize(
    ("edges", "weights", "match"),
    [
        ([0.0, 1.0, 1.0], [1.0, 1.0], "increasing"),
        ([0.0, 1.0], [-1.0], ">= 0"),
        ([0.0, 1.0, 2.0], [0.0, 0.0], "positive sum"),
        ([0.0, 1.0, 2.0], [1.0], "2 weights"),
        ([0.0, np.nan], [1.0], "finite"),
    ],
)
def test_binned_rejects_bad_parameters(
    edges: list[float], weights: list[float], match: str
) -> None:
    with pytest.raises(InputError, match=match):
        Binned(np.array(edges), np.array(weights))


def test_read_binned_and_discrete(tmp_path: Path) -> None:
    f = tmp_path / "arrivals.csv"
    f.write_text("# measured\nlower,upper,weight\n17,18,1\n18,19,3\n")
    dist = read_distribution(f)
    assert isinstance(dist, Binned)
    assert dist.edges == pytest.approx([17, 18, 19])
    assert dist.weights == pytest.approx([0.25, 0.75])
    g = tmp_path / "power.csv"
    g.write_text("value,share_pct\n3.5,40\n7,60\n")
    power = read_distribution(g)
    assert isinstance(power, Discrete)
    assert power.mean() == pytest.approx(0.4 * 3.5 + 0.6 * 7)


def test_share_pct_renormalised_with_one_warning(tmp_path: Path) -> None:
    f = tmp_path / "distance.csv"
    f.write_text("lower,upper,share_pct\n0,30,49.8\n30,60,49.8\n60,90,4.6\n")
    with pytest.warns(UserWarning, match=r"104\.2 %"):
        dist = read_distribution(f)
    assert dist.weights == pytest.approx(np.array([49.8, 49.8, 4.6]) / 104.2)
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        read_distribution(f)  # warned once only


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("lower,upper\n0,1\n", "'weight' or 'share_pct'"),
        ("low,weight\n0,1\n", "'lower' and 'upper', or 'value'"),
        ("value,weight\n1,1\n2,abc\n", "row 2, weight"),
        ("lower,upper,weight\n0,1,1\n2,3,1\n", "row 2, lower"),
        ("lower,upper,weight\n0,1,1\n1,2,-1\n", ">= 0"),
    ],
)
def test_read_distribution_bad_input(tmp_path: Path, text: str, match: str) -> None:
    f = tmp_path / "bad.csv"
    f.write_text(text)
    with pytest.raises(InputError, match=match) as err:
        read_distribution(f)
    assert "\n" not in str(err.value)
    assert "bad.csv" in str(err.value)


def test_read_distribution_missing_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="missing file"):
        read_distribution(tmp_path / "nope.csv")


def test_discrete_cdf() -> None:
    d = Discrete(np.array([3.0, 1.0, 2.0]), np.array([1.0, 1.0, 2.0]))
    assert d.cdf([0.0, 1.0, 1.5, 2.0, 3.0, 4.0]) == pytest.approx([0, 0.25, 0.25, 0.75, 1, 1])

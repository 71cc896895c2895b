"""Synthetic cities: a realistic, documented mix of communities and office parks.

Each synthetic site is the supply area of one 10/0.4 kV distribution transformer (or, for the
largest, of parallel units) whose rating comes from the standard series. The mix and the ranges
are in ``evgrid/data/synth_city.yaml``, anchored on the report's cases (section 3.2 tables 1–3:
spaces per household 0.4 / 1.0 / 1.3, regular loadings 70 % / 59 % / 36 %, 1.0–1.1 kW per
household; section 4.2: 6.5–10 spaces per 1000 m², 37–42 % loading) and otherwise assumed. The
transformer is the smallest standard size that carries the regular peak at the drawn loading,
and the regular peak is then set to that loading of it, so loadings stay in range.
"""

from __future__ import annotations

import functools
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from evgrid.params import Spec, as_generator
from evgrid.planning.upgrade import standard_size

TYPES = ("old", "sub-new", "new", "office")
COLUMNS = (
    "id",
    "kind",
    "name",
    "type",
    "built",
    "households",
    "parking_spaces",
    "transformer_kva",
    "regular_peak_kw",
    "regular_valley_kw",
    "floor_area_m2",
    "peak_year",
)
"""Columns of a synthetic city table (the site document's fields, plus ``id``)."""


@functools.cache
def city_mix() -> dict[str, Any]:
    """The mix of ``evgrid/data/synth_city.yaml``."""
    from evgrid.io import document_from_bytes

    data = (resources.files("evgrid") / "data" / "synth_city.yaml").read_bytes()
    mix: dict[str, Any] = document_from_bytes(data, "synth_city.yaml", "synthetic-city mix")
    return mix


def synth_city(n: int, rng: np.random.Generator | int | None = None) -> Any:
    """A synthetic city of ``n`` sites as a pandas DataFrame (columns :data:`COLUMNS`).

    Parameters
    ----------
    n
        Sites [-], >= 1.
    rng
        Seed or generator; the same seed gives the same city.
    """
    import pandas as pd

    n = int(Spec("n", "-", "integer [1, inf)").check(n, "n"))
    gen = as_generator(rng)
    mix = city_mix()
    shares = np.array([mix["shares"][t] for t in TYPES], dtype=np.float64)
    kind = np.array(TYPES)[gen.choice(len(TYPES), size=n, p=shares / shares.sum())]
    u = lambda lo_hi: gen.uniform(lo_hi[0], lo_hi[1], size=n)  # noqa: E731
    cols: dict[str, Any] = {c: np.full(n, np.nan) for c in COLUMNS}
    cols["id"] = np.array([f"S{i:06d}" for i in range(n)])
    cols["kind"] = np.where(kind == "office", "office", "residential")
    cols["type"] = np.where(kind == "office", "", kind)
    cols["name"] = np.array([f"{t} {i}" for i, t in enumerate(kind)])
    for t in TYPES[:3]:
        sel = kind == t
        r = mix["residential"][t]
        built = np.floor(u(r["built"]) + 0.5)
        households = np.floor(u(r["households"]) + 0.5)
        spaces = np.floor(households * u(r["spaces_per_household"]) + 0.5)
        peak = households * u(r["peak_kw_per_household"])
        loading = u(r["loading"])
        cols["built"][sel] = built[sel]
        cols["households"][sel] = households[sel]
        cols["parking_spaces"][sel] = spaces[sel]
        _transformer(cols, sel, peak, loading)
    cols["regular_valley_kw"] = np.round(
        cols["regular_peak_kw"] * mix["residential"]["valley_to_peak"], 2
    )
    o = mix["office"]
    sel = kind == "office"
    area = np.floor(u(o["floor_area_m2"]) / 100 + 0.5) * 100
    cols["floor_area_m2"][sel] = area[sel]
    cols["parking_spaces"][sel] = np.floor(area * u(o["spaces_per_1000_m2"]) / 1000 + 0.5)[sel]
    _transformer(cols, sel, area * u(o["peak_w_per_m2"]) / 1000, u(o["loading"]))
    cols["regular_valley_kw"][sel] = np.nan
    cols["peak_year"][sel] = o["peak_year"]
    table = pd.DataFrame({c: cols[c] for c in COLUMNS})
    for c in ("built", "households", "parking_spaces", "peak_year"):
        table[c] = table[c].astype("Int64")
    table["type"] = table["type"].replace("", None)
    return table


def _transformer(cols: dict[str, Any], sel: Any, peak_kw: Any, loading: Any) -> None:
    """Smallest standard rating (or units) carrying ``peak_kw`` at ``loading``; peak re-set."""
    unit, units = standard_size(peak_kw / loading)
    kva = unit * units
    cols["transformer_kva"][sel] = kva[sel]
    cols["regular_peak_kw"][sel] = np.round(kva * loading, 1)[sel]


def write_city(table: Any, path: str | Path) -> Path:
    """Write a site table as CSV, Excel or Parquet (by suffix), atomically
    (:func:`evgrid.io.write_table`; an empty cell where a site has no value)."""
    from evgrid.io import write_table

    return write_table(path, table)

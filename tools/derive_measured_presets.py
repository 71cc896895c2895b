"""Derive the measured behaviour presets' distributions from published charging statistics.

Writes the CSV files of the ``elaadnl`` and ``electric-nation`` presets into
``src/evgrid/data/behaviour`` (each with a ``# source:`` header). Run once when the sources
change; evgrid never reads the sources at run time. Inputs (not part of evgrid):

* ``--elaad DIR``: the ElaadNL charging statistics as redistributed in the ``ev2gym/data`` folder
  of EV2Gym (github.com/StavrosOrf/EV2Gym, MIT licence): ``distribution-of-arrival.csv``,
  ``distribution-of-connection-time.csv``, ``distribution-of-energy-demand.csv`` (column
  ``private``: home charge points) and ``ev_specs.json`` (Dutch fleet, RVO survey);
* ``--uom DIR``: the ``Diversified EV Profiles`` folder of github.com/Team-Nando/EV-Demand-Profiles
  (University of Melbourne, from Electric Nation trial data): 1-min diversified profiles.

Derivations (numbers printed at the end):

* arrival (ElaadNL): the private weekday arrival shares, 15-min bins, as published;
* session energy (ElaadNL): the exceedance curve (share of sessions above each energy, 1 %
  steps) turned into 100 bins of 1 % each, uniform within a bin;
* departure hour (ElaadNL): each 15-min bin of the published arrivals leaves the published mean
  home session length for that arrival time later; the hour of day of those departures,
  weighted by the arrival shares, is the departure distribution. evgrid's stay model (leave at
  the first sampled hour of day after arrival + dwell) then reproduces the mean stay of evening
  arrivals; daytime arrivals stay longer than measured (printed at the end);
* battery (Dutch fleet): registration-weighted usable capacities of the listed models;
* arrival (Electric Nation): the weekday 7.36 kW diversified profile of 1,200 EVs (no daily
  plug-in factor) is the arrival distribution convolved with the charging kernel ``h(u) =
  P * P(duration > u)`` of a 7 kW pile; the 15-min arrival weights are recovered by
  non-negative least squares with a smoothness penalty;
* session energy (Electric Nation): the daily energy of that profile per EV (one charging day
  each) as the mean, with the ElaadNL private shape (assumed).

Usage::

    python tools/derive_measured_presets.py --elaad /path/ev2gym/data \\
        --uom "/path/EV-Demand-Profiles/Diversified EV Profiles" [--out DIR]
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
import pandas as pd
from scipy.optimize import nnls

OUT = Path(__file__).resolve().parents[1] / "src" / "evgrid" / "data" / "behaviour"
PILE_KW = 7.0  # the presets' pile rating [kW] (report section 2: 7 kW AC, the usual pile)
DWELL_H = 0.25  # parameter min_dwell_h (evgrid/data/parameters.csv) [h]
ELAAD = "ElaadNL charging statistics (private charge points, weekday) via EV2Gym ev2gym/data"
UOM = (
    "University of Melbourne diversified EV profiles from Electric Nation data "
    "(github.com/Team-Nando/EV-Demand-Profiles)"
)
UOM_FILE = "Weekday - Level 2 - Diversified (Average) of 1,200 EVs.csv"


def _read(path: Path) -> pd.DataFrame:
    return pd.read_csv(path, encoding="utf-8-sig")


def exceedance_bins(values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Bins of an exceedance curve: ``values[i]`` is exceeded by ``i`` % of events (i = 0..100).

    Returns strictly increasing edges and the share of events in each bin (equal edges merged).
    """
    v = np.asarray(values, dtype=float)[::-1]  # increasing: 0 % quantile first
    edges, weights = [v[0]], []
    for x in v[1:]:
        if x > edges[-1]:
            edges.append(x)
            weights.append(1.0)
        else:  # an empty-width bin: its 1 % joins the previous bin
            weights[-1] += 1.0
    return np.array(edges), np.array(weights) / np.sum(weights)


def exceedance_cdf(values: np.ndarray, x: np.ndarray) -> np.ndarray:
    """CDF at ``x`` of the distribution whose exceedance curve is ``values`` (linear between)."""
    v = np.asarray(values, dtype=float)[::-1]
    p = np.linspace(0.0, 1.0, v.size)
    v = v + np.arange(v.size) * 1e-9  # strictly increasing for np.interp
    return np.interp(x, v, p)


def smooth_nnls(a: np.ndarray, b: np.ndarray, lam: float, periodic: bool) -> np.ndarray:
    """Non-negative least squares with a second-difference penalty ``lam * ||D w||^2``."""
    n = a.shape[1]
    d = np.zeros((n, n)) if periodic else np.zeros((n - 2, n))
    for i in range(d.shape[0]):
        for j, c in zip((i, i + 1, i + 2), (1.0, -2.0, 1.0), strict=True):
            d[i, j % n] += c
    w, _ = nnls(np.vstack([a, np.sqrt(lam) * d]), np.concatenate([b, np.zeros(d.shape[0])]))
    return w


def stay_model(arrival_w: np.ndarray, dep_w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Stays [h] of evgrid's stay model and their weights, arrivals at each minute of the day.

    The departure is the first time with the sampled hour of day (hourly weights ``dep_w``, 12
    points an hour) at least ``DWELL_H`` after the arrival. Returns ``(1440, 288)`` stays and
    their weights (summing to 1).
    """
    a = (np.arange(1440) + 0.5) / 60.0
    h = (np.arange(288) + 0.5) / 12.0
    late = np.maximum(a[:, None] + DWELL_H - h[None, :], 0.0) / 24.0
    stay = h[None, :] + 24.0 * np.ceil(late) - a[:, None]
    weight = np.repeat(arrival_w / 15.0, 15)[:, None] * np.repeat(dep_w / 12.0, 12)[None, :]
    return stay, weight


def departure_from_mean_stays(arrival_w: np.ndarray, mean_stay_h: np.ndarray) -> np.ndarray:
    """Hourly departure weights: each 15-min arrival bin leaves its published mean stay later."""
    start = np.arange(96) * 0.25 + 0.125
    dep_hour = np.floor((start + mean_stay_h) % 24.0).astype(int)
    return np.bincount(dep_hour, weights=arrival_w, minlength=24)


def write_binned(path: Path, header: list[str], edges: np.ndarray, weights: np.ndarray) -> None:
    lines = [f"# {h}" for h in header] + ["lower,upper,weight"]
    lines += [
        f"{lo:g},{hi:g},{w:.6f}" for lo, hi, w in zip(edges[:-1], edges[1:], weights, strict=True)
    ]
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--elaad", type=Path, required=True)
    parser.add_argument("--uom", type=Path, required=True)
    parser.add_argument("--out", type=Path, default=OUT)
    args = parser.parse_args()
    out: Path = args.out

    # --- ElaadNL: arrival, energy, departure, Dutch fleet battery -----------------------------
    arrival = _read(args.elaad / "distribution-of-arrival.csv")["private"].to_numpy(float)
    arrival_w = arrival / arrival.sum()
    hours = np.arange(97) * 0.25
    write_binned(
        out / "arrival_elaadnl.csv",
        [
            "Home plug-in time, hour of day [h]; share of sessions per 15 min.",
            f"source: {ELAAD}, distribution-of-arrival.csv, column private (published shares).",
        ],
        hours,
        arrival_w,
    )

    energy = _read(args.elaad / "distribution-of-energy-demand.csv")["private"].to_numpy(float)
    e_edges, e_w = exceedance_bins(energy)
    write_binned(
        out / "session_energy_elaadnl.csv",
        [
            "Energy per home session, grid side [kWh]; 1 % of sessions between adjacent edges.",
            f"source: {ELAAD}, distribution-of-energy-demand.csv, column private (derived:",
            "the published exceedance curve as 1 % bins; see tools/derive_measured_presets.py).",
        ],
        e_edges,
        e_w,
    )

    conn = _read(args.elaad / "distribution-of-connection-time.csv")["private"].to_numpy(float)
    length = _read(args.elaad / "mean-session-length-per.csv")
    at_h = length["Arrival Time"].map(lambda s: int(s[:2]) + int(s[3:]) / 60.0).to_numpy()
    mean_stay_h = np.interp(hours[:-1] + 0.125, at_h, length["home"].to_numpy(float), period=24)
    bins_h = np.arange(0.0, 49.0, 1.0)
    conn_cdf = exceedance_cdf(conn, bins_h)
    dep_w = departure_from_mean_stays(arrival_w, mean_stay_h)
    stay, stay_w = stay_model(arrival_w, dep_w)
    stay_hist, _ = np.histogram(stay.ravel(), bins=bins_h, weights=stay_w.ravel())
    stay_mean = (stay * stay_w).sum(axis=1).reshape(96, 15).sum(axis=1) / arrival_w
    write_binned(
        out / "departure_elaadnl.csv",
        [
            "Home plug-out time, hour of day [h]; relative weights.",
            f"source: {ELAAD}, distribution-of-connection-time.csv,",
            "mean-session-length-per.csv (home) and distribution-of-arrival.csv (derived: each",
            "15-min arrival bin leaves its published mean session length later; see",
            "tools/derive_measured_presets.py).",
        ],
        np.arange(25.0),
        dep_w,
    )

    specs = json.loads((args.elaad / "ev_specs.json").read_text(encoding="utf-8"))
    cap = pd.Series({v["battery_capacity"]: 0.0 for v in specs.values()}, dtype=float).sort_index()
    for v in specs.values():
        cap[v["battery_capacity"]] += v["number_of_registrations"]
    lines = [
        "# Usable battery capacity [kWh]; share of registered cars (13 best-selling BEV models).",
        "# source: Dutch fleet registrations and capacities (RVO survey) via EV2Gym",
        "# ev2gym/data/ev_specs.json (derived: registration-weighted, equal capacities merged).",
        "value,weight",
    ] + [f"{k:g},{w / cap.sum():.6f}" for k, w in cap.items()]
    (out / "battery_nl.csv").write_text("\n".join(lines) + "\n", encoding="utf-8")

    # --- Electric Nation (University of Melbourne profiles): arrival by deconvolution --------
    profile_path = args.uom / "without Daily Plug-in Factor" / "csv files (spreadsheet)" / UOM_FILE
    profile_kw = pd.read_csv(profile_path).iloc[:, 1].to_numpy(float)  # (1440,) kW per EV
    en_energy_kwh = profile_kw.sum() / 60.0  # every EV of this profile charges that day
    scale = en_energy_kwh / float(np.dot(e_w, 0.5 * (e_edges[:-1] + e_edges[1:])))
    # charging kernel of a 7 kW pile: h(u) = P * P(E / P > u), E the session energy
    u_min = np.arange(1440 * 2)  # minutes since the start of charging, two days
    survival = 1.0 - np.interp(
        u_min / 60.0 * PILE_KW, scale * e_edges, np.concatenate([[0.0], np.cumsum(e_w)])
    )
    kernel = PILE_KW * survival
    kernel = kernel[:1440] + kernel[1440:]  # folded onto one day (periodic)
    # a unit of arrivals spread evenly over 15-min bin i, seen at every minute of the day
    columns = []
    for i in range(96):
        box = np.zeros(1440)
        box[i * 15 : (i + 1) * 15] = 1.0 / 15.0
        columns.append(np.real(np.fft.ifft(np.fft.fft(box) * np.fft.fft(kernel))))
    conv = np.column_stack(columns)
    arr_en = smooth_nnls(conv, profile_kw, lam=0.5, periodic=True)
    fit_kw = conv @ arr_en
    arr_en /= arr_en.sum()
    write_binned(
        out / "arrival_electric_nation.csv",
        [
            "Home plug-in time, hour of day [h]; share of sessions per 15 min.",
            f"source: {UOM}, '{UOM_FILE}' (no daily plug-in factor; 7.36 kW chargers; derived:",
            "deconvolved with the charging kernel of a 7 kW pile and the session energies",
            "of session_energy_electric_nation.csv; see tools/derive_measured_presets.py).",
        ],
        hours,
        arr_en,
    )
    write_binned(
        out / "session_energy_electric_nation.csv",
        [
            "Energy per home session, grid side [kWh]; 1 % of sessions between adjacent edges.",
            f"source: mean {en_energy_kwh:.1f} kWh per charging day from {UOM}, '{UOM_FILE}';",
            "shape of the ElaadNL private distribution (assumed; session_energy_elaadnl.csv).",
        ],
        scale * e_edges,
        e_w,
    )

    mid = 0.5 * (bins_h[:-1] + bins_h[1:])
    print(f"ElaadNL energy mean {np.dot(e_w, 0.5 * (e_edges[:-1] + e_edges[1:])):.2f} kWh")
    print(
        f"ElaadNL connection time mean: published {np.dot(np.diff(conn_cdf), mid):.2f} h, "
        f"model {np.dot(stay_hist, mid) / stay_hist.sum():.2f} h; largest 1-h bin error "
        f"{np.abs(stay_hist - np.diff(conn_cdf)).max():.3f}"
    )
    evening = (hours[:-1] >= 17) & (hours[:-1] < 20)
    print(
        f"ElaadNL mean stay of 17-20 h arrivals: published "
        f"{np.average(mean_stay_h[evening], weights=arrival_w[evening]):.2f} h, model "
        f"{np.average(stay_mean[evening], weights=arrival_w[evening]):.2f} h"
    )
    print(f"Electric Nation energy per charging day {en_energy_kwh:.2f} kWh (scale {scale:.3f})")
    rms = np.sqrt(np.mean((fit_kw - profile_kw) ** 2))
    print(
        f"Electric Nation profile refit: peak {profile_kw.max():.3f} -> {fit_kw.max():.3f} kW/EV, "
        f"rms {rms:.3f} kW/EV"
    )


if __name__ == "__main__":
    main()

"""Demand validation: the report preset against report section 2, every preset against trials.

Prints, as Markdown (the tables of ``docs/demand.md`` and ``docs/validation-demand.md``):

1. report section 2, target against sampled, for the ``report`` preset (and ``home``);
2. each preset's sessions: how often, how much, how long, start SOC;
3. after-diversity maximum demand (ADMD) against the number of EVs, 7 kW piles, uncontrolled:
   mean of daily peaks and 95th percentile [kW per EV], coincidence factor, and normalised
   ADMD [kW per kWh/day];
4. the published figures, and each preset's large-group value against its band;
5. the default basis's (``design``) ADMD at 100 and 500 home EVs on 7 kW piles beside the
   measured figures it is built on, like with like: the peak of the average day against the
   published average profiles, the mean of daily peaks against the mean of daily peaks.

Usage::

    python benchmarks/demand_validation.py             # all tables, 400 days per group size
    python benchmarks/demand_validation.py --runs 100  # quicker, noisier
    python benchmarks/demand_validation.py --fit       # re-fit the report preset's intervals
    python benchmarks/demand_validation.py --design    # only the design basis beside the trials
"""

from __future__ import annotations

import argparse
import time
import warnings

import numpy as np

from evgrid.demand.behaviour import Behaviour
from evgrid.demand.report_fit import TARGETS, fit_intervals, loss, section2_statistics
from evgrid.planning.demand_validation import (
    BANDS,
    GROUP_SIZES,
    LARGE_GROUP,
    PUBLISHED,
    admd_curve,
)


def row(*cells: object) -> str:
    return "| " + " | ".join(str(c) for c in cells) + " |"


def fmt(x: float, unit: str) -> str:
    if unit == "-":
        return f"{100 * x:.1f} %"
    return f"{x:.2f}" if abs(x) < 100 else f"{x:.0f}"


def section2_table() -> None:
    report = section2_statistics(Behaviour.preset("report"))
    home = section2_statistics(Behaviour.preset("home"))
    print("### Report section 2: target against sampled (20 000 cars × 28 days, seed 0)\n")
    print(row("statistic", "report", "unit", "`report` preset", "error", "`home` preset", "how"))
    print(row(*["---"] * 7))
    for t in TARGETS:
        r, h = report[t.name], home[t.name]
        bound = t.name == "energy_kwh_per_day"
        how = "fitted" if t.fitted else "upper bound" if bound else "input"
        err = (
            ("holds" if r <= t.value else "exceeded")
            if bound
            else f"{100 * (r / t.value - 1):+.0f} %"
        )
        print(
            row(t.meaning, fmt(t.value, t.unit), t.unit, fmt(r, t.unit), err, fmt(h, t.unit), how)
        )
    extra = [
        ("sessions per car and day", "sessions_per_day", "1/day"),
        ("energy per session, grid side", "energy_kwh_per_session", "kWh"),
        ("charging time per car and day (energy ÷ power)", "charging_h_per_day", "h/day"),
    ]
    for meaning, key, unit in extra:
        print(row(meaning, "", unit, f"{report[key]:.2f}", "", f"{home[key]:.2f}", "output"))
    print(
        f"\nloss (sum of squared relative errors of the fitted rows): report preset "
        f"{loss(report):.3f}, home preset {loss(home):.3f}\n"
    )


def preset_table() -> None:
    print("### Sessions of each preset (20 000 cars × 28 days, seed 0)\n")
    print(
        row(
            "preset",
            "sessions / car·day",
            "kWh / session",
            "kWh / car·day",
            "plugged-in h / car·day",
            "starts above 50 % SOC",
        )
    )
    print(row(*["---"] * 6))
    for name in Behaviour.presets():
        st = section2_statistics(Behaviour.preset(name))
        eff = Behaviour.preset(name).charger_efficiency
        print(
            row(
                f"`{name}`",
                f"{st['sessions_per_day']:.2f}",
                f"{st['energy_kwh_per_session']:.1f}",
                f"{st['energy_kwh_per_day'] / eff:.2f}",
                f"{st['plugged_h_per_day']:.1f}",
                f"{100 * st['share_start_soc_above_50']:.0f} %",
            )
        )
    print("\nEnergies grid side.\n")


def admd_tables(runs: int) -> None:
    curves = {}
    for name in Behaviour.presets():
        t0 = time.perf_counter()
        curves[name] = admd_curve(Behaviour.preset(name), GROUP_SIZES, n_runs=runs)
        print(f"<!-- {name}: {time.perf_counter() - t0:.1f} s -->")
    print(
        f"\n### ADMD against the number of EVs (7 kW piles, uncontrolled, 15-min slots, "
        f"{runs} days per group size, seed 1)\n"
    )
    print(
        "Mean of daily peaks / 95th percentile [kW per EV]; coincidence factor of the mean "
        "(÷ 7 kW) in brackets.\n"
    )
    print(row("EVs", *[f"`{n}`" for n in curves]))
    print(row(*["---:"] * (1 + len(curves))))
    for i, n in enumerate(GROUP_SIZES):
        cells = [
            f"{c.mean_kw[i]:.2f} / {c.p95_kw[i]:.2f} ({c.factor_mean[i]:.2f})"
            for c in curves.values()
        ]
        print(row(n, *cells))
    print(row("kWh / EV·day", *[f"{c.energy_kwh_per_day:.2f}" for c in curves.values()]))
    print(
        row(
            "normalised, 100 EVs",
            *[f"{c.normalised[GROUP_SIZES.index(100)]:.3f}" for c in curves.values()],
        )
    )
    print(
        row(
            f"normalised, {LARGE_GROUP} EVs",
            *[f"{c.normalised[GROUP_SIZES.index(LARGE_GROUP)]:.3f}" for c in curves.values()],
        )
    )
    print("\nNormalised: mean daily peak ÷ mean daily energy per EV [kW per kWh/day].\n")
    print("### Published ADMD of uncontrolled home charging\n")
    print(row("source", "conditions", "kW per EV", "kWh / EV·day", "kW per kWh/day"))
    print(row(*["---"] * 5))
    for p in PUBLISHED:
        kw = f"{p.kw_per_ev[0]:.2f}" + (
            f"–{p.kw_per_ev[1]:.2f}" if p.kw_per_ev[1] != p.kw_per_ev[0] else ""
        )
        e = f"{p.energy_kwh_per_day[0]:.1f}" + (
            f"–{p.energy_kwh_per_day[1]:.1f}"
            if p.energy_kwh_per_day[1] != p.energy_kwh_per_day[0]
            else ""
        )
        lo, hi = p.normalised
        nrm = f"{lo:.3f}" + (f"–{hi:.3f}" if abs(hi - lo) > 5e-4 else "")
        print(row(p.source, p.conditions, kw, e, nrm))
    print(f"\n### Each preset at {LARGE_GROUP} EVs against its band\n")
    print(row("preset", "normalised ADMD", "band", "inside"))
    print(row(*["---"] * 4))
    for name, c in curves.items():
        lo, hi = BANDS[name]
        v = c.normalised[GROUP_SIZES.index(LARGE_GROUP)]
        print(
            row(f"`{name}`", f"{v:.3f}", f"{lo:.3f}–{hi:.3f}", "yes" if lo <= v <= hi else "**no**")
        )


def design_table(runs: int) -> None:
    from evgrid.params import parameter
    from evgrid.planning.basis import load_basis

    basis = load_basis(parameter("basis").value)
    curve = admd_curve(Behaviour.load(basis.behaviour_residential), [100, 500], n_runs=runs)
    assert curve.average_day_kw is not None
    print(
        f"### The default basis ({basis.name}) at 100 and 500 home EVs, 7 kW piles, "
        f"uncontrolled ({runs} days per group size, seed 1)\n"
    )
    print(row("EVs", "mean of daily peaks", "peak of the average day", "95th-percentile day",
              "kWh / EV·day"))  # fmt: skip
    print(row(*["---:"] * 5))
    for i, n in enumerate(curve.n_evs.tolist()):
        print(
            row(
                n,
                f"{curve.mean_kw[i]:.2f}",
                f"{curve.average_day_kw[i]:.2f}",
                f"{curve.p95_kw[i]:.2f}",
                f"{curve.energy_kwh_per_day:.1f}",
            )
        )
    print("\nMeasured figures it is built on (kW per EV):\n")
    print(row("source", "statistic", "kW per EV", "kWh / EV·day"))
    print(row(*["---"] * 4))
    for p in PUBLISHED[1:3]:
        kw = "–".join(dict.fromkeys(f"{k:.2f}" for k in p.kw_per_ev))
        e = "–".join(dict.fromkeys(f"{k:.1f}" for k in p.energy_kwh_per_day))
        print(row(p.source, p.statistic, kw, e))
    print()


def fit() -> None:
    f = fit_intervals(Behaviour.preset("home"))
    print("report preset: fitted shares of charge intervals (compare charge_interval_report.csv)")
    for k, w in zip(f.intervals_days, f.weights, strict=True):
        if w > 1e-4:
            print(f"  every {k:.0f} day(s): {100 * w:.1f} %")
    print(f"  loss {f.loss:.4f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=400, help="days per group size")
    parser.add_argument("--fit", action="store_true", help="re-fit the report preset and stop")
    parser.add_argument("--design", action="store_true", help="the design basis's table only")
    args = parser.parse_args()
    warnings.simplefilter("ignore")  # the report's distance shares add up to 104.2 %
    np.set_printoptions(precision=3)
    if args.fit:
        fit()
        return
    if args.design:
        design_table(args.runs)
        return
    section2_table()
    preset_table()
    admd_tables(args.runs)
    design_table(args.runs)


if __name__ == "__main__":
    main()

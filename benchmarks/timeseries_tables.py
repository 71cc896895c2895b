"""The time-series tier on the report's cases: the tables of docs/hosting-timeseries.md.

Run::

    python3 benchmarks/timeseries_tables.py [--days 365] [--seed 2023] [--basis design|report]

Prints, as Markdown: the hosting bands of A, B, C and the office parks (uncontrolled, TOU, valley
filling) beside the index tier, the range across the bundled behaviour presets, and the report's
figure 6-7 comparison (2025, 22 % and 30 % EV share) with other seeds and a partial price
response. Every number comes from the library; nothing is typed in.
"""

from __future__ import annotations

import argparse

import evgrid
from evgrid.planning.hosting import site_hosting


def pct(x: float) -> str:
    return f"{x:.2f}"


def hosting_table(days: int, seed: int, behaviour: str | None, basis: str) -> None:
    print(
        "| case | index tier: uncontrolled / orderly | uncontrolled P50 / P95 | TOU (23:00) "
        "P50 / P95 | valley filling P50 / P95 | uncontrolled across presets P50 / P95 |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    for case, site in evgrid.report_cases().items():
        given: dict[str, object] = {"basis": basis}
        if behaviour is not None and site.kind != "office":
            given["behaviour"] = behaviour
        index = site_hosting(site, basis=basis)
        if site.kind == "office":
            tier = ", ".join(f"{r.details['year']}: {pct(r.max_pile_ratio_p50)}" for r in index)
        else:
            tier = " / ".join(pct(r.max_pile_ratio_p50) for r in index)
        (unc,) = site_hosting(
            site,
            method="timeseries",
            days=days,
            rng=seed,
            behaviour_range=True,
            **given,
        )
        bands = [unc]
        for strategy in ("tou", "valley-filling"):
            bands += site_hosting(
                site, method="timeseries", strategy=strategy, days=days, rng=seed, **given
            )
        ranges = unc.details["behaviour_range"]
        p50 = [r["max_pile_ratio_p50"] for r in ranges.values()]
        p95 = [r["max_pile_ratio_p95"] for r in ranges.values()]
        spread = f"{pct(min(p50))}–{pct(max(p50))} / {pct(min(p95))}–{pct(max(p95))}"
        cells = " | ".join(
            f"{pct(b.max_pile_ratio_p50)} / {pct(b.max_pile_ratio_p95)}" for b in bands
        )
        print(f"| {case} | {tier} | {cells} | {spread} |")


def impact_table(behaviour: str | None, basis: str) -> None:
    print(
        "\n| case, EV share | uncontrolled charging peak | valley filling: charging / total "
        "peak change | TOU: charging / total peak change |"
    )
    print("| --- | --- | --- | --- |")
    cases = evgrid.report_cases()
    for case, share in (("A", 0.22), ("B", 0.22), ("C", 0.22), ("B", 0.30), ("C", 0.30)):
        imp = evgrid.orderly_impact(
            cases[case], ev_share=share, days=14, rng=2025, behaviour=behaviour, basis=basis
        )
        unc = imp.uncontrolled
        cells = []
        for name in ("valley-filling", "tou"):
            o = imp.orderly[name]
            cells.append(
                f"{-imp.charging_peak_reduction(name):+.0%} (at "
                f"{o.charging_peak_hour_h:05.2f} h) / "
                f"{-imp.total_peak_reduction(name):+.1%}"
            )
        print(
            f"| {case}, {share:.0%} | {unc.charging_peak_kw:.0f} kW at "
            f"{unc.charging_peak_hour_h:05.2f} h | {cells[0]} | {cells[1]} |"
        )
    seeds = []
    for seed in (1, 2, 3):
        imp = evgrid.orderly_impact(
            cases["B"],
            days=14,
            rng=seed,
            behaviour=behaviour,
            strategies=("valley-filling",),
            basis=basis,
        )
        seeds.append(
            (
                imp.total_peak_reduction("valley-filling"),
                -imp.charging_peak_reduction("valley-filling"),
            )
        )
    print(
        f"\nB, 22 %, seeds 1-3: valley filling total-peak reduction "
        f"{min(s[0] for s in seeds):.1%}–{max(s[0] for s in seeds):.1%}, charging-peak change "
        f"{min(s[1] for s in seeds):+.0%} to {max(s[1] for s in seeds):+.0%}"
    )
    for p in (0.2, 0.4, 0.6):
        imp = evgrid.orderly_impact(
            cases["B"],
            days=14,
            rng=2025,
            behaviour=behaviour,
            strategies=("tou",),
            participation=p,
            basis=basis,
        )
        print(
            f"B, 22 %, TOU with participation {p:.1f}: charging peak "
            f"{-imp.charging_peak_reduction('tou'):+.0%} (at "
            f"{imp.orderly['tou'].charging_peak_hour_h:05.2f} h), total peak "
            f"{-imp.total_peak_reduction('tou'):+.1%}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--seed", type=int, default=2023)
    parser.add_argument("--behaviour", default=None, help="default: the basis's")
    parser.add_argument("--basis", default=str(evgrid.parameter("basis").value))
    args = parser.parse_args()
    hosting_table(args.days, args.seed, args.behaviour, args.basis)
    impact_table(args.behaviour, args.basis)


if __name__ == "__main__":
    main()

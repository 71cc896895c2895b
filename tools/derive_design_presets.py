"""Derive the design basis's behaviour files from the bundled measured distributions.

Writes into ``src/evgrid/data/behaviour`` (each file with a ``# source:`` header):

* ``charge_interval_design.csv``: a daily plug-in factor of 0.7 (the planning margin of the
  University of Melbourne's diversified profiles from the Electric Nation trial: 70 % of EVs
  charge on a given day), as 40 % of cars charging every day and 60 % every second day
  (0.4 + 0.6 / 2 = 0.7; the split is assumed);
* ``session_energy_report_daily.csv``: the Electric Nation energy per charging day
  (``session_energy_electric_nation.csv``, mean 21.6 kWh) scaled to the report's daily energy:
  9 kWh a day battery side (report section 2: 60 km × 15 kWh/100 km), 10 kWh grid side with the
  charger efficiency 0.9, over 0.7 charging days a day: 14.29 kWh per charging day.

Run from the repository root: ``python tools/derive_design_presets.py``.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

FOLDER = Path(__file__).resolve().parents[1] / "src" / "evgrid" / "data" / "behaviour"
PLUG_IN_FACTOR = 0.7
"""Share of EVs that charge on a given day, the UoM/Electric Nation planning factor [-]."""
DAILY_SHARE = 0.4
"""Share of cars charging every day; the rest every second day (assumed) [-]."""
REPORT_DAILY_KWH = 60.0 * 15.0 / 100.0 / 0.9
"""The report's daily energy, grid side: 60 km × 15 kWh/100 km ÷ 0.9 [kWh/day]."""


def read_binned(path: Path) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    rows = [r for r in path.read_text("utf-8").splitlines() if r and not r.startswith("#")]
    data = np.array([[float(x) for x in r.split(",")] for r in rows[1:]])
    return data[:, 0], data[:, 1], data[:, 2]


def main() -> None:
    every_other = 1.0 - DAILY_SHARE
    assert abs(DAILY_SHARE + every_other / 2.0 - PLUG_IN_FACTOR) < 1e-12
    (FOLDER / "charge_interval_design.csv").write_text(
        "# Days between two charges of a car [days], design basis: a daily plug-in factor of 0.7.\n"
        "# source: University of Melbourne diversified EV profiles from Electric Nation data\n"
        "# (github.com/Team-Nando/EV-Demand-Profiles): a daily plug-in factor of 70 % as the\n"
        "# planning margin; 40 % every day and 60 % every second day (0.4 + 0.6 / 2 = 0.7, split\n"
        "# assumed; tools/derive_design_presets.py).\n"
        f"value,weight\n1,{DAILY_SHARE * 100:g}\n2,{every_other * 100:g}\n",
        encoding="utf-8",
    )
    lower, upper, weight = read_binned(FOLDER / "session_energy_electric_nation.csv")
    mean = float(np.sum(weight * (lower + upper) / 2.0) / weight.sum())
    target = REPORT_DAILY_KWH / PLUG_IN_FACTOR
    scale = target / mean
    lines = [
        "# Energy per home session, grid side [kWh], design basis with the report's daily energy.",
        "# source: report section 2 (at most 60 km x 15 kWh/100 km = 9 kWh a day, battery side;",
        f"# {REPORT_DAILY_KWH:.2f} kWh grid side with the charger efficiency 0.9) over a daily",
        f"# plug-in factor of 0.7: {target:.2f} kWh per charging day; the shape of",
        f"# session_energy_electric_nation.csv (mean {mean:.2f} kWh) scaled by {scale:.4f}",
        "# (tools/derive_design_presets.py).",
        "lower,upper,weight",
        *(
            f"{lo * scale:.6f},{hi * scale:.6f},{w:.6f}"
            for lo, hi, w in zip(lower, upper, weight, strict=True)
        ),
    ]
    (FOLDER / "session_energy_report_daily.csv").write_text(
        "\n".join(lines) + "\n", encoding="utf-8"
    )
    print(f"Electric Nation mean {mean:.3f} kWh; report daily {target:.3f} kWh (x {scale:.4f})")


if __name__ == "__main__":
    main()

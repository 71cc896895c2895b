"""Speed of the IEC 60076-7 thermal model: evgrid's vectorised kernel against the
``transformer-thermal-model`` package (one profile per run), on N day profiles at 15 min.

Usage: ``python3 benchmarks/bench_thermal.py [--cases 1000] [--repeats 5] [--package-cases 1000]``
Prints the median wall time of each over the repeats.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import pandas as pd
from transformer_thermal_model.model import Model
from transformer_thermal_model.schemas import InputProfile, UserTransformerSpecifications
from transformer_thermal_model.schemas.thermal_model.initial_state import InitialLoad
from transformer_thermal_model.transformer import DistributionTransformer

from evgrid.grid.thermal import ONAN_DISTRIBUTION, ageing_days_per_day, thermal_response

SLOT_MIN = 15.0
SLOTS = 96


def _profiles(n_cases: int) -> np.ndarray:
    rng = np.random.default_rng(0)
    hours = np.arange(SLOTS) * SLOT_MIN / 60.0
    base = 0.5 + 0.3 * np.exp(-0.5 * ((hours - 20.5) / 2.0) ** 2)
    return base * rng.uniform(0.8, 1.4, (n_cases, SLOTS))


def _package_run(loads: np.ndarray) -> np.ndarray:
    p = ONAN_DISTRIBUTION
    specs = UserTransformerSpecifications(
        no_load_loss=1000.0,
        load_loss=p.loss_ratio * 1000.0,
        nom_load_sec_side=1.0,
        top_oil_temp_rise=p.top_oil_rise_k,
        winding_oil_gradient=p.hot_spot_gradient_k,
        hot_spot_fac=1.0,
        amb_temp_surcharge=0.0,
    )
    index = pd.date_range("2024-07-01", periods=SLOTS + 1, freq="15min")
    ambient = np.full(SLOTS + 1, 25.0)
    peaks = np.empty(loads.shape[0])
    for i, load in enumerate(loads):
        profile = InputProfile.create(
            datetime_index=index,
            load_profile=np.concatenate([[load[-1]], load]),
            ambient_temperature_profile=ambient,
        )
        transformer = DistributionTransformer(user_specs=specs)
        model = Model(profile, transformer, initial_condition=InitialLoad(initial_load=load[-1]))
        peaks[i] = model.run().hot_spot_temp_profile.max()
    return peaks


def _median_s(fn: object, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()  # type: ignore[operator]
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=1000)
    parser.add_argument("--package-cases", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    loads = _profiles(args.cases)

    def kernel() -> None:
        hot = thermal_response(loads, 25.0, SLOT_MIN).hot_spot_c
        hot.max(axis=1)
        ageing_days_per_day(hot, SLOT_MIN)

    t_kernel = _median_s(kernel, args.repeats)
    package_loads = loads[: args.package_cases]
    t_package = _median_s(lambda: _package_run(package_loads), max(1, args.repeats // 5))
    per_k = t_kernel / args.cases * 1e6
    per_p = t_package / package_loads.shape[0] * 1e6
    print(
        f"evgrid kernel : {args.cases} day profiles x {SLOTS} slots: median {t_kernel:.4f} s "
        f"({per_k:.1f} us/profile, hot spot + ageing, cyclic state)"
    )
    print(
        f"package 0.6.0 : {package_loads.shape[0]} day profiles x {SLOTS} slots: median "
        f"{t_package:.3f} s ({per_p:.0f} us/profile, one Model.run per profile)"
    )
    print(f"speed-up      : {per_p / per_k:.0f}x")


if __name__ == "__main__":
    main()

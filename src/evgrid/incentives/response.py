"""Owner response: the share of owners who move their charging to the valley, by price spread.

The response curve of Chinese time-of-use studies (the consumer-psychology model: Ding, Wu & Zou,
*Automation of Electric Power Systems* 25(23), 2001; Ruan, Wang, Li & Yang, *Power System
Technology* 36(7), 2012) has three zones in the peak–valley spread ``s``:

* a dead zone ``s <= a``: no owner moves (the saving is not worth the trouble);
* a linear zone ``a < s < b``: the share grows linearly;
* saturation ``s >= b``: the share stays at its maximum ``r_max``.

``share(s) = r_max * clip((s - a) / (b - a), 0, 1)``; a spread of 0 gives no response.

Responders become the orderly participants of an existing strategy (report section 5.2): they
wait for the valley price (``tou``: TOU start with staggering) or hand their piles to a load
aggregator that fills the valley (``valley-filling``); the others charge uncontrolled. Of ``n``
cars, ``round(share * n)`` (halves up) respond, as participation means everywhere in evgrid. The
owners are ranked once by willingness (a random order): a wider spread adds owners to those who
already responded, so the responders at one spread are a subset of those at a wider one.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from evgrid.errors import InputError, bad_value
from evgrid.io import read_document
from evgrid.params import param_field, parameter, validate

RESPONSE_FIELDS = ("dead_zone_yuan_per_kwh", "saturation_yuan_per_kwh", "max_share")


@dataclass(frozen=True)
class ResponseCurve:
    """The dead-zone / linear / saturation response of owners to the peak–valley spread.

    Parameters
    ----------
    dead_zone_yuan_per_kwh
        Spread up to which nobody responds [yuan/kWh]; default the parameter
        ``response_dead_zone_yuan_per_kwh``.
    saturation_yuan_per_kwh
        Spread from which the response stays at its maximum [yuan/kWh], above the dead zone;
        default ``response_saturation_yuan_per_kwh``.
    max_share
        Share of owners who respond at saturation [-]; default ``response_max_share``.
    """

    dead_zone_yuan_per_kwh: float = param_field("response_dead_zone_yuan_per_kwh")
    saturation_yuan_per_kwh: float = param_field("response_saturation_yuan_per_kwh")
    max_share: float = param_field("response_max_share")

    def __post_init__(self) -> None:
        validate(self)
        if self.saturation_yuan_per_kwh <= self.dead_zone_yuan_per_kwh:
            raise bad_value(
                "saturation_yuan_per_kwh",
                self.saturation_yuan_per_kwh,
                f"a spread above the dead zone {self.dead_zone_yuan_per_kwh:g} [yuan/kWh]",
            )

    def share(self, spread_yuan_per_kwh: npt.ArrayLike) -> Any:
        """Share of owners who move to the valley at each spread [-] (an array for an array).

        Parameters
        ----------
        spread_yuan_per_kwh
            Peak–valley spread(s) of the charging price [yuan/kWh], >= 0.
        """
        s = np.asarray(spread_yuan_per_kwh, dtype=np.float64)
        a, b = self.dead_zone_yuan_per_kwh, self.saturation_yuan_per_kwh
        out = self.max_share * np.clip((s - a) / (b - a), 0.0, 1.0)
        return float(out) if out.ndim == 0 else out

    def to_dict(self) -> dict[str, float]:
        """The three numbers, for JSON and reports."""
        return {name: float(getattr(self, name)) for name in RESPONSE_FIELDS}


def parse_response(data: Any, where: str = "response") -> ResponseCurve:
    """A :class:`ResponseCurve` from a document's mapping (missing fields take the defaults).

    Raises
    ------
    InputError
        A field that is not one of the three, or a value outside its range.
    """
    if not isinstance(data, dict):
        raise bad_value(where, data, "a mapping with " + ", ".join(RESPONSE_FIELDS))
    for key in data:
        if key not in RESPONSE_FIELDS:
            raise bad_value(f"{where}: {key}", data[key], "one of " + ", ".join(RESPONSE_FIELDS))
    try:
        return ResponseCurve(**data)
    except InputError as exc:
        raise InputError(f"{where}: {exc}") from None


def load_response(source: str | Path | ResponseCurve | None = None) -> ResponseCurve:
    """The response curve from a YAML/JSON file, as given, or the defaults (None)."""
    if source is None:
        return ResponseCurve()
    if isinstance(source, ResponseCurve):
        return source
    return parse_response(read_document(source, "response document (YAML or JSON)"), str(source))


def responder_count(share: npt.ArrayLike, n_cars: int) -> Any:
    """``round(share * n_cars)`` with halves up: how many of ``n_cars`` respond [-]."""
    return np.floor(np.asarray(share, dtype=np.float64) * n_cars + 0.5).astype(np.int64)


def willingness_rank(n_cars: int, rng: np.random.Generator) -> npt.NDArray[np.int64]:
    """Each car's place in the owners' order of willingness, a random permutation [-].

    The car in place ``k`` responds when more than ``k`` owners respond, so the responders of
    a smaller share are a subset of those of a larger one.
    """
    rank = np.empty(n_cars, dtype=np.int64)
    rank[rng.permutation(n_cars)] = np.arange(n_cars, dtype=np.int64)
    return rank


def response_strategy(name: str | None) -> str:
    """The strategy of responders (parameter ``response_strategy``), checked."""
    from evgrid.charging.strategies import get_strategy

    chosen = parameter("response_strategy").resolve(name, "strategy")
    return get_strategy(chosen).name

"""What an upgrade costs: a user's cost per kVA or cost table, or the illustrative table.

evgrid ships no market price. A user gives a cost per kVA, a table of installed unit costs
(``rating_kva, cost_yuan``) or a table that splits equipment and installation by how a unit is
added (``rating_kva, kind, equipment_yuan, installation_yuan``; :data:`UNIT_KINDS`). Without one,
a city run and a site's upgrade use the bundled ILLUSTRATIVE table (``data/upgrade_costs.csv``)
and mark every cost it gives ``illustrative``: orders of magnitude for comparing options, not a
price to decide on.
"""

from __future__ import annotations

import csv
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

import numpy as np

from evgrid.errors import InputError, bad_value
from evgrid.params import Spec
from evgrid.timegrid import FloatArray, IntArray

_COST = Spec("cost", "yuan", "[0, inf)")
_RATING = Spec("rating_kva", "kVA", "(0, inf)")


UNIT_KINDS = ("box", "dry", "oil")
"""How a unit is added: a box substation beside the supply, or a dry-type or oil-immersed unit in
the existing room."""

UNIT_LIMITS = {
    "box": "box_substation_max_kva",
    "dry": "room_dry_max_kva",
    "oil": "room_oil_max_kva",
}
"""The parameter that caps each kind of unit [kVA]."""


@dataclass(frozen=True)
class UnitCost:
    """Cost of one unit added, split into equipment and installation [yuan].

    Parameters
    ----------
    rating_kva
        Unit rating [kVA].
    kind
        ``box``, ``dry`` or ``oil`` (:data:`UNIT_KINDS`), or ``any`` (a table without kinds).
    equipment_yuan, installation_yuan
        The unit (and a box's switchgear); civil works, cables, connection [yuan].
    """

    rating_kva: float
    kind: str
    equipment_yuan: float
    installation_yuan: float


@dataclass(frozen=True)
class CostModel:
    """Cost of the transformers an upgrade adds: a user's, or evgrid's illustrative table.

    Parameters
    ----------
    per_kva
        Installed cost per kVA bought [yuan/kVA], or None.
    table
        Installed cost of one unit by its rating [yuan], or None (:func:`read_cost_table`, two
        columns).
    units
        Costs split into equipment and installation by unit kind and rating, or None
        (:func:`read_cost_table` with ``kind``, ``equipment_yuan``, ``installation_yuan``).
    illustrative
        Use the bundled illustrative table (``data/upgrade_costs.csv``) when nothing else is
        given; its costs are marked ``illustrative`` wherever they appear.
    """

    per_kva: float | None = None
    table: Mapping[float, float] | None = None
    units: tuple[UnitCost, ...] | None = None
    illustrative: bool = False

    def __post_init__(self) -> None:
        given = sum(x is not None for x in (self.per_kva, self.table, self.units))
        if given > 1:
            raise bad_value("cost_per_kva", self.per_kva, "either a cost per kVA or a table")
        if self.per_kva is not None:
            object.__setattr__(self, "per_kva", _COST.check(self.per_kva, "cost_per_kva"))

    @property
    def given(self) -> bool:
        """Whether the user gave a cost."""
        return self.per_kva is not None or self.table is not None or self.units is not None

    @property
    def priced(self) -> bool:
        """Whether costs are computed (given, or the illustrative table)."""
        return self.given or self.illustrative

    @property
    def basis(self) -> str:
        """``given``, ``illustrative`` or ``none``: what the cost columns stand on."""
        return "given" if self.given else ("illustrative" if self.illustrative else "none")

    def unit_costs(self) -> tuple[UnitCost, ...] | None:
        """The unit costs with kinds: the user's, or the illustrative table; None otherwise."""
        if self.units is not None:
            return self.units
        if self.illustrative and not self.given:
            return illustrative_costs()
        return None

    def cost_yuan(self, unit_kva: FloatArray, units: IntArray) -> FloatArray:
        """Cost of ``units`` transformers of ``unit_kva`` each; NaN without a cost [yuan]."""
        unit = np.asarray(unit_kva, dtype=np.float64)
        n = np.asarray(units, dtype=np.float64)
        if self.per_kva is not None:
            return np.where(n > 0, unit * n * self.per_kva, np.nan)
        if self.table is not None:
            keys = np.array(sorted(self.table))
            vals = np.array([self.table[k] for k in keys])
            idx = np.clip(np.searchsorted(keys, unit), 0, keys.size - 1)
            found = np.isclose(keys[idx], unit)
            missing = (n > 0) & ~found
            if missing.any():
                raise bad_value(
                    "cost table",
                    float(unit[missing][0]),
                    "a row for every standard rating that an upgrade buys [kVA]",
                )
            return np.where(n > 0, vals[idx] * n, np.nan)
        rows = self.unit_costs()
        if rows is not None:
            price = {r.rating_kva: r.equipment_yuan + r.installation_yuan for r in rows}
            cheapest = np.array([min(price.get(float(u), np.nan), np.inf) for u in unit.ravel()])
            return np.where(n > 0, cheapest.reshape(unit.shape) * n, np.nan)
        return np.full(unit.shape, np.nan)


@functools.cache
def illustrative_costs() -> tuple[UnitCost, ...]:
    """The bundled ILLUSTRATIVE unit costs (``data/upgrade_costs.csv``): for examples only."""
    text = (resources.files("evgrid") / "data" / "upgrade_costs.csv").read_text("utf-8")
    rows = csv.DictReader(line for line in text.splitlines() if not line.startswith("#"))
    return tuple(
        UnitCost(
            float(r["rating_kva"]),
            r["kind"],
            float(r["equipment_yuan"]),
            float(r["installation_yuan"]),
        )
        for r in rows
    )


def read_cost_table(path: str | Path) -> CostModel:
    """Read a cost table (CSV).

    Either ``rating_kva, cost_yuan`` (one unit, installed, any kind), or ``rating_kva, kind,
    equipment_yuan, installation_yuan`` with ``kind`` one of :data:`UNIT_KINDS` (equipment and
    installation apart, by how the unit is added). A rating given twice (of one kind) is
    refused.

    Raises
    ------
    InputError
        Missing file or columns, a bad number or kind, a repeated row (one line naming the row).
    """
    from evgrid.io import read_table

    file = Path(path)
    table = read_table(file, "cost table (CSV)", casefold=True, comments=True)
    split = {"kind", "equipment_yuan", "installation_yuan"} <= set(table.fields)
    if not split and not {"rating_kva", "cost_yuan"} <= set(table.fields):
        raise InputError(
            f"{file}: columns rating_kva and cost_yuan are required, or rating_kva, kind, "
            "equipment_yuan and installation_yuan"
        )
    ratings = table.numbers("rating_kva", "a number > 0 [kVA]")
    if ratings.size == 0:
        raise InputError(f"{file}: no rows")
    for i, r in enumerate(ratings.tolist()):
        _RATING.check(r, f"{file} row {i + 2}: rating_kva")
    if not split:
        costs = table.numbers("cost_yuan", "a number >= 0 [yuan]")
        out: dict[float, float] = {}
        for i, (r, c) in enumerate(zip(ratings.tolist(), costs.tolist(), strict=True)):
            if r in out:
                raise bad_value(f"{file} row {i + 2}: rating_kva", r, "each rating once")
            out[float(r)] = float(_COST.check(c, f"{file} row {i + 2}: cost_yuan"))
        return CostModel(table=out)
    kinds = table.text("kind")
    equipment = table.numbers("equipment_yuan", "a number >= 0 [yuan]")
    installation = table.numbers("installation_yuan", "a number >= 0 [yuan]")
    rows: list[UnitCost] = []
    seen: set[tuple[float, str]] = set()
    for i, (r, k, e, n) in enumerate(
        zip(ratings.tolist(), kinds, equipment.tolist(), installation.tolist(), strict=True)
    ):
        where = f"{file} row {i + 2}"
        kind = str(k).strip()
        if kind not in UNIT_KINDS:
            raise bad_value(f"{where}: kind", kind, "one of " + ", ".join(UNIT_KINDS))
        if (float(r), kind) in seen:
            raise bad_value(f"{where}: rating_kva", r, "each rating once per kind")
        seen.add((float(r), kind))
        rows.append(
            UnitCost(
                float(r),
                kind,
                float(_COST.check(e, f"{where}: equipment_yuan")),
                float(_COST.check(n, f"{where}: installation_yuan")),
            )
        )
    return CostModel(units=tuple(rows))

"""Who pays whom: the money of a lever and of V2G at a site over a year (report 5.2 and 6).

Four parties: the **owners** of the electric cars, the **grid company** (the utility that bills
charging at the tariff and pays for demand response and V2G discharge), the **aggregator** (the
load aggregator that runs orderly charging, demand response and V2G for the owners) and the
**carbon buyer** (who buys the carbon-inclusion credits the owners earn, report 5.2).

:func:`v2g_money` prices what V2G earns (report 6 puts V2G pilots in 2026–2030): the energy the
bidirectional cars give to the grid is paid at the tariff's price of its slot (discharge in the
peak priced by the tariff, an assumption: the 2024 V2G pilot notice leaves discharge prices to
the pilots), the cars' extra charging to put it back (and the valley filling they would have
done anyway) is billed at the tariff, and the battery wear is a cost per kWh given
(``v2g_wear_yuan_per_kwh``). The aggregator receives the discharge revenue, repays the owners
their extra charging and wear and splits the rest, the **margin**, with them (``v2g_owner_share``,
assumed)::

    margin          = revenue - extra charging - wear
    aggregator pays = extra charging + wear + owner share x margin      (to the owners)
    owners' net     = owner share x margin
    aggregator net  = (1 - owner share) x margin
    grid's net      = extra charging - revenue

so the parties' nets sum to minus the wear, the one real cost. :func:`money_flows` lists every
payment of a lever (:class:`~evgrid.incentives.economics.LeverResult`) and of V2G with its payer,
payee and amount, and each party's net position.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from evgrid.params import parameter
from evgrid.timegrid import FloatArray, TimeGrid

PARTIES = ("owners", "grid", "aggregator", "carbon buyer")
"""Who pays and who is paid."""


@dataclass(frozen=True)
class V2GMoney:
    """What V2G earns at a site over a year and who gets it (module docstring).

    Parameters
    ----------
    discharged_kwh
        Energy given to the grid [kWh/year].
    revenue_yuan
        The discharge paid at the tariff's price of its slot (grid -> aggregator) [yuan/year].
    extra_charging_yuan
        The V2G cars' charging bill with V2G less the same cars' bill under valley filling
        (owners -> grid) [yuan/year].
    wear_yuan
        Battery wear of the energy given [yuan/year].
    owner_share
        Share of the margin paid to the owners [-].
    """

    discharged_kwh: float
    revenue_yuan: float
    extra_charging_yuan: float
    wear_yuan: float
    owner_share: float

    @property
    def margin_yuan(self) -> float:
        """Revenue less the extra charging and the wear [yuan/year]."""
        return self.revenue_yuan - self.extra_charging_yuan - self.wear_yuan

    @property
    def paid_to_owners_yuan(self) -> float:
        """The aggregator's payment to the owners: their extra charging and wear, and their
        share of the margin [yuan/year]."""
        return self.extra_charging_yuan + self.wear_yuan + self.owner_share * self.margin_yuan

    @property
    def net_yuan(self) -> dict[str, float]:
        """Each party's net of V2G [yuan/year] (owners after wear)."""
        return {
            "owners": self.owner_share * self.margin_yuan,
            "grid": self.extra_charging_yuan - self.revenue_yuan,
            "aggregator": (1.0 - self.owner_share) * self.margin_yuan,
            "carbon buyer": 0.0,
        }

    def to_dict(self) -> dict[str, Any]:
        """Plain form for JSON."""
        return {
            "discharged_kwh": self.discharged_kwh,
            "revenue_yuan": self.revenue_yuan,
            "extra_charging_yuan": self.extra_charging_yuan,
            "wear_yuan": self.wear_yuan,
            "margin_yuan": self.margin_yuan,
            "owner_share": self.owner_share,
            "paid_to_owners_yuan": self.paid_to_owners_yuan,
            "net_yuan": self.net_yuan,
        }


def year_price(tariff: Any, grid: TimeGrid) -> FloatArray:
    """The tariff's price of each slot over the year: the seasons' prices weighted by their
    months, ``(n_slots,)`` [yuan/kWh]."""
    weights = tariff.month_weights()
    prices = [s.price_per_slot(grid) for s in tariff.seasons]
    return np.asarray(sum(w * p for w, p in zip(weights, prices, strict=True)), dtype=np.float64)


def v2g_money(
    grid: TimeGrid,
    eval_slots: slice,
    tariff: Any,
    *,
    charging_kw: FloatArray,
    discharge_kw: FloatArray,
    without_kw: FloatArray,
    wear_yuan_per_kwh: float | None = None,
    owner_share: float | None = None,
) -> V2GMoney:
    """What the bidirectional cars earn over a year (module docstring).

    Parameters
    ----------
    grid, eval_slots
        The horizon and its evaluated slots (whole days).
    tariff
        A :class:`~evgrid.incentives.tariffs.Tariff` (or a bundled name or file).
    charging_kw, discharge_kw
        The V2G cars' charging (gross, >= 0) and the power they give to the grid (>= 0) over
        the horizon, ``(n_slots,)`` [kW].
    without_kw
        The same cars' charging under valley filling, ``(n_slots,)`` [kW].
    wear_yuan_per_kwh
        Battery wear per kWh given [yuan/kWh]; default ``v2g_wear_yuan_per_kwh``.
    owner_share
        Share of the margin paid to the owners [-]; default ``v2g_owner_share``.
    """
    from evgrid.incentives.tariffs import load_tariff

    t = load_tariff(tariff)
    wear = float(parameter("v2g_wear_yuan_per_kwh").resolve(wear_yuan_per_kwh, "wear_yuan_per_kwh"))
    share = float(parameter("v2g_owner_share").resolve(owner_share, "owner_share"))
    price = year_price(t, grid)[eval_slots]
    days = (eval_slots.stop - eval_slots.start) / grid.slots_per_day
    per_year = parameter("days_per_year").value / days

    def energy(series: FloatArray) -> FloatArray:
        return grid.energy_kwh(np.asarray(series, dtype=np.float64)[eval_slots])

    given = energy(discharge_kw)
    return V2GMoney(
        discharged_kwh=float(given.sum()) * per_year,
        revenue_yuan=float(given @ price) * per_year,
        extra_charging_yuan=float((energy(charging_kw) - energy(without_kw)) @ price) * per_year,
        wear_yuan=wear * float(given.sum()) * per_year,
        owner_share=share,
    )


@dataclass(frozen=True)
class Flow:
    """One payment over a year.

    Parameters
    ----------
    payer, payee
        Parties (:data:`PARTIES`).
    what
        What it pays for (a key of the report's labels).
    yuan
        The amount [yuan/year], >= 0.
    """

    payer: str
    payee: str
    what: str
    yuan: float

    def to_dict(self) -> dict[str, Any]:
        """Plain form for JSON."""
        return {"payer": self.payer, "payee": self.payee, "what": self.what, "yuan": self.yuan}


FEN = 0.01
"""The smallest amount of money [yuan]: a payment under half of it is none."""


def _flow(payer: str, payee: str, what: str, yuan: float) -> Flow:
    """A payment, turned round when negative (extra charging that saves money)."""
    return Flow(payer, payee, what, yuan) if yuan >= 0 else Flow(payee, payer, what, -yuan)


def money_flows(lever: Any, v2g: V2GMoney | None = None) -> dict[str, Any]:
    """Every payment of a lever at a site over a year, and of V2G (module docstring).

    Parameters
    ----------
    lever
        :class:`~evgrid.incentives.economics.LeverResult` (the owners' bill after the tariff,
        the carbon credits after it and the demand-response money).
    v2g
        What V2G earns (:func:`v2g_money`), or None.

    Returns
    -------
    dict
        ``flows`` (``payer``, ``payee``, ``what``, ``yuan``), ``net_yuan`` per party (what it
        receives less what it pays, the owners' battery wear counted) and ``wear_yuan``.
    """
    flows = [_flow("owners", "grid", "charging_bill", lever.money_year.cost_after_yuan)]
    carbon = lever.carbon_after_year.value_yuan
    if carbon:
        flows.append(_flow("carbon buyer", "owners", "carbon_credits", carbon))
    if lever.dr is not None:
        year = lever.dr.per_year
        flows.append(_flow("grid", "aggregator", "dr_payment", year["revenue_yuan"]))
        flows.append(_flow("aggregator", "owners", "dr_owners", year["owners_yuan"]))
    wear = 0.0
    if v2g is not None:
        wear = v2g.wear_yuan
        flows.append(_flow("grid", "aggregator", "v2g_discharge", v2g.revenue_yuan))
        flows.append(_flow("owners", "grid", "v2g_extra_charging", v2g.extra_charging_yuan))
        flows.append(_flow("aggregator", "owners", "v2g_owners", v2g.paid_to_owners_yuan))
    flows = [f for f in flows if f.yuan >= FEN / 2]
    net = dict.fromkeys(PARTIES, 0.0)
    for f in flows:
        net[f.payer] -= f.yuan
        net[f.payee] += f.yuan
    net["owners"] -= wear
    return {"flows": [f.to_dict() for f in flows], "net_yuan": net, "wear_yuan": wear}

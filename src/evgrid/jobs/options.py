"""The options several jobs share, each declared once (a request field says ``like=SEED``).

Only what a job changes is written again where it is used (``option(like=DAYS, help=...)``).
"""

from __future__ import annotations

from evgrid.jobs.fields import Option
from evgrid.jobs.inputs import (
    SESSION_SUFFIXES,
    SITE_SUFFIXES,
    sessions_echo,
    sessions_input,
    site_echo,
    site_input,
)

METHODS = ("index", "timeseries")
"""The two tiers: the planning index (report sections 3–4) and the Monte Carlo time series."""
TIMESERIES = ("timeseries",)
CRITERIA = ("loading", "hotspot", "ageing")


def strategies() -> tuple[str, ...]:
    """Every registered strategy and alias (read when first needed)."""
    from evgrid.charging.strategies import strategy_names

    return tuple(strategy_names(aliases=True))


def behaviour_presets() -> tuple[str, ...]:
    """The bundled behaviour presets."""
    from evgrid.demand.presets import PRESETS

    return tuple(PRESETS)


def basis_names() -> tuple[str, ...]:
    """The bundled design bases (``design``, ``report``, ...)."""
    from evgrid.planning.basis import basis_names as names

    return tuple(names())


def scenario_names() -> tuple[str, ...]:
    """The bundled scenarios' names."""
    from evgrid.planning.scenarios import scenario_names as names

    return tuple(names())


SITE = Option(
    "Site document (YAML or JSON)",
    argument=True,
    file=SITE_SUFFIXES,
    load=site_input,
    echo=site_echo,
    zh="场地",
)
SESSIONS = Option(
    "Session file (.csv or .parquet)",
    required=True,
    file=SESSION_SUFFIXES,
    load=sessions_input,
    echo=sessions_echo,
    zh="充电会话",
)
METHOD = Option(
    "index (the report's planning index) or timeseries (Monte Carlo)", choices=METHODS, zh="方法"
)
STRATEGY = Option("Charging strategy", choices=strategies, zh="充电策略")
PARTICIPATION = Option(
    "Share of cars that follow the strategy, the rest uncontrolled [-]",
    param="participation",
    zh="参与比例",
)
CRITERION = Option(
    "loading, or timeseries: hotspot or ageing (IEC 60076-7)", choices=CRITERIA, zh="判据"
)
LIMIT = Option(
    "Limit of the criterion: loading [pu] (default {loading_limit_pu}), hot spot [°C] "
    "({hotspot_limit_c}) or ageing [day/day] ({ageing_limit_days_per_day})",
    allowed="[0, 1000]",
    unit="pu, °C or day/day",
    zh="限值",
)
DAYS = Option(
    "timeseries: Monte Carlo days [day]",
    param="monte_carlo_days",
    methods=TIMESERIES,
    zh="模拟天数",
)
SEED = Option("Random seed (the same seed, the same numbers)", param="seed", zh="随机种子")
BEHAVIOUR = Option(
    "Charging behaviour: a preset or a behaviour file (YAML/JSON)",
    param="behaviour_residential",
    names=behaviour_presets,
    zh="充电行为",
)
BASIS = Option(
    "Design basis: the charging demand and physics a decision rests on, design (measured home "
    "charging at a planning margin), report (the report's calibrated assumptions, which "
    "reproduce it) or a basis file (docs/decision.md)",
    param="basis",
    names=basis_names,
    zh="设计依据",
)
SLOT_MIN = Option("Slot length [min]", param="slot_min", zh="时段长度")
SCENARIO = Option(
    "EV-growth scenario: a bundled one or a scenario file (YAML)",
    param="scenario",
    names=scenario_names,
    zh="情景",
)
COST_PER_KVA = Option(
    "Installed cost of a transformer per kVA [yuan/kVA]",
    allowed="[0, 1e6]",
    unit="yuan/kVA",
    zh="单位容量造价",
)
COST_TABLE = Option(
    "CSV of unit costs: rating_kva, cost_yuan [kVA, yuan]", file=(".csv",), zh="造价表"
)
DISCOUNT_RATE = Option("Discount rate [-]", param="discount_rate", zh="折现率")
MODES = Option(
    "Charging modes of a community's electric cars: report (the report's order by community "
    "type, report 6: fixed-space, shared and public piles), fixed-only, or a file of shares "
    "{fixed, shared, public}",
    names=("report", "fixed-only"),
    kinds=("residential",),
    zh="充电模式",
)
HUB_CONNECTION = Option(
    "Where a public hub connects: community (the community's transformer), own-unit or 10kv",
    param="hub_connection",
    kinds=("residential",),
    zh="公共充电站接入",
)
WEAR = Option(
    "v2g: battery wear cost of a kWh given back to the grid [yuan/kWh]",
    param="v2g_wear_yuan_per_kwh",
    zh="电池损耗成本",
)
DISCHARGE = Option(
    "v2g: largest discharge power of a car [kW]", param="v2g_discharge_kw", zh="放电功率"
)
CLI_ONLY = frozenset({"cli"})
"""Options of the command line only (local processes, a Dask scheduler)."""

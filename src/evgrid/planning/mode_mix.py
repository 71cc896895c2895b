"""Which car charges where: the mixes of charging modes by community type and the counts (report 6).

The report's path charges a community's electric cars in three ways, in an order by community
type (report 6): **old** communities public first, fixed-space piles second, shared piles third;
**sub-new** fixed-space first, public second, shared third; **new** fixed-space first, public as a
complement. evgrid turns the order into stated default shares (parameters ``modes_<type>_*``,
assumptions marked as such) and counts the cars:

* cars = households × ``cars_per_household``; electric cars = the EV share of them; those with a
  space = the spaces × ``cars_per_space`` (at most the cars), the EV share likewise;
* **fixed**: a private pile on the owner's space (at most the electric cars with a space; a
  share beyond them goes to the hub);
* **shared**: piles on common spaces, ``shared_cars_per_pile`` cars booked on each, used first
  come first served: a car charges at full power from its arrival or the hand-over, whichever is
  later, and is moved when done (or when it leaves);
* **public**: a hub in or near the community (:mod:`evgrid.planning.hub`), DC or AC overnight
  under a departure-time rule.

:mod:`evgrid.planning.modes` charges each mode.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from evgrid.errors import bad_value
from evgrid.params import parameter

MODES = ("fixed", "shared", "public")
"""The charging modes, in the report's words: a private pile on the owner's space, a shared pile,
public charging."""
MIXES = ("report", "fixed-only")
"""The bundled mixes: the report's order by community type, or fixed piles only."""


@dataclass(frozen=True)
class ModeMix:
    """Shares of a community's electric cars by charging mode [-] (summing to 1).

    Parameters
    ----------
    fixed, shared, public
        Shares of the electric cars [-].
    name
        Where the shares come from (``report <type>``, ``fixed-only`` or ``given``).
    """

    fixed: float
    shared: float
    public: float
    name: str = "given"

    def __post_init__(self) -> None:
        for mode in MODES:
            parameter("modes_old_public").check(getattr(self, mode), mode)
        total = self.fixed + self.shared + self.public
        if abs(total - 1.0) > 1e-9:
            raise bad_value("mix", round(total, 6), "shares of fixed, shared, public summing to 1")


def mode_mix(site: Any, mix: Any = "report") -> ModeMix:
    """The mode shares of a site (module docstring).

    Parameters
    ----------
    site
        A residential community (an office park charges at fixed piles only).
    mix
        ``report`` (the report's order by community type), ``fixed-only``, a :class:`ModeMix`
        or a mapping ``{fixed, shared, public}``.

    Raises
    ------
    InputError
        An unknown name, shares that do not sum to 1, or ``report`` for a community whose type
        is unknown (give ``type`` or ``built``).
    """
    if isinstance(mix, ModeMix):
        return mix
    if isinstance(mix, Mapping):
        unknown = set(mix) - set(MODES)
        if unknown:
            raise bad_value("mix", sorted(unknown)[0], "fixed, shared, public")
        fixed, shared, public = (float(mix.get(m, 0.0)) for m in MODES)
        return ModeMix(fixed, shared, public, name="given")
    if mix == "fixed-only" or getattr(site, "kind", "") == "office":
        return ModeMix(1.0, 0.0, 0.0, name="fixed-only")
    if mix != "report":
        raise bad_value("mix", mix, "one of report, fixed-only, or shares by mode")
    return report_mix(community_kind(site))


def report_mix(kind: str) -> ModeMix:
    """The report's order for a community type (``old``, ``sub-new``, ``new``) as the stated
    default shares (parameters ``modes_<type>_*``, report 6)."""
    key = kind.replace("-", "_")
    fixed, shared, public = (float(parameter(f"modes_{key}_{m}").value) for m in MODES)
    return ModeMix(fixed, shared, public, name=f"report ({kind})")


def community_kind(site: Any) -> str:
    """The community's type (old, sub-new, new) from ``type`` or ``built`` (report 3.1)."""
    from evgrid.planning.index import community_type

    kind = community_type(
        site,
        parameter("study_year").value,
        parameter("old_built_before").value,
        parameter("new_within_years").value,
    )
    if kind is None:
        raise bad_value(
            f"{site.name}: type", None, "a community type or a build year (the report's mode mix)"
        )
    return str(kind)


@dataclass(frozen=True)
class ModeCounts:
    """Cars by mode [-].

    Parameters
    ----------
    cars, evs, evs_with_space
        Private cars, electric cars, electric cars with a parking space [-].
    fixed, shared, public, unserved
        Electric cars by mode, and those with none (``fixed-only`` only) [-].
    shared_piles
        Shared piles [-].
    """

    cars: int
    evs: int
    evs_with_space: int
    fixed: int
    shared: int
    public: int
    unserved: int
    shared_piles: int

    def shares(self) -> dict[str, float]:
        """Share of the electric cars in each mode, and unserved [-]."""
        n = max(self.evs, 1)
        return {
            "fixed": self.fixed / n,
            "shared": self.shared / n,
            "public": self.public / n,
            "unserved": self.unserved / n,
        }


def count_modes(
    site: Any, ev_share: float, mix: ModeMix, *, cars_per_household: float | None = None
) -> ModeCounts:
    """Cars by mode at an EV share (module docstring).

    Parameters
    ----------
    site
        The community.
    ev_share
        Share of private cars that are electric [-].
    mix
        The mode shares.
    cars_per_household
        Private cars per household [-]; default the parameter.
    """
    share = parameter("ev_share_2025_medium").check(ev_share, "ev_share")
    per_household = parameter("cars_per_household").resolve(cars_per_household)
    per_space = parameter("cars_per_space").value
    households = int(getattr(site, "households", 0) or 0)
    spaces = int(site.parking_spaces)
    cars = round(households * per_household) if households else round(spaces * per_space)
    with_space = min(round(spaces * per_space), cars)
    evs = round(share * cars)
    evs_space = round(evs * with_space / cars) if cars else 0
    if mix.name == "fixed-only":
        return ModeCounts(cars, evs, evs_space, evs_space, 0, 0, evs - evs_space, 0)
    fixed = min(round(mix.fixed * evs), evs_space)
    shared = min(round(mix.shared * evs), evs - fixed)
    public = evs - fixed - shared
    if mix.public == 0 and public > 0:  # no hub in the mix: the rest share piles
        shared, public = shared + public, 0
    piles = math.ceil(shared / parameter("shared_cars_per_pile").value) if shared else 0
    return ModeCounts(cars, evs, evs_space, fixed, shared, public, 0, piles)

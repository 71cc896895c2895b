"""Hosting with a site's low-voltage network: the network's answer beside the transformer's.

A community may name its low-voltage network (a site document's ``network``: a bundled area or a
network file, docs/network.md). Hosting then runs the network study
(:func:`evgrid.network.study.network`) for the strategies of the transformer's results and
attaches to each result what the network hosts (:class:`~evgrid.planning.result.NetworkLimit`);
the recommendation is the smaller of the two and says what binds (``cable LV-B7 phase b``).

* **Strategies**: the index tier's ``orderly`` is valley filling in the network study, as in the
  time-series tier; any other strategy is itself; the participation is the results'.
* **Cars**: every parking space of the network gets a car of the behaviour given, else the
  design basis's residential behaviour (what the time-series tier samples), and the network
  study's pile ratio puts piles on a share of the spaces.
* **Households**: each of the network's households draws one household's share of the site's
  regular load on its day of highest peak: the measured curve, the measured peak and valley on
  the typical shape, or the planning index (the tiers' regular load,
  :func:`evgrid.planning.fleet.site_base_kw`); the seasons of the design basis are not modelled
  in the network.
* **The network's answer** is the largest pile ratio at which every limit of the network holds
  at every step of the basis's day (its band: on ``design`` the 95th-percentile day of the
  ``network_days`` Monte Carlo days, as the transformer's, :mod:`evgrid.network.study`), a share
  of the network's own parking spaces; the recommendation
  compares the two shares (a bundled area stands for the community's network as a typical one
  of its kind, whose spaces and households need not be the site's).
* **The study's extremes** (and its one-line diagram) are at the transformer's recommended pile
  ratio of the first result: what the network looks like at the transformer's answer.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from evgrid.errors import bad_value
from evgrid.planning.result import HostingResult, NetworkLimit
from evgrid.timegrid import FloatArray


def network_of(site: Any, network: Any = None) -> Any:
    """The network a hosting run judges: ``network`` as given (a
    :class:`~evgrid.network.model.Network`, a bundled area's name or a network file), the
    site's own (its document's ``network``, None if it names none) when True, none when None or
    False.

    Raises
    ------
    InputError
        A value that is none of these.
    """
    if network is None or network is False:
        return None
    if network is True:
        return getattr(site, "network", None)
    from evgrid.network.model import Network

    if isinstance(network, Network | Path) or (isinstance(network, str) and network.strip()):
        return network
    raise bad_value(
        "network",
        network,
        "a Network, a bundled area's name or a network file; True for the site's own, "
        "None or False for the transformer alone",
    )


def network_strategy(result: HostingResult) -> str:
    """The network study's strategy of a result: the index tier's ``orderly`` is valley
    filling, as in the time-series tier."""
    if result.method == "index" and result.strategy == "orderly":
        return "valley-filling"
    return result.strategy


def household_day_kw(site: Any) -> FloatArray:
    """One household's regular load over the day of the site's highest peak ``(96,)`` [kW]:
    the site's regular load as the hosting tiers take it
    (:func:`evgrid.planning.fleet.site_base_kw`: a measured curve, measured peak and valley on
    the typical shape, or the planning index) divided by its households."""
    from evgrid.params import default
    from evgrid.planning.fleet import site_base_kw
    from evgrid.timegrid import TimeGrid

    n_days = 1
    if site.load_curve is not None:
        from evgrid.load.measured import site_load_curve

        n_days = int(site_load_curve(site).n_days)
    grid = TimeGrid(slot_min=float(default("slot_min")), n_days=n_days)
    kw, _ = site_base_kw(site, grid, warmup_days=0, cooldown_days=0)
    days = np.asarray(kw, dtype=np.float64).reshape(n_days, -1)
    peak_day = days[int(np.argmax(days.max(axis=1)))]
    return np.ascontiguousarray(peak_day / float(site.households))


def network_study(
    site: Any,
    results: Sequence[HostingResult],
    *,
    network: Any,
    days: int | None = None,
    seed: Any = None,
    behaviour: Any = None,
    basis: Any = None,
) -> Any:
    """The network study of a site for the strategies of its transformer results (module
    docstring).

    Parameters
    ----------
    site
        A residential community.
    results
        Its transformer results (one site, one participation).
    network
        The network (:func:`network_of`).
    days
        Monte Carlo days of the network study [day]; default the parameter ``network_days``.
    seed
        Seed or generator; default the parameter ``seed``.
    behaviour
        Behaviour preset, file or object; default the basis's residential behaviour.
    basis
        The design basis (default the parameter ``basis``).

    Returns
    -------
    evgrid.network.study.NetworkResult

    Raises
    ------
    InputError
        An office park (its network is not modelled), an unreadable network, a bad value.
    """
    from evgrid.network.study import network as study
    from evgrid.planning.basis import load_basis

    if site.kind != "residential":
        raise bad_value(
            "network", str(network), "a residential community's network (office parks: not built)"
        )
    if not results:
        raise bad_value("results", [], "one or more transformer results of the site")
    names = tuple(dict.fromkeys(network_strategy(r) for r in results))
    shares = {r.participation for r in results if network_strategy(r) != "uncontrolled"}
    chosen = behaviour if behaviour is not None else load_basis(basis).behaviour("residential")
    at = min(max(float(results[0].recommended_pile_ratio), 0.0), 1.0)
    return study(
        network,
        days=days,
        seed=seed,
        strategy=names[0],
        ev_share=at,
        behaviour=chosen,
        strategies=names,
        household_day_kw=household_day_kw(site),
        participation=min(shares) if shares else 1.0,
        band=load_basis(basis).band,
    )


def with_network(results: Sequence[HostingResult], study: Any) -> list[HostingResult]:
    """Each result with what the network hosts under its strategy attached
    (:attr:`HostingResult.network`): its recommendation becomes the smaller of the two."""
    spaces = int(np.asarray(study.net.spaces).sum()) if study.net is not None else 0
    out = []
    for r in results:
        name = network_strategy(r)
        found = study.hosting[name]
        limit = NetworkLimit(
            network=study.network,
            strategy=name,
            pile_ratio=float(found.pile_ratio),
            n_piles=int(found.n_piles),
            n_spaces=spaces,
            element=found.binding.element,
            kind=found.binding.kind,
            utilisation=float(found.binding.utilisation),
            days=int(study.request["days"]),
            study=study,
        )
        out.append(dataclasses.replace(r, network=limit))
    return out


__all__ = ["household_day_kw", "network_of", "network_strategy", "network_study", "with_network"]

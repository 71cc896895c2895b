"""``evgrid network NETWORK``: a low-voltage area's three-phase power flow, limits and hosting."""

from __future__ import annotations

import typer

from evgrid.cli.app import command
from evgrid.cli.common import default_of, print_json, print_table, spinner


@command("network")
def network_cmd(
    network: str = typer.Argument(
        ...,
        help="Network file (evgrid YAML/JSON, power-grid-model or pandapower JSON) or a bundled "
        "name: ieee-eu-lv, cn-residential-old, cn-residential-sub-new, cn-residential-new, "
        "cn-feeder-4x25.",
    ),
    days: int | None = typer.Option(
        None, "--days", help=f"Monte Carlo days [day] {default_of('network_days')}."
    ),
    seed: int | None = typer.Option(None, "--seed", help=f"Random seed {default_of('seed')}."),
    strategy: str = typer.Option(
        "uncontrolled",
        "--strategy",
        help="Strategy at the study's pile ratio: a charging strategy or network-valley-filling.",
    ),
    ev_share: float | None = typer.Option(
        None,
        "--ev-share",
        help="Share of the parking spaces with a pile and a car [0-1]; default the network's "
        f"own piles, else {default_of('network_pile_ratio').strip('()')}.",
    ),
    symmetric: bool = typer.Option(
        False, "--symmetric", help="Balanced calculation (each bus's load split over its phases)."
    ),
    hosting: str = typer.Option(
        "uncontrolled,valley-filling,network-valley-filling",
        "--hosting",
        help="Strategies whose hosting capacity is searched, comma separated ('' for none).",
    ),
    as_json: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Three-phase power flow of a low-voltage area over Monte Carlo days: voltages, loadings,
    unbalance, what binds, and the hosting capacity per strategy."""
    from evgrid.network.study import network as study
    from evgrid.report.tables import Table

    names = tuple(s.strip() for s in hosting.split(",") if s.strip())
    with spinner(f"network {network}: power flow and hosting"):
        result = study(
            network,
            days=days,
            seed=seed,
            strategy=strategy,
            ev_share=ev_share,
            symmetric=symmetric,
            strategies=names,
        )
    doc = result.to_dict()
    if as_json:
        print_json(doc)
        return
    rows = [
        ["lowest voltage", f"{doc['min_voltage_pu']:.4f} pu"],
        ["highest cable loading", f"{doc['max_cable_loading_pu']:.3f} pu"],
        ["highest transformer loading", f"{doc['max_transformer_loading_pu']:.3f} pu"],
        ["highest voltage unbalance", f"{doc['max_voltage_unbalance_pct']:.2f} %"],
        ["binds first", f"{doc['binding']['element']} ({doc['binding']['kind']})"],
        *[[f"hosting, {k}", f"{v:.0%} of spaces"] for k, v in doc["hosting"].items()],
    ]
    print_table(Table(f"{doc['network']}: {doc['n_piles']} piles, {strategy}", ["", ""], rows))

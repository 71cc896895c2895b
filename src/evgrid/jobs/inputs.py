"""The inputs a request reads, taken as a path, a document or the object itself.

Each function is an :class:`~evgrid.jobs.fields.Option`'s ``load``: it turns what a caller
gives into the object the job uses, refusing anything else with an
:class:`~evgrid.errors.InputError` that names the option.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from evgrid.errors import bad_value

SITE_SUFFIXES = (".yaml", ".yml", ".json")
SESSION_SUFFIXES = (".csv", ".parquet", ".pq")
CURVE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")
TABLE_SUFFIXES = (".csv", ".xlsx", ".parquet")


def site_input(value: Any) -> Any:
    """A site: a :class:`~evgrid.grid.site.ResidentialSite` or
    :class:`~evgrid.grid.site.OfficeSite` as it is, a site document's path
    (:func:`evgrid.load_site`) or its fields (:func:`evgrid.parse_site`), or a report case
    (``"B"``, :func:`evgrid.report_cases`)."""
    from evgrid.grid.site import CASE_NAMES, OfficeSite, ResidentialSite, load_site, parse_site

    if isinstance(value, ResidentialSite | OfficeSite):
        return value
    if isinstance(value, str) and value in CASE_NAMES:
        from evgrid.grid.site import report_cases

        return report_cases()[value]
    if isinstance(value, str | Path):
        return load_site(value)
    if isinstance(value, Mapping):
        return parse_site(dict(value), where="site")
    raise bad_value(
        "site", value, "a site (evgrid.load_site), a site document's path or fields, or a case"
    )


def site_echo(site: Any) -> dict[str, Any]:
    """A site as the request's JSON shows it: its document's fields (a curve by file name)."""
    fields: dict[str, Any] = {}
    for key, value in vars(site).items():
        if value is None:
            continue
        fields[key] = value.name if isinstance(value, Path) else value
    return fields


def sessions_input(value: Any) -> Any:
    """Charging sessions: a :class:`~evgrid.sessions.Sessions` as it is, or a session file's
    path (:func:`evgrid.read_sessions`)."""
    from evgrid.sessions import Sessions

    if isinstance(value, Sessions):
        return value
    if isinstance(value, str | Path):
        from evgrid.demand.io import read_sessions

        return read_sessions(value)
    raise bad_value("sessions", value, "sessions (evgrid.Sessions) or a session file's path")


def sessions_echo(sessions: Any) -> str:
    """Sessions as the request's JSON shows them: how many."""
    return f"{len(sessions)} sessions"

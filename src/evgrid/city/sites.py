"""Site tables of a city: one row per site, the site document's fields as columns.

A table is a CSV, Excel (``.xlsx``) or Parquet file whose columns are the fields of a site
document (``evgrid/data/site_fields.csv``: ``kind``, ``name``, ``built`` or ``type``,
``households``, ``parking_spaces``, ``transformer_kva``, ``regular_peak_kw``, …), plus an
optional ``id`` (unique; default the ``name``). The ``load_curve`` column may name a measured
curve, relative to the table's folder; a table sent to the web app names instead the curves sent
with it (``curve_files``), and no path it gives is opened. Empty cells are fields not given.

Every row is checked on its own: a bad row is reported as (row, field, value, message) and the
good rows go on. Rows are numbered as a spreadsheet shows them: the header is row 1, the first
site row 2.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evgrid.errors import InputError
from evgrid.grid.site import Site, parse_site
from evgrid.params import site_fields

TABLE_SUFFIXES = (".csv", ".xlsx", ".parquet")
ID_COLUMN = "id"
FIRST_ROW = 2
"""Row number of the first site (the header is row 1) [-]."""


@dataclass(frozen=True)
class RowError:
    """A refused row: its number, the field, the value as written and the one-line message."""

    row: int
    field: str
    value: str
    message: str


@dataclass(frozen=True)
class SiteRows:
    """The good sites of a table and the refused rows.

    Parameters
    ----------
    rows
        Row number of each good site [-].
    ids
        Unique id of each good site.
    sites
        The validated sites.
    errors
        The refused rows.
    n_rows
        Rows read [-].
    """

    rows: list[int]
    ids: list[str]
    sites: list[Site]
    errors: list[RowError]
    n_rows: int


def _records(path: Path) -> list[dict[str, Any]]:
    import pandas as pd

    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise InputError(
            f"{path}: file type {suffix or '(none)'!r}; allowed: .csv, .xlsx, .parquet"
        )
    if not path.is_file():
        raise InputError(f"{path}: file not found")
    try:
        if suffix == ".csv":
            table = pd.read_csv(path, dtype=str, keep_default_na=False, skipinitialspace=True)
        elif suffix == ".xlsx":
            table = pd.read_excel(path, engine="openpyxl", dtype=object)
        else:
            table = pd.read_parquet(path)
    except (ValueError, OSError, ImportError, pd.errors.ParserError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise InputError(f"{path}: cannot read the site table: {first}") from None
    table.columns = [str(c).strip() for c in table.columns]
    allowed = {ID_COLUMN, *site_fields()}
    unknown = [c for c in table.columns if c not in allowed]
    if unknown:
        raise InputError(
            f"{path}: unknown column {unknown[0]!r}; allowed columns: {', '.join(sorted(allowed))}"
        )
    records: list[dict[str, Any]] = table.to_dict(orient="records")
    return records


def _cell(value: Any, numeric: bool) -> Any:
    """A table cell as a site-document value: None when empty, numbers from numeric text."""
    if value is None or type(value).__name__ in ("NAType", "NaTType"):
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()  # numpy scalar
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        if numeric:
            try:
                number = float(text)
            except ValueError:
                return text
            return int(number) if number.is_integer() and "." not in text else number
        return text
    if numeric and isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _first_bad_field(data: dict[str, Any], where: str) -> tuple[str, str] | None:
    """The first field whose value its spec refuses, as (field, value)."""
    specs = site_fields()
    for name, value in data.items():
        if name in specs and name != "load_curve":
            try:
                specs[name].check(value, where)
            except InputError:
                return name, str(value)
    return None


def read_sites(
    path: str | Path,
    *,
    require_type: bool = True,
    curve_files: Mapping[str, Path] | None = None,
) -> SiteRows:
    """Read and check a city's site table, row by row.

    Parameters
    ----------
    path
        CSV, Excel or Parquet file.
    require_type
        Refuse a community with neither ``type`` nor ``built`` (a scenario grows cars and load
        by community type).
    curve_files
        The curves sent with the table, by the sender's file name (:func:`evgrid.parse_site`):
        a ``load_curve`` cell must name one of them, and no path a cell gives is opened. None:
        ``load_curve`` names a file relative to the table's folder.

    Returns
    -------
    SiteRows

    Raises
    ------
    InputError
        An unreadable file, an unknown column (the table as a whole); bad rows are not raised
        but listed in :attr:`SiteRows.errors`.
    """
    file = Path(path)
    records = _records(file)
    specs = site_fields()
    numeric = {n for n, s in specs.items() if s.allowed.lstrip().startswith(("(", "[", "integer"))}
    good = SiteRows([], [], [], [], len(records))
    seen: dict[str, int] = {}
    for i, raw in enumerate(records):
        row = FIRST_ROW + i
        where = f"{file.name} row {row}"
        data = {k: _cell(v, k in numeric) for k, v in raw.items()}
        site_id = data.pop(ID_COLUMN, None)
        data = {k: v for k, v in data.items() if v is not None}
        try:
            site = parse_site(data, where=where, base_dir=file.parent, curve_files=curve_files)
        except InputError as exc:
            bad = _first_bad_field(data, where)
            field, value = bad if bad is not None else _field_of(str(exc), data)
            good.errors.append(RowError(row, field, value, str(exc)))
            continue
        if require_type and site.kind == "residential" and site.type is None and site.built is None:
            good.errors.append(
                RowError(
                    row,
                    "type",
                    "",
                    f"{where}: type: missing; required: old, sub-new or new, "
                    "or a build year (built), since a scenario grows cars and load by type",
                )
            )
            continue
        key = str(site_id if site_id is not None else site.name)
        if key in seen:
            good.errors.append(
                RowError(
                    row,
                    ID_COLUMN,
                    key,
                    f"{where}: id: got {key!r}; allowed: a unique id (row {seen[key]} has it)",
                )
            )
            continue
        seen[key] = row
        good.rows.append(row)
        good.ids.append(key)
        good.sites.append(site)
    return good


def _field_of(message: str, data: dict[str, Any]) -> tuple[str, str]:
    """(field, value) named by a parse message ``WHERE: FIELD: ...``, else the whole row."""
    parts = [p.strip() for p in message.split(":")]
    for part in parts[1:3]:
        if part in site_fields() or part.startswith("unknown key"):
            name = part.split("'")[1] if part.startswith("unknown key") else part
            return name, str(data.get(name, ""))
    return "(row)", ""


def file_digest(path: str | Path) -> str:
    """SHA-256 of a file's bytes (a resumed run must read the same table)."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()

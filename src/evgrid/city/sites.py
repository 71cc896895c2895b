"""Site tables of a city: one row per site, the site document's fields as columns.

A table is a CSV (UTF-8, UTF-16 with a byte-order mark, or GB18030/GBK as Chinese Excel saves
it), Excel (``.xlsx``/``.xlsm``, first sheet) or Parquet file whose columns are the fields of a
site document (``evgrid/data/site_fields.csv``: ``kind``, ``name``, ``built`` or ``type``,
``households``, ``parking_spaces``, ``transformer_kva``, ``regular_peak_kw``, …), plus an
optional ``id`` (unique; default the ``name``). It is read by the strict table reader
(:func:`evgrid.io.read_table`): numbers are ASCII numbers (``1_000``, ``６２０`` and ``nan`` are
not), a Parquet NaN is not an empty cell, a formula cell must have a saved value. The
``load_curve`` column may name a measured curve, relative to the table's folder; a table sent to
the web app names instead the curves sent with it (``curve_files``), and no path it gives is
opened. The ``network`` column may name a site's low-voltage network: a bundled area, or a
network file relative to the table's folder (from the web app: one of the network files sent
with it, ``network_files``). Empty cells are fields not given.

Every row is checked on its own: a bad row -- a bad value, a field too many or too few, a curve
that cannot be read -- is reported as (row, field, value, message) and the good rows go on. Rows
are numbered as a spreadsheet shows them: the header is row 1, the first site row 2; a blank
line is skipped and counted.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from evgrid.errors import InputError, bad_value
from evgrid.grid.site import Site, parse_site
from evgrid.io import Table, number_of, read_table
from evgrid.io.tables import FORMULA_HINT
from evgrid.params import site_fields

TABLE_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".parquet", ".pq")
"""Extensions of a site table: CSV, Excel (first sheet) or Parquet."""
ID_COLUMN = "id"
FIRST_ROW = 2
"""Row number of the first site (the header is row 1) [-]."""
ROW_FIELD = "(row)"
"""The ``field`` of a refused row that no one field explains (a row with too many fields)."""


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
        The refused rows, by row number.
    n_rows
        Rows read [-] (blank lines not counted).
    """

    rows: list[int]
    ids: list[str]
    sites: list[Site]
    errors: list[RowError]
    n_rows: int


def _read(path: Path) -> Table:
    """The table, its header checked; rows with a wrong field count listed, blank lines skipped."""
    table = read_table(
        path,
        "site table",
        suffixes=TABLE_SUFFIXES,
        first_row=FIRST_ROW,
        skip_blank=True,
        ragged="list",
    )
    allowed = {ID_COLUMN, *site_fields()}
    unknown = [c for c in table.fields if c not in allowed]
    if unknown:
        raise bad_value(
            f"{path}: column {unknown[0]}",
            unknown[0],
            "the columns " + ", ".join(sorted(allowed)),
        )
    return table


def _numeric_fields() -> set[str]:
    specs = site_fields()
    return {n for n, s in specs.items() if s.allowed.lstrip().startswith(("(", "[", "integer"))}


def _cell(value: Any, numeric: bool) -> Any:
    """A table cell as a site-document value: None when empty, numbers from numeric text.

    Text is a number only as :func:`evgrid.io.number_of` reads it (ASCII digits, no ``1_000``,
    no ``nan``); other text stays text, for the field's check to refuse in its own words. A
    whole number written without a decimal point (``620``, ``6e2``) is an integer, and so is a
    whole float of a Parquet or Excel number column (a table does not tell ``620`` from
    ``620.0``); a NaN stays NaN and is refused, never read as empty.
    """
    if value is None:
        return None
    if isinstance(value, str):
        if not numeric:
            return value
        number = number_of(value)
        if number is None:
            return value
        return int(number) if number.is_integer() and "." not in value else number
    if numeric and isinstance(value, float) and math.isfinite(value) and value.is_integer():
        return int(value)
    return value


def _rows(table: Table) -> list[tuple[int, dict[str, Any], str | None]]:
    """Each data row as (row number, fields, formula field or None)."""
    numeric = _numeric_fields()
    columns = {f: table.values(f) for f in table.fields}
    formula_fields = {f for _line, f in table.formulas}
    out = []
    for i in range(table.n_rows):
        data = {f: _cell(columns[f][i], f in numeric) for f in table.fields}
        formula = next((f for f in formula_fields if table.is_formula(i, f)), None)
        out.append((table.row(i), data, formula))
    return out


def _first_bad_field(data: dict[str, Any], where: str) -> tuple[str, str] | None:
    """The first field whose value its spec refuses, as (field, value)."""
    specs = site_fields()
    for name, value in data.items():
        if name in specs and name not in ("load_curve", "network"):
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
    network_files: Mapping[str, Path] | None = None,
) -> SiteRows:
    """Read and check a city's site table, row by row.

    Parameters
    ----------
    path
        CSV (any encoding of :mod:`evgrid.io.text`: UTF-8, UTF-16 with a byte-order mark, or
        GB18030/GBK as Chinese Excel saves it), Excel (``.xlsx``/``.xlsm``, first sheet) or
        Parquet file.
    require_type
        Refuse a community with neither ``type`` nor ``built`` (a scenario grows cars and load
        by community type).
    curve_files
        The curves sent with the table, by the sender's file name (:func:`evgrid.parse_site`):
        a ``load_curve`` cell must name one of them, and no path a cell gives is opened. None:
        ``load_curve`` names a file relative to the table's folder.
    network_files
        The network files sent with the table, by the sender's file name: a ``network`` cell
        names a bundled area or one of them (:func:`evgrid.parse_site`). Either mapping given
        means no path a cell gives is opened.

    Returns
    -------
    SiteRows

    Raises
    ------
    InputError
        The table as a whole: an unreadable file, text in none of the encodings read, an
        unknown or repeated column, a column of lists or structures. A bad row is not raised
        but listed in :attr:`SiteRows.errors` with its row number: a bad value, a row with more
        or fewer fields than the header, a formula cell with no saved value, a ``load_curve``
        that is not a readable curve, a repeated id. Blank lines are skipped and counted, so
        rows keep the numbers a spreadsheet shows.
    """
    file = Path(path)
    table = _read(file)
    good = SiteRows([], [], [], [], table.n_rows + len(table.ragged))
    errors = [RowError(r.row, ROW_FIELD, r.text, r.message) for r in table.ragged]
    sent_as = {str(v): k for k, v in (curve_files or {}).items()}
    curves: dict[Path, str | None] = {}
    seen: dict[str, int] = {}
    for row, raw, formula in _rows(table):
        where = f"{file.name} row {row}"
        if formula is not None:
            message = bad_value(f"{where}, {formula}", raw[formula], "a value" + FORMULA_HINT)
            errors.append(RowError(row, formula, str(raw[formula]), str(message)))
            continue
        site_id = raw.pop(ID_COLUMN, None)
        data = {k: v for k, v in raw.items() if v is not None}
        try:
            site = parse_site(
                data,
                where=where,
                base_dir=file.parent,
                curve_files=curve_files,
                network_files=network_files,
            )
        except InputError as exc:
            bad = _first_bad_field(data, where)
            field, value = bad if bad is not None else _field_of(str(exc), data)
            errors.append(RowError(row, field, value, str(exc)))
            continue
        if site.load_curve is not None:
            problem = _curve_problem(site.load_curve, curves, sent_as)
            if problem is not None:
                shown = str(data.get("load_curve", ""))
                errors.append(RowError(row, "load_curve", shown, f"{where}: load_curve: {problem}"))
                continue
        if require_type and site.kind == "residential" and site.type is None and site.built is None:
            errors.append(
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
            errors.append(
                RowError(
                    row,
                    ID_COLUMN,
                    key,
                    str(bad_value(f"{where}: id", key, f"a unique id (row {seen[key]} has it)")),
                )
            )
            continue
        seen[key] = row
        good.rows.append(row)
        good.ids.append(key)
        good.sites.append(site)
    good.errors.extend(sorted(errors, key=lambda e: e.row))
    return good


def _curve_problem(
    path: Path, checked: dict[Path, str | None], sent_as: Mapping[str, str]
) -> str | None:
    """Why a site's measured curve cannot be used (read once per file), or None.

    A curve sent with the table is named by the sender's file name, never the server's path.
    """
    if path not in checked:
        from evgrid.load.measured import read_load_curve

        try:
            read_load_curve(path)
            checked[path] = None
        except InputError as exc:
            message = str(exc)
            for saved, name in sent_as.items():
                message = message.replace(saved, name)
            checked[path] = message
    return checked[path]


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

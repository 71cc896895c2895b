"""The strict input layer: every file evgrid reads goes through here.

* :func:`read_table` -- CSV, Excel or Parquet into a :class:`Table` of named columns, with
  :meth:`Table.numbers` (finite float64 arrays), :meth:`Table.text` and :meth:`Table.times`
  (ISO-8601 timestamps as local wall-clock time of a site's zone).
* :func:`read_document` / :func:`parse_document` -- YAML (1.2 number rules, bounded aliases) or
  JSON into Python mappings, with :func:`finite_number` for the numbers in them.
* :func:`read_bytes` -- a file's bytes, or one :class:`~evgrid.errors.InputError` line for
  every operating-system failure (missing file, folder, permission, symbolic-link loop).

Every refusal is one line, ``FILE row N, FIELD: got VALUE; allowed: WHAT [unit]``
(:func:`evgrid.errors.bad_value`). The rules are listed in ``docs/errors.md``, section
"Input files". This is a base-layer package: it imports nothing else from evgrid but
:mod:`evgrid.errors`. The CSV path needs numpy and ``pyarrow.csv`` only (never pandas); Excel
(openpyxl) and Parquet (``pyarrow.parquet``) are imported when such a file is read.
"""

from __future__ import annotations

from evgrid.io.documents import (
    MAX_DOCUMENT_BYTES,
    MAX_DOCUMENT_VALUES,
    finite_number,
    finite_numbers,
    parse_document,
    read_document,
)
from evgrid.io.files import check_file, read_bytes
from evgrid.io.tables import CSV_SUFFIXES, EXCEL_SUFFIXES, PARQUET_SUFFIXES, Table, read_table
from evgrid.io.times import DEFAULT_TZ, site_zone

__all__ = [
    "CSV_SUFFIXES",
    "DEFAULT_TZ",
    "EXCEL_SUFFIXES",
    "MAX_DOCUMENT_BYTES",
    "MAX_DOCUMENT_VALUES",
    "PARQUET_SUFFIXES",
    "Table",
    "check_file",
    "finite_number",
    "finite_numbers",
    "parse_document",
    "read_bytes",
    "read_document",
    "read_table",
    "site_zone",
]

"""The strict input layer: every file evgrid reads goes through here, and every table it writes.

* :func:`read_table` -- CSV, Excel or Parquet into a :class:`Table` of named columns, with
  :meth:`Table.numbers` (finite float64 arrays), :meth:`Table.text`, :meth:`Table.values` (cells
  for readers that check each row on its own) and :meth:`Table.times` (ISO-8601 timestamps as
  local wall-clock time of a site's zone).
* :func:`read_document` / :func:`document_from_bytes` / :func:`parse_document` -- YAML (1.2
  number rules, bounded aliases) or JSON into Python mappings, with :func:`finite_number` for the
  numbers in them.
* :func:`read_bytes` -- a file's bytes, or one :class:`~evgrid.errors.InputError` line for
  every operating-system failure (missing file, folder, permission, symbolic-link loop).
* :func:`decode` -- text in UTF-8, UTF-16/UTF-32 with a byte-order mark, or GB18030/GBK, by
  one deterministic rule (:mod:`evgrid.io.text`).
* :func:`load_series` -- a pandas Series with a DatetimeIndex as evenly spaced slots of the
  site's wall clock (:mod:`evgrid.io.series`).
* :func:`write_table` / :func:`write_json` -- atomic Parquet, CSV, Excel and JSON files that
  refuse non-finite numbers (:mod:`evgrid.io.writers`).

Every refusal is one line, ``FILE row N, FIELD: got VALUE; allowed: WHAT [unit]``
(:func:`evgrid.errors.bad_value`). The rules are listed in ``docs/errors.md``, section
"Input files". This is a base-layer package: it imports nothing else from evgrid but
:mod:`evgrid.errors` and :mod:`evgrid.fileio`. The CSV path needs numpy and ``pyarrow.csv`` only
(never pandas); Excel (openpyxl) and Parquet (``pyarrow.parquet``) are imported when such a file
is read. Only this package imports ``yaml``, ``pyarrow.csv``, ``pyarrow.parquet`` and
``openpyxl``, and only it calls ``pandas.read_*`` (an import-linter contract and a test).
"""

from __future__ import annotations

from evgrid.io.documents import (
    MAX_DOCUMENT_BYTES,
    MAX_DOCUMENT_VALUES,
    document_from_bytes,
    finite_number,
    finite_numbers,
    parse_document,
    read_document,
)
from evgrid.io.files import as_path, check_file, read_bytes
from evgrid.io.tables import (
    CSV_SUFFIXES,
    EXCEL_SUFFIXES,
    PARQUET_SUFFIXES,
    RaggedRow,
    Table,
    number_of,
    read_table,
)
from evgrid.io.text import ENCODINGS, decode
from evgrid.io.times import DEFAULT_TZ, site_zone
from evgrid.io.writers import (
    dumps_json,
    parquet_rows,
    read_parquet_table,
    write_json,
    write_table,
)

__all__ = [
    "CSV_SUFFIXES",
    "DEFAULT_TZ",
    "ENCODINGS",
    "EXCEL_SUFFIXES",
    "MAX_DOCUMENT_BYTES",
    "MAX_DOCUMENT_VALUES",
    "PARQUET_SUFFIXES",
    "RaggedRow",
    "Table",
    "as_path",
    "check_file",
    "decode",
    "document_from_bytes",
    "dumps_json",
    "finite_number",
    "finite_numbers",
    "number_of",
    "parquet_rows",
    "parse_document",
    "read_bytes",
    "read_document",
    "read_parquet_table",
    "read_table",
    "site_zone",
    "write_json",
    "write_table",
]

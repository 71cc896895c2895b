"""One reader layer with no way around it: outside ``evgrid.io`` no module imports the YAML,
Excel, CSV or Parquet readers of pyarrow, nor calls pandas' readers and writers.

import-linter (``pyproject.toml``) forbids ``yaml`` and ``openpyxl``; it can name external
packages by their top-level name only, so this test reads the source for the rest.
"""

from __future__ import annotations

import ast
from pathlib import Path

import evgrid

SRC = Path(evgrid.__file__).parent
READER_MODULES = {"yaml", "openpyxl", "pyarrow.csv", "pyarrow.parquet"}
PANDAS_NAMES = {"pd", "pandas"}
WRITER_METHODS = {"to_parquet", "to_excel", "to_csv"}


def _offences(tree: ast.AST) -> list[str]:
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found += [a.name for a in node.names if a.name in READER_MODULES]
        elif isinstance(node, ast.ImportFrom) and node.module:
            if node.module in READER_MODULES:
                found.append(node.module)
            elif node.module == "pyarrow":
                found += [f"pyarrow.{a.name}" for a in node.names if a.name in ("csv", "parquet")]
        elif isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
            name, owner = node.func.attr, node.func.value
            if (
                name.startswith("read_")
                and isinstance(owner, ast.Name)
                and owner.id in PANDAS_NAMES
            ):
                found.append(f"{owner.id}.{name}()")
            elif name in WRITER_METHODS:
                found.append(f".{name}()")
    return found


def test_the_checker_finds_each_kind_of_bypass() -> None:
    source = (
        "import yaml\nfrom pyarrow import parquet\nimport pyarrow.csv as c\n"
        "import pandas as pd\npd.read_excel('x')\nframe.to_parquet('y')\n"
    )
    assert _offences(ast.parse(source)) == [
        "yaml", "pyarrow.parquet", "pyarrow.csv", "pd.read_excel()", ".to_parquet()",
    ]  # fmt: skip


def test_no_module_outside_evgrid_io_reads_or_writes_files_around_it() -> None:
    offences = {}
    for path in sorted(SRC.rglob("*.py")):
        if path.is_relative_to(SRC / "io"):
            continue
        found = _offences(ast.parse(path.read_text(encoding="utf-8")))
        if found:
            offences[str(path.relative_to(SRC))] = found
    assert offences == {}

"""What the commands share: option choices, output checks, rendering of tables and JSON.

Choices are enums built from the library's own registries (strategies, criteria, languages), so
``--help`` lists them and a bad choice is refused by the command-line parser in one line.
"""

from __future__ import annotations

import json
import sys
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Any

import typer

from evgrid.charging.strategies import strategy_names
from evgrid.errors import bad_value
from evgrid.params import parameter

if TYPE_CHECKING:
    from evgrid.report.tables import Table


def _choices(name: str, values: list[str]) -> type[Enum]:
    return Enum(name, {v: v for v in values}, type=str)  # type: ignore[return-value]


StrategyChoice = _choices("StrategyChoice", list(strategy_names(aliases=True)))
"""``--strategy``: every registered strategy and alias."""
Method = _choices("Method", ["index", "timeseries"])
Criterion = _choices("Criterion", ["loading", "hotspot", "ageing"])
Lang = _choices("Lang", ["en", "zh"])


def default_of(name: str) -> str:
    """``(default VALUE)`` of a parameter, for an option's help text."""
    return f"(default {parameter(name).value_text()})"


def value(choice: Enum | None) -> Any:
    """The plain value of an enum option (None stays None)."""
    return None if choice is None else choice.value


def check_out_dir(out: Path) -> None:
    """InputError unless ``out`` is a directory or can be created as one."""
    if out.exists() and not out.is_dir():
        raise bad_value("--out", str(out), "a directory (this path is a file)")
    for parent in out.parents:
        if parent.exists() and not parent.is_dir():
            raise bad_value("--out", str(out), f"a directory ({parent} is a file)")


def check_out_file(out: Path, suffixes: tuple[str, ...], *inputs: Path | None) -> None:
    """InputError unless ``out`` has one of ``suffixes`` and is none of the input files."""
    if out.suffix.lower() not in suffixes:
        raise bad_value("--out", str(out), "a " + " or ".join(suffixes) + " file")
    for given in inputs:
        if given is not None and out.resolve() == given.resolve():
            raise bad_value("--out", str(out), f"a file other than the input {given}")
    if out.is_dir():
        raise bad_value("--out", str(out), "a file (this path is a directory)")


def print_json(doc: Any) -> None:
    """One JSON document on stdout (UTF-8, indented)."""
    typer.echo(json.dumps(doc, ensure_ascii=False, indent=2))


def print_table(table: Table) -> None:
    """A plain :class:`~evgrid.report.tables.Table` on stdout; no cell is ever cut.

    Piped or redirected, the table is as wide as it needs. On a terminal narrower than the
    table, its columns are folded: each row becomes a block of ``column: value`` lines.
    """
    import sys

    from rich.cells import cell_len
    from rich.console import Console
    from rich.table import Table as RichTable
    from rich.text import Text

    columns = list(zip(table.header, *table.rows, strict=False)) if table.rows else []
    widths = [max(cell_len(str(c)) for c in col) for col in columns]
    natural = sum(widths) + 3 * len(widths) + 1
    tty = sys.stdout.isatty()
    console = Console(width=None if tty else max(natural, cell_len(table.title), 80))
    if natural > console.width:
        console.print(table.title, style="italic", soft_wrap=True, markup=False)
        for row in table.rows:
            for name, cell in zip(table.header, row, strict=False):
                console.print(f"  {name}: {cell}", soft_wrap=True, highlight=False, markup=False)
            console.print("")
        return
    rich_table = RichTable(title=Text(table.title))  # text, not markup: "[kW]" is a unit
    for column in table.header:
        rich_table.add_column(Text(column), no_wrap=True)
    for row in table.rows:
        rich_table.add_row(*(Text(str(cell)) for cell in row))
    console.print(rich_table)


def print_answer(answer: Any, *, as_json: bool, out: Path | None, lang: str) -> None:
    """Show a job's answer: its HTML report in ``out`` (if given), then its JSON envelope or
    its tables and sentences."""
    from evgrid.fileio import write_text_atomic
    from evgrid.report.html import REPORT_FILE

    if out is not None:
        write_text_atomic(out / REPORT_FILE, answer.html(lang))
    if as_json:
        print_json(answer.to_dict())
        return
    for table in answer.tables(lang):
        print_table(table)
    for line in answer.lines(lang):
        typer.echo(line)
    if out is not None:
        typer.echo(f"HTML report: {out / REPORT_FILE}")


class _NoSpinner:
    """What :func:`spinner` gives when stderr is not a terminal: ``update`` does nothing."""

    def __enter__(self) -> _NoSpinner:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, *args: Any, **kwargs: Any) -> None:
        """Nothing to show."""


def spinner(text: str) -> Any:
    """A spinner on stderr while the library works, with rich's ``update(text)`` (nothing
    when stderr is not a terminal: rich, about 0.02 s to import, is then not imported)."""
    if not sys.stderr.isatty():
        return _NoSpinner()
    from rich.console import Console

    return Console(stderr=True).status(text)

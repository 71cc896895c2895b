"""The parameter table: every default number of evgrid, defined once, with unit, range and source.

``evgrid/data/parameters.csv`` holds one row per parameter: name, value, unit, allowed range,
basis and source. The basis says where a value comes from:

* ``published`` — printed in the report (cited by its section) or in a named public source;
* ``implied`` — follows from the report's own printed numbers by arithmetic (9 kWh / 1.8 kW = 5 h);
* ``calibrated`` — chosen so that the model reproduces the report's published results;
* ``standard`` — from a standard, cited by its clause or table;
* ``assumed`` — an evgrid assumption, stated as one.

Parameter objects (:class:`evgrid.planning.assumptions.ResidentialAssumptions`, the behaviour, the
transformer, run options) take their defaults from here and validate every value against the
same row, so the library, the CLI and the HTTP API refuse a bad value with the same words. Input
documents (site files) are validated by the same :class:`Spec` mechanism
(``evgrid/data/site_fields.csv``).

The ``allowed`` column is one of

* an interval, ``(0, 2]`` or ``[0, inf)`` — a real number (not a boolean, finite);
* ``integer`` and an interval, ``integer [1, inf)`` — a whole number;
* ``one of: a, b, c`` — one of the words;
* ``true or false`` — a boolean;
* ``text`` — a non-empty text.

A value may be a mapping from year to value, written ``2025: 0.25; 2030: 0.47``; ``allowed``
then applies to each value.
"""

from __future__ import annotations

import csv
import dataclasses
import functools
import math
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from importlib import resources
from types import MappingProxyType
from typing import Any

from evgrid.errors import InputError, bad_value, shown

BASES = ("published", "implied", "calibrated", "standard", "assumed")
"""Where a parameter's value comes from (see the module docstring)."""

_INTERVAL = re.compile(r"^(integer\s+)?([\[(])\s*(\S+)\s*,\s*(\S+)\s*([\])])$")


@dataclass(frozen=True)
class Spec:
    """What a value must be: its unit, allowed range and meaning.

    Parameters
    ----------
    name
        Field or parameter name (units in the name: ``loading_limit_pu``).
    unit
        Unit shown in messages, ``-`` for a pure number.
    allowed
        The allowed values in the grammar of the module docstring.
    meaning
        One line saying what the value is.
    """

    name: str
    unit: str
    allowed: str
    meaning: str = ""

    @functools.cached_property
    def _rule(self) -> tuple[str, Any]:
        text = self.allowed.strip()
        if text == "true or false":
            return "bool", None
        if text == "text":
            return "text", None
        if text.startswith("one of:"):
            return "choice", tuple(w.strip() for w in text[len("one of:") :].split(","))
        m = _INTERVAL.match(text)
        if not m:
            raise ValueError(f"parameter table: {self.name}: cannot read allowed {text!r}")
        integer, lo_bracket, lo, hi, hi_bracket = m.groups()
        bounds = (float(lo), lo_bracket == "[", float(hi), hi_bracket == "]")
        return ("integer" if integer else "number"), bounds

    def describe(self) -> str:
        """What is allowed, in words, with the unit: ``a number in (0, 2] [pu]``."""
        kind, arg = self._rule
        unit = "" if self.unit in ("", "-") else f" [{self.unit}]"
        if kind == "bool":
            return "true or false"
        if kind == "text":
            return "a text"
        if kind == "choice":
            return "one of " + ", ".join(arg)
        lo, lo_closed, hi, hi_closed = arg
        noun = "a whole number" if kind == "integer" else "a number"
        if math.isinf(hi):
            noun = noun if kind == "integer" else "a finite number"
            return f"{noun} {'>=' if lo_closed else '>'} {lo:g}{unit}"
        return (
            f"{noun} in {'[' if lo_closed else '('}{lo:g}, {hi:g}{']' if hi_closed else ')'}{unit}"
        )

    def check(self, value: Any, where: str | None = None) -> Any:
        """Return ``value`` (a number as ``float``, a whole number as ``int``) if allowed.

        Parameters
        ----------
        value
            The value to check; for a parameter whose default is a mapping by year, a mapping
            checks each of its values (any other spec refuses a mapping).
        where
            What holds the value in the message (a file and field, a CLI option); default the
            name.

        Raises
        ------
        InputError
            ``WHERE: got VALUE; allowed: WHAT [unit]``, one line.
        """
        if isinstance(value, Mapping) and isinstance(getattr(self, "value", None), Mapping):
            # values by year, for a parameter whose default is given by year; any other spec
            # refuses a mapping below (a site field given as {a: 620})
            return MappingProxyType({k: self.check(v, where) for k, v in value.items()})
        kind, arg = self._rule
        label = where or self.name
        if kind == "bool":
            if isinstance(value, bool):
                return value
        elif kind == "text":
            if isinstance(value, str) and value.strip():
                return value
        elif kind == "choice":
            if isinstance(value, str) and value in arg:
                return value
        elif _is_number(value, integer=kind == "integer"):
            try:
                number = float(value)
            except OverflowError:  # an integer beyond any float: outside every range
                number = math.inf
            lo, lo_closed, hi, hi_closed = arg
            inside = (number >= lo if lo_closed else number > lo) and (
                number <= hi if hi_closed else number < hi
            )
            if inside and math.isfinite(number):
                return int(value) if kind == "integer" else number
        unit = None if self.unit in ("", "-") else self.unit
        raise bad_value(label, value, self.describe(), unit)


def _is_number(value: Any, *, integer: bool) -> bool:
    """A real number (not a boolean); with ``integer``, a whole-number type (not ``2.0``)."""
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    return isinstance(value, numbers.Integral) if integer else True


@dataclass(frozen=True)
class Parameter(Spec):
    """A row of the parameter table: a :class:`Spec` with its default value and source.

    Parameters
    ----------
    value
        The default (a number, a boolean, a word, or a mapping year -> number).
    basis
        One of :data:`BASES`.
    source
        Report section, standard and clause, or publication and table.
    """

    value: Any = None
    basis: str = "assumed"
    source: str = ""

    def resolve(self, value: Any = None, where: str | None = None) -> Any:
        """``value`` checked (see :meth:`Spec.check`), or the default when ``value`` is None."""
        return self.value if value is None else self.check(value, where)

    def value_text(self) -> str:
        """The value as printed in tables: ``0.8``, ``true``, ``2025: 0.25; 2030: 0.47``."""
        return _value_text(self.value)


def _value_text(value: Any) -> str:
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, Mapping):
        return "; ".join(f"{k}: {_value_text(v)}" for k, v in value.items())
    if isinstance(value, float):
        return f"{value:g}"
    return str(value)


def _parse_value(text: str) -> Any:
    text = text.strip()
    if text in ("true", "false"):
        return text == "true"
    if (":" in text and ";" in text) or re.fullmatch(r"\d{4}\s*:\s*\S+", text):
        pairs = (item.split(":", 1) for item in text.split(";") if item.strip())
        return MappingProxyType({int(k): _parse_value(v) for k, v in pairs})
    try:
        number = float(text)
    except ValueError:
        return text
    return int(number) if re.fullmatch(r"-?\d+", text) else number


def _read_table(name: str, cls: type[Spec]) -> dict[str, Any]:
    path = resources.files("evgrid") / "data" / name
    rows = csv.DictReader(
        line for line in path.read_text("utf-8").splitlines() if not line.startswith("#")
    )
    table: dict[str, Any] = {}
    for row in rows:
        fields: dict[str, Any] = {k: (v or "").strip() for k, v in row.items() if k is not None}
        if cls is Parameter:
            fields["value"] = _parse_value(fields["value"])
        item = cls(**fields)
        if isinstance(item, Parameter):
            item.check(item.value)  # a default outside its own range is a table error
            if item.basis not in BASES:
                raise ValueError(f"{name}: {item.name}: basis {item.basis!r} not in {BASES}")
        table[item.name] = item
    return table


@functools.cache
def _parameters() -> Mapping[str, Parameter]:
    return MappingProxyType(_read_table("parameters.csv", Parameter))


class _Table(Mapping[str, Parameter]):
    """The parameter table as a read-only mapping, read on first use."""

    def __getitem__(self, name: str) -> Parameter:
        return _parameters()[name]

    def __iter__(self) -> Iterator[str]:
        return iter(_parameters())

    def __len__(self) -> int:
        return len(_parameters())


PARAMETERS: Mapping[str, Parameter] = _Table()
"""Every parameter by name (``evgrid/data/parameters.csv``)."""


class UnknownParameterError(InputError, KeyError):
    """A name that is not a row of the parameter table (an :class:`InputError` and, as a
    lookup by name, a ``KeyError``)."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


def parameter(name: str) -> Parameter:
    """The parameter called ``name``.

    Raises
    ------
    UnknownParameterError
        An :class:`~evgrid.errors.InputError` (and a ``KeyError``) naming the unknown name.
    """
    if not isinstance(name, str) or name not in _parameters():
        raise UnknownParameterError(
            f"name: got {shown(name)}; allowed: a row of the parameter table (evgrid.PARAMETERS)"
        )
    return _parameters()[name]


def default(name: str) -> Any:
    """The default value of a parameter."""
    return parameter(name).value


def param_field(name: str, **kwargs: Any) -> Any:
    """A dataclass field whose default is parameter ``name`` and which :func:`validate` checks.

    Mapping defaults are given through a factory so that instances do not share them.
    """
    value = default(name)
    meta = {"param": name}
    if isinstance(value, Mapping):
        return dataclasses.field(default_factory=lambda: value, metadata=meta, **kwargs)
    return dataclasses.field(default=value, metadata=meta, **kwargs)


def validate(obj: Any, where: str | None = None) -> None:
    """Check every field of a frozen dataclass made with :func:`param_field`, normalising values.

    Parameters
    ----------
    obj
        The dataclass instance (called from its ``__post_init__``).
    where
        Prefix of the messages (e.g. a file name); default the field names alone.
    """
    for f in dataclasses.fields(obj):
        name = f.metadata.get("param")
        if name is None:
            continue
        label = f.name if where is None else f"{where}: {f.name}"
        checked = parameter(name).check(getattr(obj, f.name), label)
        object.__setattr__(obj, f.name, checked)


def as_generator(rng: Any, where: str = "seed") -> Any:
    """A ``numpy.random.Generator`` from a generator, a seed or None, the seed checked.

    Every stochastic entry point takes ``rng: Generator | int | None``; a seed must be a whole
    number >= 0 (the ``seed`` row of the parameter table), so every command and the API refuse a
    bad seed with the same words.
    """
    import numpy as np

    if rng is None or isinstance(rng, np.random.Generator | np.random.SeedSequence):
        return np.random.default_rng(rng)
    return np.random.default_rng(parameter("seed").check(rng, where))


def site_fields() -> Mapping[str, Spec]:
    """The fields of a site document (``evgrid/data/site_fields.csv``)."""
    return _site_fields()


@functools.cache
def _site_fields() -> Mapping[str, Spec]:
    return MappingProxyType(_read_table("site_fields.csv", SiteField))


def network_areas() -> Mapping[str, str]:
    """The bundled low-voltage areas, name -> one line (``evgrid/data/network/areas.csv``): what
    a site document's ``network`` field and ``evgrid network`` take by name."""
    return _network_areas()


@functools.cache
def _network_areas() -> Mapping[str, str]:
    path = resources.files("evgrid") / "data" / "network" / "areas.csv"
    rows = csv.DictReader(
        line for line in path.read_text("utf-8").splitlines() if not line.startswith("#")
    )
    return MappingProxyType({row["name"].strip(): row["meaning"].strip() for row in rows})


@dataclass(frozen=True)
class SiteField(Spec):
    """A field of a site document: where it applies and whether it is required.

    Parameters
    ----------
    residential, office
        ``required``, ``optional`` or ``-`` (not allowed) for each kind of site.
    default
        Name of the parameter that gives the default of an optional field, or empty.
    """

    residential: str = "-"
    office: str = "-"
    default: str = ""


def markdown_table(bases: tuple[str, ...] = BASES) -> str:
    """The parameter table as Markdown (README and docs are generated from it)."""
    lines = [
        "| parameter | value | unit | allowed | basis | source |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for p in PARAMETERS.values():
        if p.basis not in bases:
            continue
        lines.append(
            f"| `{p.name}` | {p.value_text()} | {p.unit} | {p.describe()} | {p.basis} "
            f"| {p.source} |"
        )
    return "\n".join(lines)


def fields_markdown_table() -> str:
    """The fields of a site document as Markdown (the README's table is generated from it)."""
    lines = [
        "| field | residential | office | unit | allowed | default | meaning |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for f in site_fields().values():
        assert isinstance(f, SiteField)
        default = f"`{f.default}` ({PARAMETERS[f.default].value_text()})" if f.default else ""
        lines.append(
            f"| `{f.name}` | {f.residential} | {f.office} | {f.unit} | {f.allowed} | {default} "
            f"| {f.meaning} |"
        )
    return "\n".join(lines)


TABLE_START = "<!-- parameter table: generated by `python3 -m evgrid.params FILE`; do not edit -->"
TABLE_END = "<!-- end of the parameter table -->"
FIELDS_START = "<!-- site fields: generated by `python3 -m evgrid.params FILE`; do not edit -->"
FIELDS_END = "<!-- end of the site fields -->"


def write_markdown_table(path: str) -> None:
    """Replace the generated parameter table and site-field table between their markers in a
    Markdown file (each where its markers are; at least one)."""
    from pathlib import Path

    file = Path(path)
    text = file.read_text(encoding="utf-8")
    found = False
    for start, end, table in (
        (TABLE_START, TABLE_END, markdown_table),
        (FIELDS_START, FIELDS_END, fields_markdown_table),
    ):
        head, opened, rest = text.partition(start)
        _, closed, tail = rest.partition(end)
        if opened and closed:
            text, found = f"{head}{start}\n{table()}\n{end}{tail}", True
    if not found:
        raise SystemExit(f"{path}: no generated table (markers) to replace")
    file.write_text(text, encoding="utf-8")


if __name__ == "__main__":  # python3 -m evgrid.params README.md docs/parameters.md
    import sys

    for name in sys.argv[1:]:
        write_markdown_table(name)
    if len(sys.argv) == 1:
        print(markdown_table())


__all__ = [
    "BASES",
    "PARAMETERS",
    "Parameter",
    "SiteField",
    "Spec",
    "default",
    "markdown_table",
    "network_areas",
    "param_field",
    "parameter",
    "site_fields",
    "validate",
]

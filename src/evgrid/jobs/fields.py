"""Request objects: every option of an evgrid job declared once, for every face.

A request is a frozen dataclass (:class:`Request`) whose fields are declared with :func:`option`:
the help line with its unit, the row of the parameter table that gives the default and the
allowed values, the choices, the command-line spelling where it differs from the name. The
command line's options (:mod:`evgrid.cli.generate`), the HTTP API's models and the web forms
(:mod:`evgrid.web.forms`) and the docs' option tables (:func:`markdown_options`) are generated
from these declarations, so that adding an option touches one place and reaches every face.

A request checks each value on construction (:meth:`Request.__post_init__`) with the same words
as the parameter table, and its job's library function checks what depends on several values
(an option the chosen method does not use). :meth:`Request.run` calls that one library function
and returns an :class:`Answer`, whose :meth:`~Answer.to_dict` is the one JSON envelope that
every ``--json``, every API endpoint and every HTML report carries::

    {"evgrid": "0.3.0", "kind": "hosting", "request": {...}, "result": {...}}
"""

from __future__ import annotations

import dataclasses
import functools
import math
import re
import types
import typing
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from evgrid.errors import InputError, bad_value
from evgrid.params import Spec, parameter

FACES = frozenset({"cli", "api", "form"})
"""The faces an option can reach: the command line, the HTTP API, the web forms."""
Progress = Callable[[int, int, str], None]
"""``progress(done, total, text)``: a long job's progress (a face draws it)."""


@dataclass(frozen=True)
class Option:
    """The one declaration of a request's field.

    Parameters
    ----------
    help
        One line saying what the value is, with its unit in brackets. ``{name}`` stands for the
        value of the parameter ``name`` of the parameter table (a default is never typed here).
    param
        The row of the parameter table (``evgrid/data/parameters.csv``) whose value is the
        library's default and whose ``allowed`` column the value must meet; None when the
        option has no row (``allowed`` and ``unit`` then say what is allowed).
    allowed
        What is allowed, in the parameter table's grammar (``(0, 1]``, ``integer [1, inf)``,
        ``true or false``, ``text``), when there is no ``param`` row or to narrow it.
    unit
        The unit, when there is no ``param`` row.
    choices
        The allowed words (or a function returning them, read when first needed).
    names
        For a text that names either a bundled item or a file (a behaviour preset, a
        scenario, a tariff): the bundled names (or a function returning them). The web app and
        the API take only these; a path is for the command line and Python.
    flag
        The command line's spelling; default ``--`` and the name with dashes.
    off_flag
        A boolean's command-line switch that turns it off (``--index-only``).
    argument
        A positional command-line argument instead of an option.
    required
        The request needs a value (it has no default).
    file
        An input file and its allowed suffixes: a path on the command line, an uploaded file in
        the web app (never a path a client gives).
    load
        For an input that the job reads (a site, sessions): turns what a caller gives (a path,
        or the object itself) into the object, on construction; the path is kept for messages
        (:meth:`Request.source`).
    echo
        How the request's JSON shows such an input (a site: its document's fields; sessions:
        their count); the file's name is added where it was read from one.
    many
        A list of choices (comma-separated on the command line).
    faces
        The faces that offer the option (:data:`FACES`).
    methods, kinds
        The methods (``timeseries``) and kinds of site (``office``) that use the option, when
        not all: the web form shows it only for them.
    zh
        The field's label on the Chinese pages.
    label
        The field's label on the English pages; default the help's first clause.
    """

    help: str
    param: str | None = None
    allowed: str | None = None
    unit: str | None = None
    choices: Sequence[str] | Callable[[], Sequence[str]] | None = None
    names: Sequence[str] | Callable[[], Sequence[str]] | None = None
    flag: str | None = None
    off_flag: str | None = None
    argument: bool = False
    required: bool = False
    file: tuple[str, ...] = ()
    load: Callable[[Any], Any] | None = None
    echo: Callable[[Any], Any] | None = None
    many: bool = False
    faces: frozenset[str] = FACES
    methods: tuple[str, ...] = ()
    kinds: tuple[str, ...] = ()
    zh: str = ""
    label: str = ""
    name: str = ""
    kind: type = str
    default: Any = None

    @property
    def cli_flag(self) -> str:
        """The command line's spelling: ``--limit-kw``."""
        return self.flag or "--" + self.name.replace("_", "-")

    @property
    def words(self) -> tuple[str, ...]:
        """The allowed words of a choice option (empty for others)."""
        given = self.choices() if callable(self.choices) else self.choices
        return tuple(given or ())

    @property
    def bundled(self) -> tuple[str, ...]:
        """The bundled names of an option that names a bundled item or a file (else empty)."""
        given = self.names() if callable(self.names) else self.names
        return tuple(given or ())

    @functools.cached_property
    def spec(self) -> Spec | None:
        """The rule the value must meet: the ``param`` row, or ``allowed`` and ``unit``."""
        if self.allowed is not None:
            unit = self.unit or (parameter(self.param).unit if self.param else "-")
            return Spec(self.name, unit, self.allowed, self.help)
        if self.param is not None:
            row = parameter(self.param)
            return Spec(self.name, row.unit, row.allowed, self.help)
        return None

    @property
    def unit_text(self) -> str:
        """The unit, or ``-``."""
        spec = self.spec
        return spec.unit if spec is not None else (self.unit or "-")

    def default_text(self) -> str:
        """The default as the docs and ``--help`` show it: the request's default, else the
        parameter table's value, else empty."""
        if self.default not in (None, False, ()):
            value = self.default
            return ",".join(value) if isinstance(value, tuple) else f"{value}"
        if self.param is not None:
            return parameter(self.param).value_text()
        return ""

    def describe(self) -> str:
        """What is allowed, in words with the unit."""
        if self.words:
            prefix = "a comma-separated list of " if self.many else "one of "
            return prefix + ", ".join(self.words)
        if self.file:
            return "a " + ", ".join(self.file) + " file"
        if self.names is not None:
            return "one of " + ", ".join(self.bundled) + ", or a file"
        spec = self.spec
        if spec is not None:
            return spec.describe()
        return _KIND_WORDS.get(self.kind, "a value")

    @property
    def help_text(self) -> str:
        """The help with the parameter table's values in place of ``{name}``."""
        return _PLACEHOLDER.sub(lambda m: parameter(m.group(1)).value_text(), self.help)

    def help_line(self) -> str:
        """The help line with the default: ``Site limit [kW] (default 0.8).``"""
        text = self.help_text.rstrip(".")
        default = self.default_text()
        return f"{text} (default {default})." if default else f"{text}."

    def check(self, value: Any) -> Any:
        """``value`` if allowed (numbers as ``float``, whole numbers as ``int``, paths as
        :class:`~pathlib.Path`, lists as tuples); None stays None (the library's default).

        Raises
        ------
        InputError
            ``NAME: got VALUE; allowed: WHAT``.
        """
        if value is None:
            return None
        if self.many:
            if isinstance(value, str) and not value.strip():
                return ()  # none (an option whose default is a list of its own says so)
            items = value.split(",") if isinstance(value, str) else value
            if not isinstance(items, list | tuple) or not items:
                raise bad_value(self.name, value, self.describe())
            return tuple(self._one(v.strip() if isinstance(v, str) else v) for v in items)
        return self._one(value)

    def _one(self, value: Any) -> Any:
        if self.words:
            if isinstance(value, str) and value in self.words:
                return value
            raise bad_value(self.name, value, self.describe())
        if self.file or self.kind is Path:
            if isinstance(value, str | Path) and str(value).strip() and "\0" not in str(value):
                return Path(value)
            raise bad_value(self.name, value, self.describe())
        if self.kind is bool:
            if isinstance(value, bool):
                return value
            raise bad_value(self.name, value, "true or false")
        if self.names is not None:  # a bundled name or a file: the library reads either
            if isinstance(value, str) and value.strip() and "\0" not in value:
                return value
            raise bad_value(self.name, value, f"one of {', '.join(self.bundled)} or a file")
        spec = self.spec
        if spec is not None:
            return spec.check(value, self.name)
        if self.kind is str and isinstance(value, str) and value.strip():
            return value
        if self.kind in (int, float) and _is_real(value, integer=self.kind is int):
            return self.kind(value)
        raise bad_value(self.name, value, self.describe())


_PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)\}")
_KIND_WORDS = {
    int: "a whole number",
    float: "a finite number",
    str: "a text",
    bool: "true or false",
    Path: "a file",
}


def _is_real(value: Any, *, integer: bool) -> bool:
    import numbers

    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        return False
    if integer:
        return isinstance(value, numbers.Integral)
    return math.isfinite(float(value))


def option(default: Any = None, *, like: Option | None = None, **declaration: Any) -> Any:
    """A request field: its default (None: the library's default) and its :class:`Option`.

    Parameters
    ----------
    default
        The request's default; None leaves the library's default (the parameter table's).
    like
        An option shared by several jobs (:mod:`evgrid.jobs.options`), declared once there;
        ``declaration`` then changes only what differs.
    **declaration
        The :class:`Option`'s fields.
    """
    declared = Option(**declaration) if like is None else dataclasses.replace(like, **declaration)
    return dataclasses.field(default=default, metadata={"option": declared})


def _plain_kind(annotation: Any) -> type:
    """``int`` of ``int | None``, ``str`` of ``tuple[str, ...] | None``."""
    args = [a for a in typing.get_args(annotation) if a is not type(None)]
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        return _plain_kind(args[0]) if args else str
    if typing.get_origin(annotation) is tuple:
        return _plain_kind(args[0]) if args else str
    return annotation if isinstance(annotation, type) else object


R = typing.TypeVar("R", bound="Request")


class Request:
    """Base of the request objects (frozen dataclasses whose fields are :func:`option`).

    Subclasses set :attr:`kind` (the job's name, ``"hosting"``) and implement :meth:`run`.
    """

    kind: ClassVar[str] = ""

    def __post_init__(self) -> None:
        sources: dict[str, Path] = {}
        options = self.options()
        for opt in options:
            value = getattr(self, opt.name)
            if value is None and (opt.required or opt.argument):
                raise InputError(
                    f"{opt.name}: missing; required: {opt.describe()}",
                    field=opt.name,
                    allowed=opt.describe(),
                )
            if opt.load is None:
                object.__setattr__(self, opt.name, opt.check(value))
        self.validate()
        # the inputs last: a bad option is refused before any file is read
        for opt in options:
            value = getattr(self, opt.name)
            if opt.load is not None and value is not None:
                if isinstance(value, str | Path):
                    sources[opt.name] = opt.check(value)
                object.__setattr__(self, opt.name, opt.load(value))
        object.__setattr__(self, "_sources", sources)

    def validate(self) -> None:
        """Rules between several option values that the request checks before it reads its
        inputs (a subclass's); the job's library function checks the rest."""

    def source(self, name: str) -> Path | None:
        """The file an input was read from (None when it was given as an object)."""
        found: Path | None = self.__dict__.get("_sources", {}).get(name)
        return found

    @classmethod
    def options(cls) -> tuple[Option, ...]:
        """Every field's :class:`Option`, in declaration order, with its name, kind and
        default filled in."""
        return _options(cls)

    @classmethod
    def option(cls, name: str) -> Option:
        """The option called ``name``."""
        for opt in cls.options():
            if opt.name == name:
                return opt
        raise KeyError(name)

    @classmethod
    def from_mapping(
        cls: type[R], data: Mapping[str, Any], *, text: bool = False, **inputs: Any
    ) -> R:
        """A request from a mapping of option names to values (an API body, a web form).

        Parameters
        ----------
        data
            Option values by name; None or (with ``text``) an empty text leaves the default.
        text
            The values are texts typed in a form: numbers and booleans are read from them.
        **inputs
            Values the face resolved itself (a site, an uploaded file's saved path).

        Raises
        ------
        InputError
            An unknown name (``limt: unknown option; allowed: ...``) or a refused value.
        """
        known = {o.name: o for o in cls.options()}
        values: dict[str, Any] = {}
        for name, given in data.items():
            opt = known.get(name)
            if opt is None or name in inputs:
                allowed = ", ".join(n for n in known if n not in inputs)
                raise InputError(
                    f"{name}: unknown option; allowed: {allowed}",
                    field=name,
                    value=given,
                    allowed=allowed,
                )
            values[name] = _from_text(opt, given) if text else given
        return cls(**values, **inputs)

    def to_dict(self) -> dict[str, Any]:
        """The request as JSON: every option given (None left out), files by name, a site as
        its document's fields."""
        out: dict[str, Any] = {}
        for opt in self.options():
            value = getattr(self, opt.name)
            if value is None or (opt.default is not None and value == opt.default):
                continue
            shown = _json_value(value) if opt.echo is None else opt.echo(value)
            source = self.source(opt.name)
            if source is not None:
                shown = {"file": source.name, **shown} if isinstance(shown, dict) else source.name
            out[opt.name] = shown
        return out

    def run(self, progress: Progress | None = None) -> Answer:
        """Do the job: the one library call every face makes."""
        raise NotImplementedError


def _json_value(value: Any) -> Any:
    if isinstance(value, Path):
        return value.name
    if isinstance(value, tuple):
        return [_json_value(v) for v in value]
    to_dict = getattr(value, "to_dict", None)
    if callable(to_dict):
        return to_dict()
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {
            k: _json_value(v)
            for k, v in dataclasses.asdict(value).items()
            if v is not None and not isinstance(v, Path)
        }
    return value


_INTEGER = re.compile(r"[+-]?\d+")
_TRUE = ("true", "on", "yes", "1")
_FALSE = ("false", "off", "no", "0")


def _from_text(opt: Option, given: Any) -> Any:
    """A form's text as the option's value: blank is unset; numbers and booleans read
    strictly (a text the option refuses stays a text, refused in the option's words)."""
    if not isinstance(given, str):
        return given
    text = given.strip()
    if not text:
        return None
    if opt.kind is bool:
        low = text.lower()
        return True if low in _TRUE else False if low in _FALSE else text
    if opt.kind is int and _INTEGER.fullmatch(text):
        return int(text)
    if opt.kind is float:
        try:
            return float(text) if _INTEGER.fullmatch(text) or "." in text or "e" in text else text
        except ValueError:
            return text
    return text


_OPTIONS: dict[type, tuple[Option, ...]] = {}


def _options(cls: type[Request]) -> tuple[Option, ...]:
    found = _OPTIONS.get(cls)
    if found is None:
        found = _OPTIONS[cls] = _declared(cls)
    return found


def _declared(cls: type[Request]) -> tuple[Option, ...]:
    hints = typing.get_type_hints(cls)
    out = []
    for f in dataclasses.fields(cls):  # type: ignore[arg-type]
        opt = f.metadata.get("option")
        if opt is None:
            continue
        kind = _plain_kind(hints[f.name])
        out.append(dataclasses.replace(opt, name=f.name, kind=kind, default=f.default))
    return tuple(out)


@dataclass(frozen=True)
class Answer:
    """What a job answers: the request, the library's result and its JSON.

    Parameters
    ----------
    request
        The request that made it.
    result
        The library's result object(s).
    document
        The result as JSON (the envelope's ``result``).
    legacy
        Keys of evgrid 0.2's JSON kept at the envelope's top level for one release
        (CHANGELOG, 0.3.0).
    """

    request: Request
    result: Any
    document: Mapping[str, Any]
    legacy: Mapping[str, Any] = dataclasses.field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        """The one JSON envelope: ``{"evgrid", "kind", "request", "result"}``."""
        from evgrid._version import __version__

        return {
            "evgrid": __version__,
            "kind": self.request.kind,
            "request": self.request.to_dict(),
            "result": dict(self.document),
            **self.legacy,
        }


def markdown_options(cls: type[Request]) -> str:
    """The options of a request as a Markdown table (name, command line, unit, allowed,
    default, meaning): the docs' tables are generated from the declarations."""
    lines = [
        "| option | command line | unit | allowed | default | meaning |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for opt in cls.options():
        cli = "argument" if opt.argument else f"`{opt.cli_flag}`" if "cli" in opt.faces else "-"
        default = opt.default_text() or "-"
        lines.append(
            f"| `{opt.name}` | {cli} | {opt.unit_text} | {_literal(opt.describe())} | {default} "
            f"| {_literal(opt.help_text.rstrip('.'))} |"
        )
    return "\n".join(lines)


def _literal(text: str) -> str:
    """``text`` as literal Markdown: a range beside its unit (``[0, 1] [h]``) is not a
    reference link."""
    return re.sub(r"\]( ?)\[", r"]\1\\[", text)


__all__ = ["FACES", "Answer", "Option", "Progress", "Request", "markdown_options", "option"]

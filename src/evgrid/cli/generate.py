"""Command-line options generated from the request objects (:mod:`evgrid.jobs`).

Each field of a request declared with :func:`evgrid.jobs.fields.option` becomes a typer option
(or argument) with its flag, its help line (unit and the parameter table's default) and its
choices; the faces' own switches (``--json``, ``--out``, ``--lang``) are added by the command.
A refused value is named by its flag (``--limit-kw: got -1; ...``) because the library's error
carries the field's name (:attr:`evgrid.errors.InputError.field`).
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer

from evgrid.jobs.fields import Option, Request

LANGS = ("en", "zh")


def _typer_param(opt: Option) -> inspect.Parameter:
    """The typer parameter of one option."""
    help_text = opt.help_line()
    if opt.bundled:
        help_text = f"{help_text[:-1]}; bundled: {', '.join(opt.bundled)}."
    if opt.argument:
        annotation: Any = Path if opt.file else str
        default: Any = typer.Argument(
            ..., help=help_text, show_default=False, metavar=opt.name.upper()
        )
    elif opt.kind is bool:
        decls = opt.cli_flag + (f"/{opt.off_flag}" if opt.off_flag else "")
        annotation = bool | None if opt.default is None else bool
        default = typer.Option(opt.default, decls, help=help_text, show_default=False)
    else:
        kind = Path if opt.file else opt.kind if opt.kind in (int, float, Path) else str
        annotation = kind | None if opt.default is None else kind
        # choices are checked by the request, in the library's words (typer may vendor a click
        # of its own, whose errors a click.Choice would not raise)
        extra: dict[str, Any] = {}
        if opt.words:
            extra["metavar"] = (
                ("[" + ",".join(opt.words) + "]") if opt.many else "|".join(opt.words)
            )
        given = ",".join(opt.default) if isinstance(opt.default, tuple) else opt.default
        required = ... if opt.required else given
        default = typer.Option(required, opt.cli_flag, help=help_text, show_default=False, **extra)
    return inspect.Parameter(opt.name, inspect.Parameter.KEYWORD_ONLY, default=default,
                             annotation=annotation)  # fmt: skip


def face_param(name: str, default: Any, flag: str, help_text: str) -> inspect.Parameter:
    """A switch of the face itself (not of the request): ``--json``, ``--out``, ``--lang``;
    a default of ``...`` makes it required, a default of None makes it a path."""
    extra: dict[str, Any] = {}
    if name == "lang":
        extra["metavar"] = "|".join(LANGS)
        annotation: Any = str
    elif isinstance(default, bool):
        annotation = bool
    else:
        annotation = Path if default is ... else Path | None
    return inspect.Parameter(
        name,
        inspect.Parameter.KEYWORD_ONLY,
        default=typer.Option(default, flag, help=help_text, **extra),
        annotation=annotation,
    )


JSON_PARAM = face_param("as_json", False, "--json", "Print one JSON document on stdout.")
LANG_PARAM = face_param("lang", "en", "--lang", "Language of the tables and the report.")


def request_command(
    cls: type[Request],
    render: Callable[..., None],
    *faces: inspect.Parameter,
    doc: str | None = None,
) -> Callable[..., None]:
    """A typer command for a request: its options from ``cls``, then the face's switches.

    Parameters
    ----------
    cls
        The request class.
    render
        ``render(request, **switches)``: checks the outputs, runs the request and shows it.
    *faces
        The face's switches (:func:`face_param`, :data:`JSON_PARAM`, ...), passed to
        ``render`` by name.
    doc
        The command's help; default the request's first docstring line.
    """
    params = [_typer_param(o) for o in cls.options() if "cli" in o.faces]
    names = {p.name for p in faces}

    def command(**given: Any) -> None:
        switches = {k: given.pop(k) for k in names}
        values = {k: v for k, v in given.items() if v is not None}
        render(cls(**values), **switches)

    command.__signature__ = inspect.Signature([*params, *faces])  # type: ignore[attr-defined]
    command.__doc__ = doc or (cls.__doc__ or "").strip().split("\n\n")[0]
    command.__name__ = f"{cls.kind}_command"
    return command


def flags_of(cls: type[Request]) -> dict[str, str]:
    """Field name -> its command-line flag, for the messages of refused values."""
    return {o.name: o.cli_flag for o in cls.options() if "cli" in o.faces and not o.argument}

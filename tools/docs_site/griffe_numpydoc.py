"""Griffe extension: evgrid's numpydoc docstrings as the docs site's Markdown.

evgrid's docstrings are numpydoc, written for reStructuredText readers; mkdocstrings renders
them as Markdown. This extension bridges the three places where the two disagree, once per
docstring, before mkdocstrings parses it:

* Sphinx roles (``:func:`load_site```, ``:class:`~evgrid.jobs.fields.Request```, ``:mod:``,
  ``:data:``, ``:meth:``, ``:attr:``, ``:exc:``) become cross-references: the name is resolved
  in the object's scope as Sphinx would, and links to its entry when the reference renders it
  (an optional autoref, plain code otherwise, as Sphinx leaves a name it cannot find);
* units in brackets next to a range (``a number in [0, 1] [h]``) are literal text in numpydoc
  but a reference link in Markdown: the second bracket is escaped;
* a paragraph ending in ``::`` (a literal block follows) ends in ``:``.

Code (``>>>`` examples, indented literal blocks, fenced blocks, inline code) is left alone.

The request objects of ``evgrid.jobs`` declare each field once (``evgrid.jobs.fields.option``:
help, unit, allowed values, default): their fields get that declaration as their docstring, so
the reference shows every option with the words ``--help`` shows.

It also checks the front door: every name of ``evgrid.__all__`` must carry a docstring, or the
build logs a warning (and ``mkdocs build --strict`` fails).
"""

from __future__ import annotations

import dataclasses
import importlib
import logging
import re
from typing import Any

import griffe

_log = logging.getLogger("mkdocs.plugins.evgrid_docstrings")

_ROLE = re.compile(
    r":(?:py:)?(?P<role>func|class|data|mod|meth|attr|exc|obj|const):"
    r"`(?P<text>[^`\n]+(?:\n[^`\n]+)?)`"
)
_CODE_SPAN = re.compile(r"(``.+?``|`[^`]+`)")
_BRACKET_PAIR = re.compile(r"\]( ?)\[")
_CALLABLE_ROLES = ("func", "meth")


def _resolve(obj: griffe.Object, target: str) -> str:
    """The full path of ``target`` as written in ``obj``'s docstring (Sphinx's lookup: the
    object's scope, then its parents'); ``target`` itself where it cannot be resolved."""
    target = target.lstrip(".")
    if target == "evgrid" or target.startswith("evgrid."):
        return target
    head, _, rest = target.partition(".")
    try:
        found = obj.resolve(head)
    except (griffe.NameResolutionError, AttributeError, KeyError):
        return target
    return f"{found}.{rest}" if rest else found


def _role(obj: griffe.Object, match: re.Match[str]) -> str:
    text = " ".join(match["text"].split())  # a role may run over a line break
    titled = re.fullmatch(r"(?P<title>.+?)\s*<(?P<target>[^>]+)>", text)
    if titled:
        title, target = titled["title"], titled["target"].replace(" ", "")
    else:
        target = text.lstrip("~!").replace(" ", "")
        title = target.rsplit(".", 1)[-1] if text.startswith("~") else target
        if match["role"] in _CALLABLE_ROLES:
            title += "()"
    identifier = _resolve(obj, target)
    return f'<autoref identifier="{identifier}" optional><code>{title}</code></autoref>'


def _prose(line: str) -> str:
    """One line of prose: adjacent brackets escaped, code spans kept."""
    parts = _CODE_SPAN.split(line)
    for i in range(0, len(parts), 2):  # the even parts are prose, the odd ones code spans
        parts[i] = _BRACKET_PAIR.sub(r"]\1\\[", parts[i])
    return "".join(parts)


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" "))


def to_markdown(obj: griffe.Object, text: str) -> str:
    """A numpydoc docstring of ``obj`` as the Markdown mkdocstrings renders."""
    roles: list[str] = []

    def keep(match: re.Match[str]) -> str:
        roles.append(_role(obj, match))
        return f"\x00{len(roles) - 1}\x00"

    text = _ROLE.sub(keep, text)  # first, on the whole text: a role may span two lines
    out: list[str] = []
    fenced = doctest = False
    literal_indent: int | None = None  # indentation of the paragraph that ended in "::"
    for line in text.splitlines():
        stripped = line.strip()
        if literal_indent is not None:
            if not stripped or _indent(line) > literal_indent:
                out.append(line)
                continue
            literal_indent = None
        if stripped.startswith("```"):
            fenced = not fenced
            out.append(line)
            continue
        if fenced:
            out.append(line)
            continue
        if stripped.startswith(">>>"):
            doctest = True
        elif not stripped:
            doctest = False
        if doctest:
            out.append(line)
            continue
        if stripped.endswith("::"):
            literal_indent = _indent(line)
            line = line.rstrip()[:-2].rstrip()
            line = line + ":" if line.strip() else line
        out.append(_prose(line))
    return re.sub(r"\x00(\d+)\x00", lambda m: roles[int(m.group(1))], "\n".join(out))


def _option_text(option: Any) -> str:
    """A request field's docstring from its one declaration (the words of ``--help``)."""
    parts = [option.help_line()]
    parts.append(f"Allowed: {option.describe()}.")
    if "cli" in option.faces:
        where = "argument" if option.argument else f"`{option.cli_flag}`"
        parts.append(f"Command line: {where}.")
    return " ".join(parts)


class EvgridDocstrings(griffe.Extension):
    """Numpydoc to Markdown, request fields from their declarations, the front-door check."""

    def on_object(self, *, obj: griffe.Object, **kwargs: Any) -> None:
        if obj.docstring is not None and not obj.extra["evgrid"].get("markdown"):
            obj.docstring.value = to_markdown(obj, obj.docstring.value)
            obj.extra["evgrid"]["markdown"] = True

    def on_class(self, *, cls: griffe.Class, **kwargs: Any) -> None:
        if not cls.path.startswith("evgrid.jobs."):
            return
        runtime = getattr(importlib.import_module(cls.module.path), cls.name, None)
        if not isinstance(runtime, type) or not dataclasses.is_dataclass(runtime):
            return
        declared = getattr(runtime, "options", None)
        if not callable(declared):
            return
        init = cls.members.get("__init__")
        for option in declared():
            member = cls.members.get(option.name)
            if member is None or member.is_alias:
                continue
            # the field's value is its option(...) declaration: show the default it gives
            default = repr(option.default)
            member.value = default
            if isinstance(init, griffe.Function) and option.name in init.parameters:
                init.parameters[option.name].default = default
            if member.docstring is None:
                text = to_markdown(member, _option_text(option))
                member.docstring = griffe.Docstring(text, parent=member)
                member.extra["evgrid"]["markdown"] = True

    def on_package(self, *, pkg: griffe.Module, **kwargs: Any) -> None:
        self.on_object(obj=pkg)  # the load events reach the package's members, not itself
        if pkg.path != "evgrid":
            return
        import evgrid

        for name in evgrid.__all__:
            if name.startswith("__"):
                continue
            member = pkg.members.get(name)
            if member is None:
                _log.warning("evgrid.%s: a front-door name the reference cannot find", name)
                continue
            target = member.final_target if member.is_alias else member
            if target.docstring is None or not target.docstring.value.strip():
                _log.warning(
                    "evgrid.%s (%s): a front-door name without a docstring", name, target.path
                )

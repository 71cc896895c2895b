"""Documents: YAML or JSON files (sites, behaviours) read into Python mappings, strictly.

Rules (``docs/errors.md``, "Input files"):

* YAML is read with the YAML 1.2 core-schema scalars: ``2e3`` and ``1.`` are numbers; ``yes``,
  ``no``, ``on``, ``off``, ``1:20``, ``1_000`` and ``2024-05-01`` are text; ``true``/``false``
  are booleans; ``.inf`` and ``.nan`` are (non-finite) numbers, refused wherever a finite one is
  needed. An integer with a leading zero (``0620``) is refused: YAML 1.1 readers take it as
  octal (400), YAML 1.2 ones as 620;
* a key appears once in a mapping, and keys are text (a reader of points by year also takes
  whole-number keys, ``2035:``);
* the text is UTF-8, UTF-16/UTF-32 with a byte-order mark, or GB18030/GBK
  (:mod:`evgrid.io.text`);
* anchors and aliases are allowed, but the document, with every alias expanded, holds at most
  :data:`MAX_DOCUMENT_VALUES` values and nests at most :data:`MAX_DEPTH` levels (a 340-byte
  "billion laughs" document is refused in microseconds); a document is at most
  :data:`MAX_DOCUMENT_BYTES` long;
* JSON is standard JSON: ``NaN`` and ``Infinity`` are refused, keys appear once.
"""

from __future__ import annotations

import json
import math
import re
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from evgrid.errors import InputError, bad_value
from evgrid.io.files import as_path, read_bytes
from evgrid.io.text import decode

MAX_DOCUMENT_BYTES = 1 << 20
"""Largest site or behaviour document [bytes] (1 MiB; hand-written ones are a few hundred)."""

MAX_DOCUMENT_VALUES = 10_000
"""Most values (scalars, lists and mappings) a document may hold once its aliases are
expanded [-]."""

MAX_DEPTH = 64
"""Deepest nesting of lists and mappings in a document [-]."""

_INT = re.compile(r"[-+]?[0-9]+")
_DECIMAL = re.compile(r"[-+]?(0|[1-9][0-9]*)")
_OCTAL = re.compile(r"0o[0-7]+")
_HEX = re.compile(r"0x[0-9a-fA-F]+")
_FLOAT = re.compile(r"[-+]?(\.[0-9]+|[0-9]+(\.[0-9]*)?)([eE][-+]?[0-9]+)?")
_INF = re.compile(r"[-+]?\.(inf|Inf|INF)")
_NAN = re.compile(r"\.(nan|NaN|NAN)")
_BOOL = {"true": True, "True": True, "TRUE": True, "false": False, "False": False, "FALSE": False}


class _RefusedError(Exception):
    """A value refused while a document is built (carries its line and the message parts)."""

    def __init__(self, line: int, value: object, allowed: str) -> None:
        super().__init__(value)
        self.line, self.value, self.allowed = line, value, allowed


def _yaml_loader() -> Any:
    """A safe YAML loader class with YAML 1.2 core-schema scalars (built once, on first use)."""
    global _LOADER
    if _LOADER is not None:
        return _LOADER
    import yaml

    class Loader(yaml.SafeLoader):  # the pure-Python parser: deep nesting stays an exception
        pass

    Loader.yaml_implicit_resolvers = {}  # YAML 1.2 core schema only, added below

    tag = "tag:yaml.org,2002:"

    def resolve(kind: str, pattern: str, first: str) -> None:  # PyYAML matches at the start
        Loader.add_implicit_resolver(tag + kind, re.compile(f"^(?:{pattern})$"), list(first))

    resolve("bool", "|".join(_BOOL), "tTfF")
    resolve("int", r"[-+]?[0-9]+|0o[0-7]+|0x[0-9a-fA-F]+", "-+0123456789")
    resolve("float", f"{_FLOAT.pattern}|{_INF.pattern}|{_NAN.pattern}", "-+.0123456789")
    Loader.add_implicit_resolver(tag + "null", re.compile(r"^(?:~|null|Null|NULL|)$"),
                                 ["~", "n", "N", ""])  # fmt: skip

    def line(node: Any) -> int:
        return int(node.start_mark.line) + 1

    def to_int(loader: Any, node: Any) -> int:
        text = loader.construct_scalar(node)
        try:
            if _DECIMAL.fullmatch(text):
                return int(text)
            if _OCTAL.fullmatch(text):
                return int(text[2:], 8)
            if _HEX.fullmatch(text):
                return int(text[2:], 16)
        except ValueError:  # more digits than Python converts
            raise _RefusedError(line(node), text, "an integer of at most 4300 digits") from None
        if _INT.fullmatch(text):
            raise _RefusedError(
                line(node), text, "a number without leading zeros (YAML 1.1 would read it as octal)"
            )
        raise _RefusedError(line(node), text, "an integer")

    def to_float(loader: Any, node: Any) -> float:
        text = loader.construct_scalar(node)
        if _INF.fullmatch(text):
            return -math.inf if text.startswith("-") else math.inf
        if _NAN.fullmatch(text):
            return math.nan
        if _FLOAT.fullmatch(text):
            return float(text)
        raise _RefusedError(line(node), text, "a number")

    def to_bool(loader: Any, node: Any) -> bool:
        text = loader.construct_scalar(node)
        if text in _BOOL:
            return _BOOL[text]
        raise _RefusedError(line(node), text, "true or false")

    Loader.add_constructor(tag + "int", to_int)
    Loader.add_constructor(tag + "float", to_float)
    Loader.add_constructor(tag + "bool", to_bool)
    _LOADER = Loader
    return Loader


_LOADER: Any = None


def _check_nodes(root: Any, year_keys: bool = False) -> None:
    """Refuse repeated or non-text keys, too many values (aliases expanded), deep nesting.

    One iterative pass over the composed node graph; each shared node is counted once with
    its expanded size, so the cost is the size of the file, not of its expansion.
    """
    import yaml

    text_tag = "tag:yaml.org,2002:str"
    key_tags = {text_tag, "tag:yaml.org,2002:int"} if year_keys else {text_tag}
    sizes: dict[int, int] = {}
    open_nodes: set[int] = set()
    stack: list[tuple[Any, int, bool]] = [(root, 0, False)]
    while stack:
        node, depth, children_done = stack.pop()
        key = id(node)
        if isinstance(node, yaml.ScalarNode):
            sizes[key] = 1
            continue
        if isinstance(node, yaml.MappingNode):
            children = [part for pair in node.value for part in pair]
        else:
            children = list(node.value)
        if children_done:
            open_nodes.discard(key)
            sizes[key] = min(1 + sum(sizes[id(c)] for c in children), MAX_DOCUMENT_VALUES + 1)
            if sizes[key] > MAX_DOCUMENT_VALUES:
                raise _RefusedError(
                    int(node.start_mark.line) + 1,
                    "more values than allowed once aliases (*name) are expanded",
                    f"at most {MAX_DOCUMENT_VALUES:,} values in a document",
                )
            continue
        if key in sizes:
            continue
        if depth >= MAX_DEPTH:
            raise _RefusedError(
                int(node.start_mark.line) + 1, "deeper nesting", f"at most {MAX_DEPTH} levels"
            )
        if isinstance(node, yaml.MappingNode):
            seen: dict[str, int] = {}
            for k, _v in node.value:
                where = int(k.start_mark.line) + 1
                if not isinstance(k, yaml.ScalarNode) or k.tag not in key_tags:
                    shown = k.value if isinstance(k, yaml.ScalarNode) else "a list or mapping"
                    raise _RefusedError(
                        where,
                        shown,
                        "text or whole-number keys"
                        if year_keys
                        else "text keys (quote a key that looks like a number)",
                    )
                if k.value in seen:
                    raise _RefusedError(
                        where, k.value, f"each key once (line {seen[k.value]} has it)"
                    )
                seen[k.value] = where
        open_nodes.add(key)
        stack.append((node, depth, True))
        for child in children:
            if id(child) in open_nodes:
                raise _RefusedError(
                    int(child.start_mark.line) + 1, "an alias inside itself", "no recursive alias"
                )
            if id(child) not in sizes:
                stack.append((child, depth + 1, False))


def _parse_yaml(text: str, where: str, year_keys: bool = False) -> Any:
    import yaml

    loader = None
    try:
        loader = _yaml_loader()(text)
        root = loader.get_single_node()
        if root is None:
            return None
        _check_nodes(root, year_keys)
        return loader.construct_document(root)
    except _RefusedError as exc:
        raise bad_value(f"{where} line {exc.line}", exc.value, exc.allowed) from None
    except RecursionError:
        raise bad_value(where, "deeper nesting", f"at most {MAX_DEPTH} levels") from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        problem = exc.problem or exc.context or "not YAML"
        if mark is None:
            raise bad_value(where, problem, "valid YAML") from None
        lines = text.splitlines()
        shown = lines[mark.line] if mark.line < len(lines) else ""
        raise bad_value(f"{where} line {mark.line + 1}", shown, f"valid YAML ({problem})") from None
    except yaml.YAMLError as exc:  # a reader error: a control character in the text
        first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise bad_value(where, first, "valid YAML (printable UTF-8 text)") from None
    finally:
        if loader is not None:
            loader.dispose()


def _check_depth(data: Any, where: str) -> None:
    """Refuse JSON nested deeper than :data:`MAX_DEPTH` (no aliases: its size is its length)."""
    stack = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            if depth >= MAX_DEPTH:
                raise bad_value(where, "deeper nesting", f"at most {MAX_DEPTH} levels")
            items = value.values() if isinstance(value, dict) else value
            stack.extend((v, depth + 1) for v in items)


def _parse_json(text: str, where: str) -> Any:
    def pairs(items: list[tuple[str, Any]]) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for k, v in items:
            if k in out:
                raise bad_value(where, k, "each key once in an object")
            out[k] = v
        return out

    def constant(name: str) -> float:
        raise bad_value(where, name, "standard JSON numbers (NaN and Infinity are not JSON)")

    try:
        data = json.loads(text, object_pairs_hook=pairs, parse_constant=constant)
        _check_depth(data, where)
        return data
    except json.JSONDecodeError as exc:
        lines = text.splitlines()
        shown = lines[exc.lineno - 1] if 0 < exc.lineno <= len(lines) else ""
        raise bad_value(f"{where} line {exc.lineno}", shown, f"valid JSON ({exc.msg})") from None
    except RecursionError:
        raise bad_value(where, "deeper nesting", f"at most {MAX_DEPTH} levels") from None
    except ValueError as exc:  # an integer with more digits than Python converts
        if isinstance(exc, InputError):
            raise
        raise bad_value(where, str(exc).split(";")[0], "valid JSON numbers") from None


def parse_document(
    text: str, where: str, *, json_format: bool = False, year_keys: bool = False
) -> Any:
    """Parse YAML (or JSON) text under the rules of this module.

    Parameters
    ----------
    text
        The document.
    where
        Name used in messages (the file name).
    json_format
        Parse as JSON instead of YAML.
    year_keys
        YAML: whole numbers are keys too (``2035:``), as in points by year.

    Returns
    -------
    object
        Mappings, lists, text, numbers, booleans and ``None``; ``None`` for an empty YAML file.

    Raises
    ------
    InputError
        One line naming ``where`` and the line: a syntax error, a refused number, a repeated
        key, too many values or too deep.
    """
    return _parse_json(text, where) if json_format else _parse_yaml(text, where, year_keys)


def document_from_bytes(
    data: bytes,
    name: str,
    what: str = "YAML or JSON document",
    *,
    max_bytes: int = MAX_DOCUMENT_BYTES,
    year_keys: bool = False,
) -> Any:
    """Parse a document's bytes: JSON when ``name`` ends in ``.json``, else YAML.

    The same rules as :func:`read_document`, for a document that is not a file of its own
    (an upload to the web app, a bundled resource).

    Parameters
    ----------
    data
        The document's bytes.
    name
        Its name in messages (a file name: its suffix decides JSON or YAML).
    what
        What the document should be, for messages.
    max_bytes
        Refuse a longer document [bytes].
    year_keys
        See :func:`parse_document`.

    Raises
    ------
    InputError
        One line: longer than ``max_bytes``, text in none of the encodings read
        (:mod:`evgrid.io.text`), or :func:`parse_document`'s.
    """
    if len(data) > max_bytes:
        raise bad_value(name, f"more than {max_bytes:,} bytes", f"a {what} of at most that size")
    text, _codec = decode(data, lambda line: f"{name} line {line + 1}")
    json_format = name.lower().endswith(".json")
    return parse_document(text, name, json_format=json_format, year_keys=year_keys)


def read_document(
    path: str | Path, what: str = "YAML or JSON document", *, year_keys: bool = False
) -> Any:
    """Read a YAML file, or JSON for a ``.json`` file (see :func:`parse_document`).

    Parameters
    ----------
    path
        The file.
    what
        What the file should be, for messages, e.g. ``"site document (YAML or JSON)"``.
    year_keys
        See :func:`parse_document`.

    Raises
    ------
    InputError
        One line: an unreadable file (missing, a folder, a loop, no permission), a file larger
        than :data:`MAX_DOCUMENT_BYTES`, text in none of the encodings read
        (:mod:`evgrid.io.text`), or :func:`parse_document`'s.
    """
    p = as_path(path, what)
    data = read_bytes(p, what, max_bytes=MAX_DOCUMENT_BYTES)
    return document_from_bytes(data, str(p), what, year_keys=year_keys)


def finite_number(value: object, where: str, allowed: str) -> float:
    """``value`` as a float if it is a finite number (not a boolean, not text).

    Raises
    ------
    InputError
        ``WHERE: got VALUE; allowed: ALLOWED``.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise bad_value(where, value, allowed)
    try:
        number = float(value)
    except OverflowError:  # an integer beyond the float range
        raise bad_value(where, value, allowed) from None
    if not math.isfinite(number):
        raise bad_value(where, value, allowed)
    return number


def finite_numbers(values: object, where: str, allowed: str) -> npt.NDArray[np.float64]:
    """A list of finite numbers as a float64 array, shape ``(n,)``.

    Raises
    ------
    InputError
        ``values`` is not a list, or an entry is not a finite number (named by its position,
        counted from 1).
    """
    if not isinstance(values, list | tuple):
        raise bad_value(where, values, f"a list of {allowed}")
    return np.array(
        [finite_number(v, f"{where} entry {i + 1}", allowed) for i, v in enumerate(values)],
        dtype=np.float64,
    )

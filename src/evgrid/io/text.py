"""Text in input files: which encodings are read, decided by one short rule.

The rule, in order (``docs/errors.md``, "Encodings"):

1. a byte-order mark decides: UTF-8, UTF-16 (little or big endian) or UTF-32;
2. otherwise text that is valid UTF-8 is UTF-8 (strictly: every byte sequence checked);
3. otherwise text that is valid GB18030 is GB18030, the superset of GBK and GB2312 that Chinese
   Excel and Notepad write (``CSV (逗号分隔)``);
4. otherwise the file is refused with one line naming the first byte that is neither and the
   encodings that are read.

No statistical detector: they guess, and on a short table they guess wrong (a two-line GBK
table is taken for Korean or UTF-16 by one popular detector); this rule never reads valid UTF-8
as anything else. The one ambiguity left is a GB18030 text so short that it is also valid UTF-8
(one Chinese character in five, two in thirty, four in a thousand): it is read as UTF-8.

Text without a byte-order mark that holds NUL bytes is refused: it is UTF-16 or UTF-32 saved
without a mark (or not text at all), and reading it as UTF-8 would give every other character
as a NUL.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable

from evgrid.errors import bad_value

ENCODINGS = (
    "text in UTF-8 (a byte-order mark allowed), UTF-16 or UTF-32 with a byte-order mark, "
    "or GB18030/GBK"
)
"""What the readers accept, as messages say it."""

_BOMS = (  # UTF-32 first: its little-endian mark starts with UTF-16's
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def bom_encoding(data: bytes) -> str | None:
    """The codec named by the byte-order mark ``data`` starts with, or None."""
    for mark, name in _BOMS:
        if data.startswith(mark):
            return name
    return None


def decode(
    data: bytes,
    where_at: Callable[[int], str],
    hint: str = "",
) -> tuple[str, str]:
    """Text of a file's bytes under the rule of this module.

    Parameters
    ----------
    data
        The file's bytes.
    where_at
        ``where_at(line)`` names the place of a refused byte for the message, from its line in
        the file (0 = first line), e.g. ``lambda line: f"{path} line {line + 1}"``.
    hint
        Appended to what is allowed, e.g. ``" (save the file as 'CSV UTF-8')"``.

    Returns
    -------
    tuple of str
        The text (without its byte-order mark) and the codec that read it: ``"utf-8"``,
        ``"utf-8-sig"``, ``"utf-16"``, ``"utf-32"`` or ``"gb18030"``.

    Raises
    ------
    InputError
        A file with a mark whose text is broken, a NUL byte without a mark, or bytes that are
        neither UTF-8 nor GB18030: ``WHERE: got 'byte 0xff, not UTF-8 or GB18030 text';
        allowed: text in UTF-8 ...``.
    """
    allowed = ENCODINGS + hint
    marked = bom_encoding(data)
    if marked is not None:
        try:
            return data.decode(marked), marked
        except UnicodeDecodeError as exc:
            line = data[: exc.start].decode(marked, "replace").count("\n")
            raise bad_value(
                where_at(line), f"broken {marked.upper()} text after its byte-order mark", allowed
            ) from None
    nul = data.find(b"\x00")
    if nul >= 0:
        line = data.count(b"\n", 0, nul)
        raise bad_value(
            where_at(line), "a NUL byte (UTF-16 text without a byte-order mark?)", allowed
        )
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError as exc:
        first_bad = exc.start
    try:
        return data.decode("gb18030"), "gb18030"
    except UnicodeDecodeError:
        pass
    line = data.count(b"\n", 0, first_bad)
    byte = data[first_bad : first_bad + 1].hex()
    raise bad_value(where_at(line), f"byte 0x{byte}, not UTF-8 or GB18030 text", allowed)


def to_utf8(data: bytes, where_at: Callable[[int], str], hint: str = "") -> bytes:
    """The file's bytes as UTF-8 without a byte-order mark (the same bytes when they are).

    Raises
    ------
    InputError
        See :func:`decode`.
    """
    text, codec = decode(data, where_at, hint)
    if codec == "utf-8":
        return data
    if codec == "utf-8-sig":
        return data[len(codecs.BOM_UTF8) :]
    return text.encode("utf-8")

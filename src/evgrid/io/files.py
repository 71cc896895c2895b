"""A file's bytes, or one line saying why they cannot be read."""

from __future__ import annotations

import errno
import os
import stat
from pathlib import Path

from evgrid.errors import InputError, bad_value

_REASONS = {
    errno.ENOENT: "missing file",
    errno.ELOOP: "a symbolic-link loop",
    errno.EACCES: "permission denied",
    errno.EPERM: "permission denied",
    errno.EISDIR: "a folder",
    errno.ENOTDIR: "a path through a file that is not a folder",
    errno.ENAMETOOLONG: "a file name too long",
}


def os_error(path: str | os.PathLike[str], exc: OSError, what: str) -> InputError:
    """One line for an operating-system error on an input file.

    Parameters
    ----------
    path
        The file as the user named it.
    exc
        The error.
    what
        What the file should be, e.g. ``"session file (.csv or .parquet)"``.
    """
    reason = _REASONS.get(exc.errno or 0) or (exc.strerror or type(exc).__name__).lower()
    return bad_value(str(path), reason, f"an existing, readable {what}")


def as_path(path: object, what: str, where: str = "path") -> Path:
    """``path`` as a :class:`~pathlib.Path` if it is text or path-like (not a number, not None).

    Raises
    ------
    InputError
        ``path: got nan; allowed: the path of a WHAT``.
    """
    if isinstance(path, str | os.PathLike) and not isinstance(path, bytes):
        try:
            return Path(path)
        except TypeError:  # a PathLike whose __fspath__ gives bytes
            pass
    raise bad_value(where, path, f"the path of a {what}")


def check_file(path: str | os.PathLike[str], what: str) -> None:
    """Refuse a path that is not an existing regular file, without reading it.

    Raises
    ------
    InputError
        A missing file, a folder, a device or pipe (which could block or never end), a
        symbolic-link loop, no permission, a name too long or holding a NUL character.
    """
    p = as_path(path, what)
    allowed = f"an existing, readable {what}"
    try:
        info = p.stat()
    except OSError as exc:
        raise os_error(p, exc, what) from None
    except ValueError:  # an embedded NUL character
        raise bad_value(str(p), "a name with a NUL character", allowed) from None
    if stat.S_ISDIR(info.st_mode):
        raise bad_value(str(p), "a folder", allowed)
    if not stat.S_ISREG(info.st_mode):
        raise bad_value(str(p), "not a regular file", allowed)


def read_bytes(path: str | os.PathLike[str], what: str, *, max_bytes: int | None = None) -> bytes:
    """The whole content of a regular file.

    Parameters
    ----------
    path
        The file.
    what
        What the file should be, for the message, e.g. ``"site document (YAML or JSON)"``.
    max_bytes
        Refuse a larger file [bytes]; ``None``: no limit.

    Raises
    ------
    InputError
        Everything :func:`check_file` refuses, and a file larger than ``max_bytes``.
    """
    p = as_path(path, what)
    check_file(p, what)
    try:
        with p.open("rb") as f:
            data = f.read() if max_bytes is None else f.read(max_bytes + 1)
    except OSError as exc:
        raise os_error(p, exc, what) from None
    if max_bytes is not None and len(data) > max_bytes:
        raise bad_value(str(p), f"more than {max_bytes:,} bytes", f"a {what} of at most that size")
    return data

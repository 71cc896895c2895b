"""Atomic output files: write to a temporary file beside the target, then rename.

A failed or interrupted run leaves no half-written output, no temporary file and no folder it
created for the output (``docs/errors.md``).
"""

from __future__ import annotations

import csv
import errno
import os
import tempfile
from collections.abc import Callable, Mapping
from pathlib import Path

import numpy as np
import numpy.typing as npt


def write_atomic(path: str | os.PathLike[str], write: Callable[[Path], None]) -> Path:
    """Call ``write(tmp_path)`` then rename the temporary file onto ``path``.

    Parameters
    ----------
    path
        Final output path; its directory is created if needed.
    write
        Writes the whole content to the path it is given.
    """
    target = Path(path)
    created = [p for p in (target.parent, *target.parent.parents) if not p.exists()]
    above = target.parent.parents[len(created) - 1] if created else target.parent
    if above.exists() and not above.is_dir():  # base.csv/x.csv: say so, not "File exists"
        raise OSError(errno.ENOTDIR, "a file, not a folder", str(above))
    tmp_path: Path | None = None
    try:
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
        os.close(fd)
        tmp_path = Path(tmp)
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(tmp_path, 0o666 & ~umask)  # mkstemp makes 0600; outputs get ordinary permissions
        write(tmp_path)
        os.replace(tmp_path, target)
    except BaseException:
        if tmp_path is not None:
            tmp_path.unlink(missing_ok=True)
        for folder in created:  # innermost first: remove what this call made, if still empty
            try:
                folder.rmdir()
            except OSError:
                break
        raise
    return target


def write_text_atomic(path: str | os.PathLike[str], text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically."""

    def write(tmp: Path) -> None:
        tmp.write_text(text, encoding="utf-8")

    return write_atomic(path, write)


def write_csv(path: str | os.PathLike[str], columns: Mapping[str, npt.ArrayLike]) -> Path:
    """Write named columns as a CSV table atomically (header row, then one row per index).

    Whole-number float columns (e.g. a slot index) are written as integers; other floats with
    their shortest exact representation.

    Parameters
    ----------
    path
        Output file.
    columns
        Column name -> values, all of one length.
    """
    arrays = [np.asarray(v) for v in columns.values()]
    cells = [
        a.astype(np.int64).astype(str)
        if a.dtype.kind == "f" and np.all(a == np.round(a)) and np.all(np.abs(a) < 2**53)
        else a.astype(str)
        for a in arrays
    ]

    def write(tmp: Path) -> None:
        with tmp.open("w", encoding="utf-8", newline="") as handle:
            out = csv.writer(handle, lineterminator="\n")
            out.writerow(list(columns))
            out.writerows(zip(*cells, strict=True))

    return write_atomic(path, write)

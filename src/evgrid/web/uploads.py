"""Uploads: read with a size cap, kept in a per-request or per-job temporary folder, parsed
without ever opening a path the client gave.

A file a client uploads is saved under a name the server chooses (``load_curve.csv``) in a
folder of its own (:class:`Workspace`), which is removed with the request or the job; the
client's file name is kept only to name the file in error messages. A site document that names a
``load_curve`` path is refused unless the curve itself is uploaded, which then takes its place.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import Any

from evgrid.errors import InputError, bad_value, shown
from evgrid.grid.site import Site, parse_site
from evgrid.io import document_from_bytes
from evgrid.params import site_fields
from evgrid.web.jobs import scrub
from evgrid.web.settings import MAX_SITE_BYTES

SITE_SUFFIXES = (".yaml", ".yml", ".json")
NETWORK_SUFFIXES = (".yaml", ".yml", ".json")
CURVE_SUFFIXES = (".csv", ".txt", ".xlsx", ".xlsm")
SESSION_SUFFIXES = (".csv", ".parquet", ".pq")
CITY_SUFFIXES = (".csv", ".xlsx", ".xlsm", ".parquet")
NAME_CHARS = 80
"""Longest client file name repeated in a message [characters]."""
_UNSAFE = re.compile(r"[^\w.\- ]+", re.UNICODE)


def client_name(filename: str | None, default: str) -> str:
    """The client's file name for messages: its last component, plain characters only."""
    name = (filename or "").replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE.sub("_", name).strip(" .")[:NAME_CHARS]
    return name or default


def suffix_of(name: str, allowed: tuple[str, ...], field: str) -> str:
    """The lower-case suffix of an upload's name if allowed; InputError otherwise."""
    suffix = Path(name).suffix.lower()
    if suffix not in allowed:
        raise bad_value(field, name, "a " + ", ".join(allowed) + " file")
    return suffix


class Workspace:
    """A temporary folder for one request's or one job's uploads, removed on exit.

    Parameters
    ----------
    folder
        An existing folder to use (a job's); default a new one.
    """

    def __init__(self, folder: Path | None = None) -> None:
        self.folder = folder or Path(tempfile.mkdtemp(prefix="evgrid-upload-"))
        self.names: dict[str, str] = {}

    def __enter__(self) -> Workspace:
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.remove()

    def remove(self) -> None:
        """Remove the folder and everything in it."""
        shutil.rmtree(self.folder, ignore_errors=True)

    def save(self, data: bytes, stem: str, suffix: str, shown_as: str) -> Path:
        """Write an upload as ``STEM.SUFFIX`` (a name the server chose) and return its path.

        Parameters
        ----------
        data
            The upload's bytes.
        stem, suffix
            The server's name for it (``load_curve``, ``.csv``).
        shown_as
            The client's file name, used in messages instead of the server's path.
        """
        path = self.folder / f"{stem}{suffix}"
        path.write_bytes(data)
        self.names[str(path)] = shown_as
        return path

    def save_curves(
        self, uploads: list[tuple[bytes, str, str]], field: str = "curves", stem: str = "curve"
    ) -> dict[str, Path]:
        """Save the measured curves (or networks) sent with a city table; return them by the
        sender's name.

        Each is written as ``STEM-N.SUFFIX``; a table's ``load_curve`` (``network``) cells name
        them by the sender's file name (:func:`evgrid.city.sites.read_sites`), and no other
        file is opened.

        Parameters
        ----------
        uploads
            (bytes, the sender's file name, suffix) of each file.
        field, stem
            The upload field (``curves``, ``networks``) and the server's stem of the names.

        Raises
        ------
        InputError
            Two files with the same name.
        """
        saved: dict[str, Path] = {}
        for i, (data, shown_as, suffix) in enumerate(uploads, start=1):
            if shown_as in saved:
                raise bad_value(field, shown_as, "files with different names")
            saved[shown_as] = self.save(data, f"{stem}-{i}", suffix, shown_as)
        return saved

    def scrub(self, message: str) -> str:
        """A message with each saved file's path replaced by the client's file name."""
        for path, name in self.names.items():
            message = message.replace(path, name)
        return scrub(message, self.folder)


def read_document(data: bytes, name: str) -> Any:
    """A site document's content from its bytes (JSON for ``.json``, else YAML).

    The same reader as :func:`evgrid.load_site` (:func:`evgrid.io.document_from_bytes`), so an
    upload is refused with the same words as the file: ``households: 0620``, a repeated key,
    an alias bomb, text in none of the encodings read.

    Raises
    ------
    InputError
        Too large, or refused by the reader: ``NAME line N: got ...; allowed: ...``.
    """
    return document_from_bytes(data, name, "site document (YAML or JSON)", max_bytes=MAX_SITE_BYTES)


def site_from_document(
    doc: Any, where: str, curve: Path | None = None, network: tuple[str, Path] | None = None
) -> Site:
    """Validate a site document (:func:`evgrid.parse_site`); ``load_curve`` only as an upload,
    ``network`` a bundled area or the network file uploaded with it, ``climate`` a bundled one.

    Parameters
    ----------
    doc
        The document, a mapping of fields.
    where
        Name of the document in messages (the client's file name, or ``site``).
    curve
        The uploaded load curve saved by the server, or None.
    network
        The uploaded network file: (the client's file name, the file the server saved), or
        None. It is the site's network when the document names it by that file name, or names
        no network.
    """
    sent: dict[str, Path] = {}
    if isinstance(doc, Mapping):
        given = doc.get("load_curve")
        if given is not None and curve is None:
            raise InputError(
                f"{where}: load_curve: got {shown(given)}; allowed: an uploaded load-curve file "
                "(the web app opens no path it is given)"
            )
        doc = dict(doc)
        if curve is not None:
            doc["load_curve"] = str(curve)
        if network is not None:
            sent = {network[0]: network[1]}
            doc.setdefault("network", network[0])
    return parse_site(doc, where=where, base_dir=None, network_files=sent)


def _value(text: str, allowed: str) -> Any:
    """A form field's text as the site document would hold it: a number where a number is
    allowed (a text the field check then refuses in its own words), else the text."""
    if allowed == "text" or allowed.startswith("one of") or allowed == "true or false":
        return text
    if re.fullmatch(r"[+-]?\d+", text):
        return int(text)
    try:
        return float(text)
    except ValueError:
        return text


def document_from_form(form: Mapping[str, Any]) -> dict[str, Any]:
    """A site document from the site form's fields: blank fields left out, and only the fields
    of the chosen kind (``data/site_fields.csv``)."""
    kind = str(form.get("kind") or "").strip()
    doc: dict[str, Any] = {"kind": kind}
    for name, spec in site_fields().items():
        if name in ("kind", "load_curve", "network"):  # files: uploads; a bundled area: an option
            continue
        if kind in ("residential", "office") and getattr(spec, kind) == "-":
            continue
        text = str(form.get(name) or "").strip()
        if text:
            doc[name] = _value(text, spec.allowed)
    return doc

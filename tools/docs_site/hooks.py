"""MkDocs hooks of evgrid's docs site (``mkdocs.yml``: ``hooks``).

* ``on_config``: the Chinese word segmenter of the search index logs only its warnings.
* ``on_files``: the API reference pages are generated, not kept by hand: the front door (every
  name of ``evgrid.__all__``, grouped as ``docs/api.md`` tells them) and one page per package, by
  layer, with every public module of the package (a new module appears by itself).
* ``on_post_build``: the built site loads nothing from another host (no web font, script,
  style sheet or image from outside): a page that would is a warning, so ``--strict`` fails.
"""

from __future__ import annotations

import logging
import re
from pathlib import Path
from typing import Any

from mkdocs.structure.files import File, Files

_log = logging.getLogger("mkdocs.plugins.evgrid_reference")

SRC = Path(__file__).resolve().parents[2] / "src"

# (page, title, what the layer is, packages or modules): the reference by layer, top down, as
# the layers contract of pyproject.toml orders them
LAYERS: tuple[tuple[str, str, str, tuple[str, ...]], ...] = (
    (
        "reference/jobs.md",
        "Jobs",
        "The request objects, one per job, that every face (command line, web app, HTTP API) "
        "builds and runs; each field is declared once (see [Jobs](../jobs.md)).",
        ("evgrid.jobs",),
    ),
    (
        "reference/report.md",
        "Report",
        "Figures, tables and the HTML reports, in English and Chinese.",
        ("evgrid.report",),
    ),
    (
        "reference/incentives.md",
        "Incentives",
        "Tariffs, owner response, demand response, carbon credits and their economics.",
        ("evgrid.incentives",),
    ),
    (
        "reference/city.md",
        "City",
        "City runs: site tables, chunks, local processes or Dask, synthetic cities.",
        ("evgrid.city",),
    ),
    (
        "reference/planning.md",
        "Planning",
        "Hosting capacity in both tiers, scenarios, years and upgrades, the report's reproduction.",
        ("evgrid.planning",),
    ),
    (
        "reference/network.md",
        "Network",
        "Low-voltage areas: model, formats, generated areas, three-phase power flow, limits, "
        "network hosting capacity, phase assignment, N-1 and reinforcement.",
        ("evgrid.network",),
    ),
    (
        "reference/charging.md",
        "Charging",
        "Charging strategies, one module each, under one signature.",
        ("evgrid.charging",),
    ),
    (
        "reference/demand.md",
        "Demand",
        "Behaviour statistics, session sampling and session files.",
        ("evgrid.demand",),
    ),
    (
        "reference/grid.md",
        "Grid",
        "Sites, the transformer, the IEC 60076-7 thermal model and ageing.",
        ("evgrid.grid",),
    ),
    (
        "reference/load.md",
        "Load",
        "Base-load curves: typical shapes, scaling, measured curves.",
        ("evgrid.load",),
    ),
    (
        "reference/io.md",
        "Input files",
        "The strict input layer every file evgrid reads goes through.",
        ("evgrid.io",),
    ),
    (
        "reference/base.md",
        "Sessions, time grid, files",
        "The base layer's data types and helpers.",
        (
            "evgrid.sessions",
            "evgrid.timegrid",
            "evgrid.fileio",
            "evgrid.resources",
            "evgrid.checks",
        ),
    ),
    (
        "reference/params.md",
        "Parameters",
        "The parameter table: every default with its unit, allowed values, basis and source.",
        ("evgrid.params",),
    ),
    (
        "reference/errors.md",
        "Errors",
        "The errors every face words its own way (see [Errors](../errors.md)).",
        ("evgrid.errors",),
    ),
)

# packages the reference leaves out, and why (a test checks that every other public module
# has its page)
LEFT_OUT: dict[str, str] = {
    "evgrid.cli": "a face: its commands are documented by `evgrid COMMAND --help` and the guides",
    "evgrid.web": "a face: its pages and HTTP API are documented at `/docs` and in web.md",
    "evgrid.service": "the live service: documented in service.md",
}

FRONT_DOOR_PAGE = "reference/index.md"

# the front door's groups, by the module that defines a name (first match wins), in the order
# of docs/api.md
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Sites", ("evgrid.grid.site",)),
    ("Jobs: request objects", ("evgrid.jobs",)),
    (
        "Hosting capacity, both tiers, one result",
        ("evgrid.planning.hosting", "evgrid.planning.result"),
    ),
    ("Demand", ("evgrid.demand", "evgrid.sessions")),
    ("Charging", ("evgrid.charging", "evgrid.timegrid")),
    ("The grid and base load", ("evgrid.grid", "evgrid.load")),
    ("Defaults", ("evgrid.params", "evgrid.planning.assumptions")),
    (
        "The report",
        (
            "evgrid.planning.reproduce",
            "evgrid.planning.orderly_impact",
            "evgrid.planning.coincidence",
        ),
    ),
    ("Years: a site's upgrade", ("evgrid.city",)),
    ("Errors", ("evgrid.errors",)),
)

_PACKAGE_OPTIONS = "    options:\n      members: false\n      show_submodules: false\n"


def public_modules(name: str) -> list[str]:
    """``name`` and, for a package, every public module and subpackage under it, in order."""
    path = SRC / Path(*name.split("."))
    if not path.is_dir():
        return [name]
    out = [name]
    for child in sorted(path.iterdir()):
        if child.name.startswith("_"):
            continue
        if child.is_dir() and (child / "__init__.py").exists():
            out += public_modules(f"{name}.{child.name}")
        elif child.suffix == ".py":
            out.append(f"{name}.{child.stem}")
    return out


def _is_package(name: str) -> bool:
    return (SRC / Path(*name.split(".")) / "__init__.py").exists()


def layer_page(title: str, intro: str, names: tuple[str, ...]) -> str:
    """A reference page: every public module of the packages, each with its members."""
    lines = [f"# {title}", "", intro, ""]
    for package in names:
        for module in public_modules(package):
            lines.append(f"::: {module}")
            if _is_package(module):
                lines.append(_PACKAGE_OPTIONS)
            lines.append("")
    return "\n".join(lines)


def _group(module: str) -> str:
    for title, prefixes in GROUPS:
        if any(module == p or module.startswith(p + ".") for p in prefixes):
            return title
    return "More"


def front_door_page() -> str:
    """The reference of ``evgrid.*``: every front-door name, grouped."""
    import evgrid

    exports: dict[str, str] = dict(evgrid._EXPORTS)
    for name in evgrid.__all__:
        if not name.startswith("__"):
            exports.setdefault(name, getattr(evgrid, name).__module__)
    grouped: dict[str, list[str]] = {title: [] for title, _ in GROUPS}
    for name, module in exports.items():
        grouped.setdefault(_group(module), []).append(name)
    lines = [
        "# The front door: `evgrid.*`",
        "",
        "Every name a user needs, as `evgrid.NAME` (`import evgrid` loads each on first use). "
        "[The Python front door](../api.md) shows them at work; this page is generated from "
        "their docstrings. The packages' own pages follow, by layer.",
        "",
    ]
    for title, names in grouped.items():
        if not names:
            continue
        lines += [f"## {title}", ""]
        for name in names:
            lines += [f"::: evgrid.{name}", "    options:", "      heading_level: 3", ""]
    return "\n".join(lines)


def on_config(config: Any) -> Any:
    """Quiet the Chinese word segmenter of the search index (it logs its dictionary's loading)."""
    try:
        import jieba
    except ImportError:  # the search then splits Chinese text at spaces and punctuation only
        return config
    jieba.setLogLevel(logging.WARNING)
    return config


def on_files(files: Files, config: Any) -> Files:
    """Add the generated reference pages to the site."""
    pages = {FRONT_DOOR_PAGE: front_door_page()}
    for page, title, intro, names in LAYERS:
        pages[page] = layer_page(title, intro, names)
    for page, content in pages.items():
        files.append(File.generated(config, page, content=content))
    return files


# a tag that makes the browser load something: <script src>, <img src>, <iframe src>, <source
# src>, ...; a <link> whose rel fetches (style sheets, icons, fonts, preconnect; not canonical or
# alternate, which only name an address); and url(...) / @import in CSS
_HTML_LOAD = re.compile(
    r"<(?:script|img|iframe|source|video|audio|embed|object|track|input)\b[^>]*?"
    r"\b(?:src|data|srcset|poster)\s*=\s*[\"']?\s*(?P<url>(?:https?:)?//[^\"'\s>]+)",
    re.IGNORECASE,
)
_LINK = re.compile(r"<link\b[^>]*>", re.IGNORECASE)
_LINK_HREF = re.compile(r"\bhref\s*=\s*[\"']?\s*(?P<url>(?:https?:)?//[^\"'\s>]+)", re.I)
_LINK_FETCHES = re.compile(
    r"\brel\s*=\s*[\"']?[^\"'>]*\b(?:stylesheet|icon|preload|prefetch|preconnect|dns-prefetch|"
    r"modulepreload|manifest)\b",
    re.IGNORECASE,
)
_CSS_LOAD = re.compile(
    r"(?:url\(\s*[\"']?|@import\s+[\"'])(?P<url>(?:https?:)?//[^\"')\s]+)", re.IGNORECASE
)


def _html_loads(text: str) -> list[str]:
    found = [m["url"] for m in _HTML_LOAD.finditer(text)]
    for tag in _LINK.findall(text):
        href = _LINK_HREF.search(tag)
        if href and _LINK_FETCHES.search(tag):
            found.append(href["url"])
    for style in re.findall(r"<style\b[^>]*>(.*?)</style>", text, re.DOTALL | re.IGNORECASE):
        found += [m["url"] for m in _CSS_LOAD.finditer(style)]
    return found


def external_loads(site_dir: Path) -> list[tuple[str, str]]:
    """Every (file, URL) of the built site that a browser would fetch from another host."""
    found = []
    for path in sorted(site_dir.rglob("*")):
        if path.suffix not in (".html", ".css"):
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        urls = (
            _html_loads(text)
            if path.suffix == ".html"
            else [m["url"] for m in _CSS_LOAD.finditer(text)]
        )
        found += [(str(path.relative_to(site_dir)), url) for url in urls]
    return found


def on_post_build(config: Any) -> None:
    """Warn for every resource the built site would load from another host."""
    for page, url in external_loads(Path(config["site_dir"])):
        _log.warning("%s loads %s from another host (the site must work offline)", page, url)

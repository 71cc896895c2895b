"""The docs site: its getting-started pages run as written, every front-door name has a
docstring for the generated reference, every public module has a reference page, and the source
cites no file outside the repository. (The site itself is built with warnings as errors by
``.ci/run``: ``mkdocs build --strict``.)"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import os
import re
from pathlib import Path
from types import ModuleType

import pytest

import evgrid

ROOT = Path(__file__).resolve().parents[1]
SRC = ROOT / "src"


def _hooks() -> ModuleType:
    pytest.importorskip("mkdocs", reason="the docs extra: pip install -e '.[docs]'")
    spec = importlib.util.spec_from_file_location("docs_hooks", ROOT / "tools/docs_site/hooks.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.parametrize("page", ["getting-started.md", "getting-started-zh.md"])
def test_getting_started_python_runs_and_prints_what_its_comments_say(page: str) -> None:
    text = (ROOT / "docs" / page).read_text(encoding="utf-8")
    (source,) = re.findall(r"```python\n(.*?)```", text, re.S)
    assert "from evgrid" not in source  # the front door only
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(source, page, "exec"), {})
    finally:
        os.chdir(cwd)
    prints = [line for line in source.splitlines() if line.startswith("print(")]
    printed = out.getvalue().splitlines()
    assert len(printed) == len(prints)
    said = [re.search(r"#\s*(.+)$", line) for line in prints]
    assert all(said), "every print says what it prints"
    assert printed == [m.group(1).strip() for m in said if m]


def test_the_english_and_chinese_pages_run_the_same_code() -> None:
    def code(page: str) -> list[str]:
        text = (ROOT / "docs" / page).read_text(encoding="utf-8")
        (source,) = re.findall(r"```python\n(.*?)```", text, re.S)
        return [line.split("#")[0].rstrip() for line in source.splitlines() if line.strip()]

    english = [line for line in code("getting-started.md") if line]
    chinese = [line for line in code("getting-started-zh.md") if line]
    assert english == chinese


def test_every_front_door_name_has_a_docstring() -> None:
    griffe = pytest.importorskip("griffe", reason="the docs extra: pip install -e '.[docs]'")
    package = griffe.load("evgrid", search_paths=[str(SRC)], resolve_aliases=True)
    missing = []
    for name in evgrid.__all__:
        if name.startswith("__"):
            continue
        member = package.members.get(name)
        target = member.final_target if member is not None and member.is_alias else member
        if target is None or target.docstring is None or not target.docstring.value.strip():
            missing.append(name)
    assert not missing, f"front-door names without a docstring: {missing}"


def test_the_front_door_page_lists_every_front_door_name() -> None:
    page = _hooks().front_door_page()
    listed = set(re.findall(r"^::: evgrid\.(\w+)$", page, re.M))
    assert listed == {n for n in evgrid.__all__ if not n.startswith("__")}


def test_every_public_module_has_a_reference_page() -> None:
    hooks = _hooks()
    covered = set()
    for _, _, _, names in hooks.LAYERS:
        for name in names:
            covered.update(hooks.public_modules(name))
    modules = set()
    for path in (SRC / "evgrid").rglob("*.py"):
        parts = path.relative_to(SRC).with_suffix("").parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        if any(p.startswith("_") for p in parts) or len(parts) < 2:
            continue
        modules.add(".".join(parts))
    left_out = {m for m in modules if any(m == p or m.startswith(p + ".") for p in hooks.LEFT_OUT)}
    assert modules - left_out - covered == set(), "add the package to LAYERS (tools/docs_site)"


def test_the_source_cites_no_file_outside_the_repository() -> None:
    outside = re.compile(r"DESIGN\.md|FACTS\.md|live-service\.md|design file|\bseed/0")
    found = [
        f"{path.relative_to(ROOT)}:{n}"
        for path in sorted((SRC / "evgrid").rglob("*.py"))
        for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if outside.search(line)
    ]
    assert not found, found


def test_a_resource_from_another_host_is_found_and_a_link_is_not(tmp_path: Path) -> None:
    hooks = _hooks()
    (tmp_path / "page.html").write_text(
        '<link rel="stylesheet" href="https://fonts.googleapis.com/css?family=Roboto">'
        '<script src="//cdn.example.org/x.js"></script><img src="local.png">'
        '<a href="https://github.com/evgrid/evgrid">source</a>'
        '<link rel="canonical" href="https://evgrid.example.org/page.html">'
        '<link rel="icon" href="https://example.org/favicon.png">'
        "<style>body { background: url('https://example.org/bg.png') }</style>",
        encoding="utf-8",
    )
    (tmp_path / "site.css").write_text(
        "@import 'https://example.org/font.css'; .x { background: url(data:image/svg+xml,"
        "%3Csvg xmlns='http://www.w3.org/2000/svg'/%3E) }",
        encoding="utf-8",
    )
    found = sorted(url for _, url in hooks.external_loads(tmp_path))
    assert found == [
        "//cdn.example.org/x.js",
        "https://example.org/bg.png",
        "https://example.org/favicon.png",
        "https://example.org/font.css",
        "https://fonts.googleapis.com/css?family=Roboto",
    ]


def test_numpydoc_becomes_markdown_with_cross_references(tmp_path: Path) -> None:
    griffe = pytest.importorskip("griffe", reason="the docs extra: pip install -e '.[docs]'")
    spec = importlib.util.spec_from_file_location(
        "docs_numpydoc", ROOT / "tools/docs_site/griffe_numpydoc.py"
    )
    assert spec is not None and spec.loader is not None
    numpydoc = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(numpydoc)
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "__init__.py").write_text("from pkg.mod import Thing, helper\n", encoding="utf-8")
    (package / "mod.py").write_text(
        "class Thing:\n    pass\n\ndef helper():\n    pass\n", encoding="utf-8"
    )
    obj = griffe.load("pkg", search_paths=[str(tmp_path)])
    text = (
        "See :func:`helper`, :class:`~pkg.mod.Thing` and :mod:`pkg.mod`; unknown :func:`nope`.\n"
        "A value in [0, 1] [h], code ``a[0] [1]`` kept, a role over a break :meth:`pkg.mod.\n"
        "Thing.run`.\n"
        "\n"
        "Example::\n"
        "\n"
        "    x = [1] [2]\n"
        "\n"
        ">>> [1] [2]\n"
        "[1] [2]\n"
    )
    lines = numpydoc.to_markdown(obj, text).splitlines()
    assert lines[0] == (
        'See <autoref identifier="pkg.mod.helper" optional><code>helper()</code></autoref>, '
        '<autoref identifier="pkg.mod.Thing" optional><code>Thing</code></autoref> and '
        '<autoref identifier="pkg.mod" optional><code>pkg.mod</code></autoref>; unknown '
        '<autoref identifier="nope" optional><code>nope()</code></autoref>.'
    )
    assert lines[1] == (
        r"A value in [0, 1] \[h], code ``a[0] [1]`` kept, a role over a break "
        '<autoref identifier="pkg.mod.Thing.run" optional><code>pkg.mod.Thing.run()</code>'
        "</autoref>."
    )
    assert lines[3:] == ["Example:", "", "    x = [1] [2]", "", ">>> [1] [2]", "[1] [2]"]

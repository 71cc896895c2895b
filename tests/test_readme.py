"""The README's Python example runs as written, prints what its comments say, and its parameter
table is the one generated from ``data/parameters.csv``."""

from __future__ import annotations

import contextlib
import io
import os
import re
from pathlib import Path

import pytest

from evgrid.params import (
    FIELDS_END,
    FIELDS_START,
    TABLE_END,
    TABLE_START,
    fields_markdown_table,
    markdown_table,
)

ROOT = Path(__file__).resolve().parents[1]
README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_python_example_runs_and_prints_what_its_comments_say() -> None:
    code = re.search(r"## Python\n.*?```python\n(.*?)```", README, re.S)
    assert code is not None
    source = code.group(1)
    assert "from evgrid." not in source and "import evgrid\n" in source  # top-level names only
    out = io.StringIO()
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        with contextlib.redirect_stdout(out):
            exec(compile(source, "README.md", "exec"), {})
    finally:
        os.chdir(cwd)
    printed = out.getvalue().splitlines()
    prints = [line for line in source.splitlines() if line.startswith("print(")]
    assert len(printed) == len(prints)
    checked = 0
    for line, shown in zip(prints, printed, strict=True):
        said = re.search(r"#\s*([-0-9. ]+)$", line)
        if said:
            assert shown == said.group(1).strip(), line
            checked += 1
    assert checked >= 2


def test_readme_parameter_table_is_generated_from_the_parameter_table() -> None:
    block = README.split(TABLE_START, 1)[1].split(TABLE_END, 1)[0]
    assert block.strip() == markdown_table().strip(), "run: python3 -m evgrid.params README.md"


def test_readme_site_fields_are_generated_from_the_field_table() -> None:
    block = README.split(FIELDS_START, 1)[1].split(FIELDS_END, 1)[0]
    assert block.strip() == fields_markdown_table().strip(), (
        "run: python3 -m evgrid.params README.md"
    )
    assert "`household_power_factor`" in block and "`climate`" in block


@pytest.mark.parametrize(
    "path", ["README.md", *sorted(p.name for p in (ROOT / "docs").glob("*.md"))]
)
def test_docs_cite_no_document_outside_the_repository(path: str) -> None:
    file = ROOT / path if path == "README.md" else ROOT / "docs" / path
    text = file.read_text(encoding="utf-8")
    assert not re.search(r"FACTS|[Ii]ssue #?\d+", text), path


def test_api_page_examples_run_in_order() -> None:
    text = (ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```python\n(.*?)```", text, re.S)
    assert len(blocks) >= 6
    names: dict[str, object] = {}
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        for block in blocks:
            exec(compile(block, "docs/api.md", "exec"), names)
    finally:
        os.chdir(cwd)
    assert names["orderly"].max_pile_ratio_p50 > 0.9  # type: ignore[attr-defined]


def test_jobs_page_example_runs_and_its_tables_are_generated() -> None:
    from evgrid.jobs.__main__ import rewrite

    text = (ROOT / "docs" / "jobs.md").read_text(encoding="utf-8")
    assert rewrite(text) == text, "run: python3 -m evgrid.jobs docs/jobs.md"
    (block,) = re.findall(r"```python\n(.*?)```", text, re.S)
    names: dict[str, object] = {}
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        exec(compile(block, "docs/jobs.md", "exec"), names)
    finally:
        os.chdir(cwd)
    assert names["answer"].to_dict()["kind"] == "hosting"  # type: ignore[attr-defined]

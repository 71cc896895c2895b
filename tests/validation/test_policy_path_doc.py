"""``docs/policy-path.md``: its computed block is what the model gives today (regenerate with
``python3 tools/policy_path_doc.py``)."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]


def test_the_policy_path_page_is_computed() -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    try:
        import policy_path_doc
    finally:
        sys.path.remove(str(ROOT / "tools"))
    text = (ROOT / "docs" / "policy-path.md").read_text("utf-8")
    start = text.index(policy_path_doc.START)
    end = text.index(policy_path_doc.END) + len(policy_path_doc.END) + 1
    assert text[start:end] == policy_path_doc.block(), "run: python3 tools/policy_path_doc.py"

"""Build evgrid's wheel with and without a C compiler and check each is tagged by what it holds.

With the compiler: a platform wheel (``cp3XX-cp3XX-<platform>``, ``Root-Is-Purelib: false``)
that contains the C kernels (``evgrid/charging/_valleyc.*.so`` or ``.pyd``). Without one
(``CC=false``, so the C build fails as on a machine without a compiler): a ``py3-none-any``
wheel (``Root-Is-Purelib: true``) with no compiled module. Both builds go through
``pip wheel`` (with build isolation, as ``pip install`` builds), each from a clean ``build/``
folder, since setuptools would otherwise reuse a module compiled before. Exit status 1 with one
line per failed check.

Run from the repository root::

    python tools/check_wheels.py [--keep DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
EXTENSION = "evgrid/charging/_valleyc"
"""Path of the compiled module inside the wheel, before its platform suffix."""


def build(out: Path, env: dict[str, str]) -> Path:
    """``pip wheel`` of the repository into ``out``; the one wheel it wrote."""
    shutil.rmtree(ROOT / "build", ignore_errors=True)  # no module compiled by an earlier build
    run = subprocess.run(
        [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet", "-w", str(out), str(ROOT)],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    if run.returncode != 0:
        sys.exit(f"pip wheel failed ({env or 'with the compiler'}):\n{run.stderr[-3000:]}")
    wheels = list(out.glob("evgrid-*.whl"))
    if len(wheels) != 1:
        sys.exit(f"pip wheel wrote {len(wheels)} evgrid wheels in {out}")
    return wheels[0]


def check(wheel: Path, compiled: bool) -> list[str]:
    """What is wrong with the wheel, one line each (nothing when it is right)."""
    with zipfile.ZipFile(wheel) as z:
        names = z.namelist()
        meta = next(n for n in names if n.endswith(".dist-info/WHEEL"))
        fields = dict(
            line.split(": ", 1) for line in z.read(meta).decode().splitlines() if ": " in line
        )
    modules = [n for n in names if n.startswith(EXTENSION) and n.endswith((".so", ".pyd"))]
    tag = wheel.name.removesuffix(".whl").split("-", 2)[2]
    problems = []
    if compiled:
        if tag.endswith("-none-any") or not tag.startswith("cp"):
            problems.append(f"{wheel.name}: a platform tag expected (the C kernels are built)")
        if fields.get("Root-Is-Purelib") != "false":
            problems.append(f"{wheel.name}: Root-Is-Purelib should be false")
        if len(modules) != 1:
            problems.append(f"{wheel.name}: one compiled {EXTENSION} expected, found {modules}")
    else:
        if tag != "py3-none-any":
            problems.append(f"{wheel.name}: py3-none-any expected (no compiler, nothing built)")
        if fields.get("Root-Is-Purelib") != "true":
            problems.append(f"{wheel.name}: Root-Is-Purelib should be true")
        if modules:
            problems.append(f"{wheel.name}: no compiled module expected, found {modules}")
    return problems


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep", type=Path, help="write the two wheels here (else a temp dir)")
    opts = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="evgrid-wheels-") as tmp:
        out = opts.keep or Path(tmp)
        platform = build(out / "compiler", {})
        pure = build(out / "no-compiler", {"CC": "false"})
        shutil.rmtree(ROOT / "build", ignore_errors=True)
        problems = check(platform, compiled=True) + check(pure, compiled=False)
    for line in problems:
        print(line, file=sys.stderr)
    if problems:
        sys.exit(1)
    print(f"wheels: {platform.name} (C kernels), {pure.name} (no compiler)")


if __name__ == "__main__":
    main()

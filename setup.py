"""Build of evgrid's optional C kernels (everything else is in ``pyproject.toml``).

The valley-filling kernels in C (``evgrid.charging._valleyc``, declared as an optional extension
in ``pyproject.toml``) are built where a C compiler and the Python headers are present. Where the
build fails (no compiler, no headers, or ``CC=false``), or where ``EVGRID_BUILD_C=0`` asks for
none, the install goes on without them: valley filling then runs the numba kernels (the ``numba``
extra, ``pip install "evgrid[numba]"``), with the same numbers. A wheel is tagged by what it
holds: a platform wheel with the compiled module, ``py3-none-any`` without it.
"""

from __future__ import annotations

import os
import sys

from setuptools import setup
from setuptools.command.bdist_wheel import bdist_wheel
from setuptools.command.build_ext import build_ext

BUILD_C_ENV = "EVGRID_BUILD_C"
"""Environment variable: ``0`` builds no C kernels (a pure-Python wheel, as without a
compiler)."""


class OptionalBuildExt(build_ext):
    """``build_ext`` that drops every optional extension it could not build, so the
    distribution (and the wheel's tag) no longer claims it."""

    def run(self) -> None:
        if os.environ.get(BUILD_C_ENV, "1") == "0":
            self.extensions = []
        else:
            super().run()
        missing = [
            ext for ext in self.extensions if not os.path.exists(self.get_ext_fullpath(ext.name))
        ]
        if missing or not self.extensions:
            names = ", ".join(ext.name for ext in missing) or "evgrid.charging._valleyc"
            print(
                f"evgrid: the C kernels ({names}) were not built; valley filling will need "
                "numba: pip install 'evgrid[numba]'",
                file=sys.stderr,
            )
        built = [ext for ext in self.extensions if ext not in missing]
        self.extensions = built
        self.distribution.ext_modules = built


class TaggedBdistWheel(bdist_wheel):
    """``bdist_wheel`` whose tag follows what the build made: ``py3-none-any`` when no
    extension module was built."""

    def run(self) -> None:
        if not self.skip_build:
            self.run_command("build")  # may drop the C kernels (see OptionalBuildExt)
        self.root_is_pure = not (
            self.distribution.has_ext_modules() or self.distribution.has_c_libraries()
        )
        super().run()


setup(cmdclass={"build_ext": OptionalBuildExt, "bdist_wheel": TaggedBdistWheel})

"""evgrid's version, in one place (the package metadata reads it: ``pyproject.toml``)."""

__version__ = "0.3.0.dev0"

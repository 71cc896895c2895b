"""Import every command module so that its commands register on the app."""

from __future__ import annotations

from evgrid.cli import (
    city,
    demand,
    hosting,
    incentives,
    network,
    reproduce,
    schedule,
    serve,
    service,
)

__all__ = [
    "city",
    "demand",
    "hosting",
    "incentives",
    "network",
    "reproduce",
    "schedule",
    "serve",
    "service",
]

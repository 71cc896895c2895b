"""The command list ``evgrid --help`` shows without loading any command says what each command's
own help says."""

from __future__ import annotations

import pytest
from typer.testing import CliRunner

import evgrid.cli
from evgrid.cli.app import COMMANDS

HANDED_OVER = ("simulate-chargers",)
"""Commands that replace the process with another program (``evgrid-sim``): run apart."""


@pytest.mark.parametrize("name", sorted(set(COMMANDS) - set(HANDED_OVER)))
def test_the_listed_help_is_the_commands_own(name: str) -> None:
    result = CliRunner().invoke(evgrid.cli.app, [name, "--help"])
    assert result.exit_code == 0, result.output
    own = " ".join(result.output.split("\n\n", 2)[1].split())
    listed = " ".join(COMMANDS[name][1].split())
    assert own.startswith(listed.rstrip(".")), (own, listed)


def test_every_registered_command_is_listed() -> None:
    runner = CliRunner()
    assert runner.invoke(evgrid.cli.app, ["--help"]).exit_code == 0
    for name in set(COMMANDS) - set(HANDED_OVER):
        runner.invoke(evgrid.cli.app, [name, "--help"])
    from evgrid.cli import service  # registers the handed-over command without running it

    assert service.simulate_cmd is not None
    registered = {info.name for info in evgrid.cli.app.registered_commands}
    assert registered == set(COMMANDS)

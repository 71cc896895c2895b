"""One place to add an option: a field declared on a request object reaches the command line,
the HTTP API's schema and the web form, with its unit, range and refusal, and nothing else is
edited."""

from __future__ import annotations

import subprocess
import sys
import textwrap

SCRIPT = textwrap.dedent(
    """
    import dataclasses
    import json

    import evgrid.jobs.hosting as hosting
    from evgrid.jobs.fields import option

    @dataclasses.dataclass(frozen=True, kw_only=True)
    class Extended(hosting.HostingRequest):
        reserve_kw: float | None = option(
            help="A test option: power kept in reserve [kW]", allowed="(0, 10]", unit="kW",
            zh="备用功率",
        )

    hosting.HostingRequest = Extended  # the one declaration; the faces import it from here

    from typer.testing import CliRunner
    import evgrid.cli
    from fastapi.testclient import TestClient
    from evgrid.web.app import create_app
    from evgrid.web.settings import Settings

    runner = CliRunner()
    help_text = runner.invoke(evgrid.cli.app, ["hosting", "--help"]).output
    refused = runner.invoke(
        evgrid.cli.app, ["hosting", "src/evgrid/data/cases/B.yaml", "--reserve-kw", "20"]
    )
    client = TestClient(create_app(Settings()), base_url="http://127.0.0.1")
    schema = client.get("/openapi.json").json()
    bad = client.post("/api/hosting", json={"case": "B", "reserve_kw": 20})
    form = client.get("/?lang=zh").text
    print(json.dumps({
        "help": help_text,
        "refused": refused.output,
        "code": refused.exit_code,
        "schema": json.dumps(schema),
        "api_error": bad.json(),
        "form": form,
    }))
    """
)


def test_an_option_declared_once_reaches_every_face() -> None:
    import json

    run = subprocess.run(
        [sys.executable, "-c", SCRIPT], capture_output=True, text=True, timeout=120, check=True
    )
    out = json.loads(run.stdout.strip().splitlines()[-1])
    assert "--reserve-kw" in out["help"] and "power kept in reserve [kW]" in out["help"]
    assert out["code"] == 2
    assert "--reserve-kw: got 20.0; allowed: a number in (0, 10] [kW]" in out["refused"]
    assert '"reserve_kw"' in out["schema"] and "power kept in reserve [kW]" in out["schema"]
    assert (
        out["api_error"]["field"] == "reserve_kw" and out["api_error"]["pointer"] == "/reserve_kw"
    )
    assert 'name="reserve_kw"' in out["form"] and "备用功率" in out["form"]

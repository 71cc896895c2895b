"""The same hostile site document through every entry point: the command line (a file), the
web upload, the JSON API and a Python call give the same refusal, field and words."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner

import evgrid
import evgrid.cli
from evgrid.web.app import create_app
from evgrid.web.settings import Settings

SITE: dict[str, Any] = {
    "kind": "residential",
    "name": "Community A",
    "built": 1985,
    "households": 810,
    "parking_spaces": 324,
    "transformer_kva": 1250,
    "regular_peak_kw": 880,
    "regular_valley_kw": 352,
}
CASES = [
    pytest.param({"households": True}, "households", id="boolean-count"),
    pytest.param({"households": 2000.5}, "households", id="fractional-count"),
    pytest.param({"households": {"a": 620}}, "households", id="mapping-field"),
    pytest.param({"transformer_kva": -5}, "transformer_kva", id="negative-rating"),
    pytest.param({"transformer_kva": "big"}, "transformer_kva", id="text-rating"),
    pytest.param({"power_factor": 1.5}, "power_factor", id="power-factor"),
    pytest.param({"type": "ancient"}, "type", id="bad-choice"),
    pytest.param({"colour": "red"}, None, id="unknown-key"),
    pytest.param({"kind": "factory"}, "kind", id="bad-kind"),
    pytest.param({"households": None}, "households", id="missing-field"),
    pytest.param({"name": ""}, "name", id="empty-name"),
    pytest.param({"regular_peak_kw": 10**400}, "regular_peak_kw", id="huge-integer"),
]


def _document(change: dict[str, Any]) -> dict[str, Any]:
    doc = {**SITE, **change}
    return {k: v for k, v in doc.items() if v is not None}


def _words(message: str, where: str) -> str:
    """The message without what holds the document (a file name, ``site``)."""
    assert message.startswith(where), (message, where)
    return message[len(where) :]


@pytest.fixture(scope="module")
def client() -> Any:
    with TestClient(create_app(Settings()), base_url="http://127.0.0.1") as c:
        yield c


@pytest.mark.parametrize(("change", "field"), CASES)
def test_every_entry_point_refuses_alike(
    client: TestClient, tmp_path: Path, change: dict[str, Any], field: str | None
) -> None:
    doc = _document(change)
    text = yaml.safe_dump(doc, allow_unicode=True)
    # Python
    with pytest.raises(evgrid.InputError) as info:
        evgrid.parse_site(doc, where="site")
    python = _words(str(info.value), "site")
    assert info.value.field == field
    # the command line, on a file
    path = tmp_path / "site.yaml"
    path.write_text(text, encoding="utf-8")
    run = CliRunner().invoke(evgrid.cli.app, ["hosting", str(path)])
    assert run.exit_code == 2 and run.output.count("\n") == 1, run.output
    cli = _words(run.output.strip().removeprefix("evgrid: error: "), str(path))
    # the web upload
    upload = client.post("/api/hosting/upload", files={"site": ("site.yaml", text.encode())})
    assert upload.status_code == 422
    web = _words(upload.json()["error"], "site.yaml")
    # the JSON API
    api = client.post("/api/hosting", json={"site": doc})
    assert api.status_code == 422
    body = api.json()
    assert body.get("field") == field
    # the command line and the web app cut a line at 300 characters (a long temporary path, or
    # the list of a site's every key, can make it longer)
    for face in (cli, web, _words(body["error"], "site")):
        assert python == face or (face.endswith("…") and python.startswith(face[:-1])), (
            python,
            face,
        )

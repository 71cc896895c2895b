"""The HTTP API with FastAPI's test client: every endpoint, good and bad input.

Hosting answers are the library's own ``HostingResult.to_dict()``; refusals are the library's
one-line messages (the command line's, with the request's field instead of the option).
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import yaml
from fastapi.testclient import TestClient
from typer.testing import CliRunner
from webtools import B_SITE

import evgrid
import evgrid.cli
from evgrid.planning.hosting import site_hosting

CURVE_24 = "power_kw\n" + "\n".join(
    str(v) for v in [700, 650, 620, 600, 600, 620, 700, 800, 850, 850, 860, 870,
                     880, 860, 850, 860, 900, 1000, 1200, 1300, 1250, 1100, 900, 800]
) + "\n"  # fmt: skip
"""A measured day of 24 hourly points [kW]."""


def _yaml(doc: dict[str, Any]) -> bytes:
    return yaml.safe_dump(doc).encode()


def test_health_and_cases(client: TestClient) -> None:
    assert client.get("/api/health").json() == {"status": "ok", "version": evgrid.__version__}
    cases = client.get("/api/cases").json()
    assert set(cases) == {"A", "B", "C", "open", "closed"}
    assert cases["B"]["households"] == 1734 and cases["open"]["kind"] == "office"


def test_validate_json_good_and_bad(client: TestClient) -> None:
    ok = client.post("/api/sites/validate", json=B_SITE)
    assert ok.status_code == 200 and ok.json()["valid"] is True
    assert ok.json()["site"]["transformer_kva"] == 3200.0
    bad = client.post("/api/sites/validate", json={**B_SITE, "transformer_kva": -5})
    assert bad.status_code == 422
    assert bad.json() == {
        "error": "site: transformer_kva: got -5; allowed: a finite number > 0 [kVA]",
        "field": "transformer_kva",
        "pointer": "/transformer_kva",
        "allowed": "a finite number > 0 [kVA]",
        "unit": "kVA",
    }
    unknown = client.post("/api/sites/validate", json={**B_SITE, "colour": "red"})
    assert unknown.status_code == 422 and "unknown key 'colour'" in unknown.json()["error"]
    assert client.post("/api/sites/validate", json=[1, 2]).status_code == 422
    not_json = client.post(
        "/api/sites/validate", content=b"{", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 422 and not_json.json()["error"].startswith("body: not valid")


def test_validate_refuses_a_client_path(client: TestClient) -> None:
    doc = {**B_SITE, "load_curve": "/etc/passwd"}
    del doc["regular_peak_kw"], doc["regular_valley_kw"]
    r = client.post("/api/sites/validate", json=doc)
    assert r.status_code == 422
    assert r.json()["error"].startswith("site: load_curve: got '/etc/passwd'; allowed: an uploaded")


def test_validate_upload_with_curve(client: TestClient) -> None:
    doc = {k: v for k, v in B_SITE.items() if not k.startswith("regular")}
    doc["load_curve"] = "ignored.csv"
    files = {
        "site": ("b.yaml", _yaml(doc), "application/yaml"),
        "load_curve": ("my curve.csv", CURVE_24.encode(), "text/csv"),
    }
    r = client.post("/api/sites/validate/upload", files=files)
    assert r.status_code == 200, r.text
    assert r.json()["site"]["load_curve"] == "(uploaded)"
    assert r.json()["load_curve"] == {
        "days": 1,
        "points_per_day": 24,
        "slot_min": 60.0,
        "peak_kw": 1300.0,
    }
    short = CURVE_24.rsplit("\n", 2)[0] + "\n"  # 23 points
    files["load_curve"] = ("my curve.csv", short.encode(), "text/csv")
    bad = client.post("/api/sites/validate/upload", files=files)
    assert bad.status_code == 422
    message = bad.json()["error"]
    assert message.startswith("my curve.csv") and "evgrid-upload" not in message
    assert "/tmp" not in message


@pytest.mark.parametrize(
    ("data", "name", "expected"),
    [
        (b"kind: [unclosed", "s.yaml", "s.yaml line 1: got 'kind: [unclosed'; allowed: valid YAML"),
        (b"\xff\xfe", "s.yaml", "s.yaml: got None; allowed: a mapping of fields"),
        (b"a: &x [1]\nb: *x\n", "s.yaml", "s.yaml: kind: got None"),
        (b"\x80abc", "s.yaml", "s.yaml line 1: got 'byte 0x80, not UTF-8 or GB18030 text'"),
        (b"{", "s.json", "s.json line 1: got '{'; allowed: valid JSON"),
        (b"kind: residential", "s.txt", "site: got 's.txt'; allowed: a .yaml, .yml, .json file"),
    ],
)
def test_validate_upload_bad_documents(
    client: TestClient, data: bytes, name: str, expected: str
) -> None:
    r = client.post("/api/sites/validate/upload", files={"site": (name, data)})
    assert r.status_code == 422 and expected in r.json()["error"]


def test_hosting_json_is_the_library_result(client: TestClient) -> None:
    r = client.post("/api/hosting", json={"site": B_SITE})
    assert r.status_code == 200
    expected = [res.to_dict() for res in site_hosting(evgrid.parse_site(B_SITE, where="site"))]
    doc, want = r.json(), json.loads(json.dumps(expected))
    assert doc["kind"] == "hosting" and doc["result"]["results"] == want
    assert doc["results"] == want  # 0.2's key, kept for one release
    by_case = client.post("/api/hosting", json={"case": "B"}).json()["results"]
    assert [x["max_pile_ratio_p50"] for x in by_case] == [x["max_pile_ratio_p50"] for x in expected]


def test_upgrade_is_the_librarys_site_upgrade(client: TestClient) -> None:
    r = client.post("/api/upgrade", json={"site": B_SITE})
    assert r.status_code == 200, r.text
    site = evgrid.parse_site(B_SITE, where="site")
    expected = evgrid.site_upgrade(site, evgrid.city_settings())
    assert r.json()["result"] == json.loads(json.dumps(expected.to_dict()))
    doc = r.json()
    assert doc["scenario"] == "medium" and doc["years"] == [2025, 2030, 2035, 2040, 2050]
    assert [u["strategy"] for u in doc["upgrades"]] == ["uncontrolled", "orderly", "partial"]
    assert len(doc["results"]) == 3 * 5
    body = {"case": "C", "scenario": "high", "strategies": ["uncontrolled", "orderly"],
            "cost_per_kva": 300}  # fmt: skip
    unc = client.post("/api/upgrade", json=body).json()["upgrades"][0]
    assert unc["upgrade_year"] == 2030  # the design basis (report basis: 2025)
    assert unc["cost_yuan"] == unc["unit_kva"] * unc["units"] * 300
    ts = {"case": "C", "method": "timeseries", "days": 2, "seed": 4, "strategies": ["orderly"]}
    got = client.post("/api/upgrade", json=ts).json()
    want = evgrid.site_upgrade(
        evgrid.report_cases()["C"],
        evgrid.city_settings(method="timeseries", days=2, seed=4, strategies="orderly"),
    )
    assert got["result"] == json.loads(json.dumps(want.to_dict())) and got["method"] == "timeseries"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"case": "B", "scenario": "nope"},
         "scenario: got 'nope'; allowed: one of high, medium, report"),
        ({"case": "B", "scenario": "src/evgrid/data/scenarios/high.yaml"},
         "scenario: got 'src/evgrid/data/scenarios/high.yaml'; allowed: one of high, medium"),
        ({"case": "B", "days": 3}, "days: got 3; allowed: not used by the index method"),
        ({"case": "B", "strategies": ["tou"]}, "strategies: got 'tou'; allowed: a comma-separated"),
        ({"case": "B", "method": "exact"}, "method: got 'exact'; allowed: one of index, timeseri"),
        ({"case": "B", "limit": 50}, "limit: got 50.0; allowed: a number in (0, 2] [pu]"),
        ({"case": "B", "criterion": "hotspot"}, "criterion: got 'hotspot'; allowed: 'loading'"),
        ({"case": "B", "colour": 1}, "colour: unknown option"),
        ({}, "site: give either site"),
        ({"site": {k: v for k, v in B_SITE.items() if k != "built"}},
         "Community B: type: got None; allowed: old, sub-new or new"),
    ],
)  # fmt: skip
def test_upgrade_refuses_in_one_line(
    client: TestClient, body: dict[str, Any], expected: str
) -> None:
    r = client.post("/api/upgrade", json=body)
    assert r.status_code == 422
    error = r.json()["error"]
    assert error.startswith(expected), error
    assert "\n" not in error


def test_upgrade_and_city_take_modes_through_the_declaration(client: TestClient) -> None:
    body = {"case": "A", "modes": "report", "strategies": ["orderly"], "scenario": "report"}
    r = client.post("/api/upgrade", json=body)
    assert r.status_code == 200, r.text
    want = evgrid.site_upgrade(
        evgrid.report_cases()["A"],
        evgrid.city_settings("report", strategies="orderly", modes="report"),
    )
    assert r.json()["result"] == json.loads(json.dumps(want.to_dict()))
    row = r.json()["results"][0]
    assert row["modes"] == "report (old)" and row["hub_dc_chargers"] >= 1
    for bad, field in (
        ({**body, "modes": "shares.yaml"}, "modes"),  # a file comes as an upload, never a path
        ({**body, "hub_connection": "roof"}, "hub_connection"),
        ({"case": "A", "hub_connection": "own-unit"}, "hub_connection"),
    ):
        refused = client.post("/api/upgrade", json=bad)
        assert refused.status_code == 422 and refused.json()["field"] == field, refused.text
    spec = client.get("/openapi.json").json()
    form = spec["paths"]["/api/jobs/city"]["post"]["requestBody"]["content"]
    props = form["multipart/form-data"]["schema"]["properties"]
    assert {"modes", "hub_connection"} <= set(props)


def test_incentives_with_v2g_money_flows(client: TestClient) -> None:
    body = {"case": "A", "days": 3, "v2g": True, "tariff": "chengdu-2023"}
    r = client.post("/api/incentives", json=body)
    assert r.status_code == 200, r.text
    result = r.json()["result"]
    flows = result["money_flows"]
    assert sum(flows["net_yuan"].values()) == pytest.approx(-flows["wear_yuan"])
    assert result["v2g"]["money"]["discharged_kwh"] > 0
    for bad, field in (
        ({**body, "v2g_share": 2}, "v2g_share"),
        ({"case": "A", "wear_yuan_per_kwh": 0.2}, "wear_yuan_per_kwh"),  # only with v2g
        ({**body, "discharge_kw": "fast"}, "discharge_kw"),
    ):
        refused = client.post("/api/incentives", json=bad)
        assert refused.status_code == 422, refused.text
        error = refused.json()["error"]
        assert error.startswith(f"{field}: got ") and "\n" not in error, error


def test_hosting_timeseries_with_options(client: TestClient) -> None:
    body = {"case": "A", "method": "timeseries", "strategy": "tou", "days": 5, "seed": 3}
    r = client.post("/api/hosting", json={**body, "curves": True})
    assert r.status_code == 200
    (got,) = r.json()["results"]
    site = evgrid.report_cases()["A"]
    want = evgrid.hosting(site, method="timeseries", strategy="tou", days=5, rng=3)
    assert got["max_pile_ratio_p50"] == want.max_pile_ratio_p50
    assert got["curve"][10]["loading_p95"] == pytest.approx(float(want.loading_p95[10]), 1e-12)
    assert got["at_limit_p95"] is not None and len(got["at_limit_p95"]["hour_h"]) == 96


def _cli_error(args: list[str], tmp_path: Path) -> str:
    site = tmp_path / "site.yaml"
    site.write_text(yaml.safe_dump(B_SITE), encoding="utf-8")
    result = CliRunner().invoke(evgrid.cli.app, ["hosting", str(site), *args])
    assert result.exit_code == 2
    line = result.output.strip().removeprefix("evgrid: error: ")
    head, sep, rest = line.partition(":")
    return head.removeprefix("--").replace("-", "_") + sep + rest


@pytest.mark.parametrize(
    ("body", "args"),
    [
        ({"limit": 50.0}, ["--limit", "50"]),
        ({"participation": 5.0}, ["--participation", "5"]),
        ({"days": 3}, ["--days", "3"]),
        ({"study_year": 1500}, ["--study-year", "1500"]),
        ({"method": "timeseries", "days": 0}, ["--method", "timeseries", "--days", "0"]),
        ({"method": "timeseries", "criterion": "hotspot", "limit": 500.0},
         ["--method", "timeseries", "--criterion", "hotspot", "--limit", "500"]),
        ({"criterion": "hotspot"}, ["--criterion", "hotspot"]),
        ({"seed": 4}, ["--seed", "4"]),
    ],
)  # fmt: skip
def test_hosting_refuses_what_the_cli_refuses_in_the_same_words(
    client: TestClient, tmp_path: Path, body: dict[str, Any], args: list[str]
) -> None:
    r = client.post("/api/hosting", json={"site": B_SITE, **body})
    assert r.status_code == 422
    assert r.json()["error"] == _cli_error(args, tmp_path)


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"case": "B", "seed": -1, "method": "timeseries"}, "seed: got -1; allowed: a whole"),
        ({"case": "B", "days": "x", "method": "timeseries"}, "days: got 'x'; allowed: a whole"),
        ({"case": "B", "limit": "high"}, "limit: got 'high'; allowed: a number"),
        ({"case": "B", "dayz": 3}, "dayz: unknown option"),
        ({"case": "Z"}, "case: got 'Z'; allowed: one of A, B, C, open, closed"),
        ({}, "site: give either site"),
        ({"case": "B", "site": B_SITE}, "site: give either site"),
        ({"case": "B", "strategy": "fastest"}, "strategy: got 'fastest'"),
        (
            {"case": "B", "method": "exact"},
            "method: got 'exact'; allowed: one of index, timeseries",
        ),
    ],
)
def test_hosting_bad_requests(client: TestClient, body: dict[str, Any], expected: str) -> None:
    r = client.post("/api/hosting", json=body)
    assert r.status_code == 422
    assert r.json()["error"].startswith(expected), r.json()


def test_a_type_error_is_as_structured_as_a_library_error(client: TestClient) -> None:
    """A value of the wrong type, refused by the request model before the library sees it,
    carries the field, its JSON pointer, what is allowed and the unit, as a library error does."""
    r = client.post("/api/hosting", json={"case": "B", "days": "x", "method": "timeseries"})
    assert r.status_code == 422
    body = r.json()
    assert (body["field"], body["pointer"], body["unit"]) == ("days", "/days", "day")
    assert body["allowed"].startswith("a whole number") and body["error"].startswith("days: got")
    unknown = client.post("/api/hosting", json={"case": "B", "dayz": 3}).json()
    assert (unknown["field"], unknown["pointer"]) == ("dayz", "/dayz")
    nested = client.post("/api/hosting", json={"site": "x"}).json()
    assert (nested["field"], nested["pointer"], nested["allowed"]) == (
        "site",
        "/site",
        "a JSON object",
    )


def test_hosting_upload_with_measured_curve(client: TestClient) -> None:
    doc = {k: v for k, v in B_SITE.items() if not k.startswith("regular")}
    files = {
        "site": ("b.yaml", _yaml(doc)),
        "load_curve": ("curve.csv", CURVE_24.encode()),
    }
    r = client.post("/api/hosting/upload", files=files, data={"strategy": "orderly"})
    assert r.status_code == 200, r.text
    (res,) = r.json()["results"]
    assert res["regular_load"]["basis"] == "measured curve" and res["strategy"] == "orderly"
    bad = client.post("/api/hosting/upload", files=files, data={"limit": "5"})
    assert bad.status_code == 422 and bad.json()["error"].startswith("limit: got 5.0")
    none = client.post("/api/hosting/upload", data={"limit": "0.9"})
    assert none.status_code == 422
    assert none.json()["error"] == "site: missing; required: a site document file (YAML or JSON)"


def _sessions_csv(n: int = 40) -> bytes:
    sessions = evgrid.sample_sessions(evgrid.Behaviour.preset("home"), n, days=1, rng=5)
    buffer = io.StringIO()
    columns = {
        "vehicle": sessions.vehicle,
        "arrival_h": sessions.arrival_h,
        "departure_h": sessions.departure_h,
        "energy_kwh": sessions.energy_kwh,
        "max_power_kw": sessions.max_power_kw,
    }
    buffer.write(",".join(columns) + "\n")
    for row in zip(*(np.asarray(v).tolist() for v in columns.values()), strict=True):
        buffer.write(",".join(repr(x) for x in row) + "\n")
    return buffer.getvalue().encode()


def test_schedule_json_csv_and_errors(client: TestClient, tmp_path: Path) -> None:
    data = _sessions_csv()
    files = {"sessions": ("week.csv", data)}
    r = client.post("/api/schedule", files=files, data={"strategy": "valley-filling"})
    assert r.status_code == 200, r.text
    path = tmp_path / "s.csv"
    path.write_bytes(data)
    want = evgrid.schedule(evgrid.read_sessions(path), "valley-filling")
    assert r.json()["summary"]["peak_kw"] == pytest.approx(want.peak_kw, rel=1e-12)
    assert len(r.json()["columns"]["charging_kw"]) == want.grid.n_slots
    csv = client.post(
        "/api/schedule", files=files, data={"strategy": "uncontrolled", "format": "csv"}
    )
    assert csv.status_code == 200 and csv.text.startswith("slot,start_h,base_kw,charging_kw")
    out = tmp_path / "out.csv"
    args = ["schedule", "--sessions", str(path), "--strategy", "uncontrolled", "--out", str(out)]
    assert CliRunner().invoke(evgrid.cli.app, args).exit_code == 0
    assert csv.text == out.read_text(encoding="utf-8")  # the file the CLI writes
    for form, expected in (
        ({"strategy": "fastest"}, "strategy: got 'fastest'"),
        ({"strategy": "edf", "slot_min": "7"}, "slot_min: got 7.0"),
        ({"strategy": "tou", "participation": "2"}, "participation: got 2.0"),
        ({"strategy": "tou", "format": "xml"}, "format: got 'xml'"),
        ({}, "strategy: missing"),
    ):
        bad = client.post("/api/schedule", files=files, data=form)
        assert bad.status_code == 422 and bad.json()["error"].startswith(expected), bad.json()
    broken = client.post(
        "/api/schedule", files={"sessions": ("x.csv", b"a,b\n1,2\n")}, data={"strategy": "tou"}
    )
    assert broken.status_code == 422 and broken.json()["error"].startswith("x.csv")
    wrong = client.post(
        "/api/schedule", files={"sessions": ("x.exe", b"MZ")}, data={"strategy": "tou"}
    )
    assert wrong.status_code == 422 and "x.exe" in wrong.json()["error"]


def test_openapi_and_docs_are_served_offline(client: TestClient) -> None:
    spec = client.get("/openapi.json").json()
    for path in ("/api/hosting", "/api/upgrade", "/api/schedule", "/api/jobs/reproduce",
                 "/api/jobs/city", "/api/sites/validate",
                 "/api/jobs/{job_id}/files/{name}"):  # fmt: skip
        assert path in spec["paths"]
    docs = client.get("/docs").text
    assert "/vendor/docs/swagger-ui-bundle.js" in docs and "cdn" not in docs.lower()
    assert client.get("/vendor/docs/swagger-ui-bundle.js").status_code == 200
    js = client.get("/vendor/plotly.min.js")
    assert js.status_code == 200 and len(js.content) > 1_000_000


def test_unknown_paths_and_methods(client: TestClient) -> None:
    r = client.get("/api/nothing")
    assert r.status_code == 404 and r.json()["error"].startswith("path: got '/api/nothing'")
    assert client.get("/api/hosting").status_code == 405
    assert client.get("/nothing").status_code == 404
    assert "text/html" in client.get("/nothing").headers["content-type"]

"""The web pages with the test client: form, result, downloads, languages, jobs, errors."""

from __future__ import annotations

import csv
import io
import json
import re
import time
from pathlib import Path
from typing import Any

import yaml
from fastapi.testclient import TestClient
from webtools import B_SITE, small_city

import evgrid
from evgrid.city.settings import METHODS
from evgrid.planning.basis import basis_names
from evgrid.planning.hosting import site_hosting
from evgrid.planning.scenarios import scenario_names
from evgrid.planning.years import STRATEGIES
from evgrid.report.city import site_upgrade_table
from evgrid.report.tables import hosting_table

FORM_B = {k: str(v) for k, v in B_SITE.items()}


def _result(client: TestClient, data: dict[str, str], files: Any = None) -> Any:
    r = client.post("/site", data=data, files=files, follow_redirects=False)
    assert r.status_code == 303, r.text[:2000]
    assert r.headers["location"].startswith("/results/")
    return r.headers["location"]


def test_form_in_both_languages(client: TestClient) -> None:
    en = client.get("/")
    assert en.status_code == 200 and '<html lang="en">' in en.text
    assert 'name="households"' in en.text and 'src="/static/evgrid.js"' in en.text
    zh = client.get("/?lang=zh")
    assert '<html lang="zh">' in zh.text and "户数（户）" in zh.text and "配变容量" in zh.text
    assert "evgrid_lang=zh" in zh.headers["set-cookie"]
    assert '<html lang="zh">' in client.get("/").text  # remembered
    assert '<html lang="en">' in client.get("/?lang=en").text
    for text in (en.text, zh.text):
        assert "http://" not in text and "https://" not in text  # nothing from elsewhere


def test_site_form_gives_the_library_numbers(client: TestClient) -> None:
    location = _result(client, FORM_B)
    page = client.get(location).text
    expected = site_hosting(evgrid.parse_site(B_SITE, where="site"))
    ratios = re.findall(r'data-max-pile-ratio-p50="([^"]+)"', page)
    assert [float(x) for x in ratios] == [r.max_pile_ratio_p50 for r in expected]
    for row in hosting_table(expected, "en").rows:
        assert "".join(f"<td>{cell}</td>" for cell in row) in page
    assert 'id="chart-hosting"' in page and 'id="chart-daily"' in page
    assert "/vendor/plotly.min.js" in page


def test_every_download_of_a_result(client: TestClient) -> None:
    location = _result(client, FORM_B)
    page = client.get(location).text
    names = sorted(set(re.findall(r'href="' + location + r'/files/([^"?]+)', page)))
    assert names == [
        "chart-daily.csv",
        "chart-daily.html",
        "chart-hosting.csv",
        "chart-hosting.html",
        "result.json",
        "table-hosting.csv",
        "table-upgrade.csv",
    ]
    for name in names:
        r = client.get(f"{location}/files/{name}")
        assert r.status_code == 200, name
        assert "attachment" in r.headers["content-disposition"]
        if name.endswith(".csv"):
            rows = list(csv.reader(io.StringIO(r.text)))
            assert len(rows) > 1 and all(len(x) == len(rows[0]) for x in rows)
        elif name.endswith(".html"):
            assert "Plotly.newPlot" in r.text and "cdn" not in r.text[:5000].lower()
    doc = client.get(f"{location}/files/result.json").json()
    site = evgrid.parse_site(B_SITE, where="site")
    assert doc["results"][0]["max_pile_ratio_p50"] == evgrid.hosting(site).max_pile_ratio_p50
    assert doc["results"][0]["basis"] == "design"
    assert len(doc["daily_load"]["hour_h"]) == 96
    assert doc["upgrade"]["scenario"] == "medium" and len(doc["upgrade"]["upgrades"]) == 2
    curve = client.get(f"{location}/files/chart-hosting.csv").text.splitlines()
    assert curve[0].startswith("site,method,strategy") and len(curve) == 1 + 2 * 101
    assert client.get(f"{location}/files/../../etc/passwd").status_code == 404
    assert client.get(f"{location}/files/secret.txt").status_code == 404


def test_result_page_in_chinese(client: TestClient) -> None:
    location = _result(client, FORM_B)
    page = client.get(location + "?lang=zh").text
    assert "无序充电：车位配桩率最高 19.3 %" in page and "有序充电" in page  # design basis
    assert "日负荷曲线" in page and "实测" in page
    table = client.get(f"{location}/files/table-hosting.csv?lang=zh").text
    assert table.startswith("充电策略")


def test_timeseries_result_shows_the_band_beside_the_index(client: TestClient) -> None:
    data = {**FORM_B, "method": "timeseries", "days": "3", "seed": "7", "strategy": "tou"}
    page = client.get(_result(client, data)).text
    want = evgrid.hosting(
        evgrid.parse_site(B_SITE, where="site"), method="timeseries", strategy="tou", days=3, rng=7
    )
    assert f'data-max-pile-ratio-p95="{want.max_pile_ratio_p95!r}"' in page
    assert 'id="chart-limit-1"' in page and 'id="table-index"' in page
    assert 'id="table-curve-1"' in page


def test_index_form_ignores_the_time_series_fields(client: TestClient) -> None:
    page = client.get(_result(client, {**FORM_B, "days": "9", "seed": "3"})).text
    assert page.count('class="result"') == 2


def test_uploaded_site_document_with_a_measured_curve(client: TestClient) -> None:
    doc = {k: v for k, v in B_SITE.items() if not k.startswith("regular")}
    curve = "power_kw\n" + "\n".join(["800"] * 12 + ["1500"] * 12) + "\n"
    files = {
        "site_file": ("b.yaml", yaml.safe_dump(doc).encode()),
        "curve_file": ("metered.csv", curve.encode()),
    }
    page = client.get(_result(client, {"kind": "residential"}, files)).text
    assert "measured curve" in page


def test_bad_form_keeps_the_values_and_says_why(client: TestClient) -> None:
    r = client.post("/site", data={**FORM_B, "households": "many", "limit": "0.7"})
    assert r.status_code == 422
    assert "site: households: got &#39;many&#39;; allowed: a whole number &gt;= 1" in r.text
    assert 'value="many"' in r.text and 'value="0.7"' in r.text
    bad_limit = client.post("/site", data={**FORM_B, "limit": "7"})
    assert bad_limit.status_code == 422 and "limit: got 7.0; allowed" in bad_limit.text
    files = {"site_file": ("s.yaml", b"kind: [")}
    broken = client.post("/site", data={"kind": "residential"}, files=files)
    assert broken.status_code == 422 and "s.yaml line 1: got " in broken.text
    path = {"site_file": ("s.yaml", yaml.safe_dump({**B_SITE, "load_curve": "/etc/x"}).encode())}
    refused = client.post("/site", data={"kind": "residential"}, files=path)
    assert refused.status_code == 422 and "the web app opens no path" in refused.text
    assert client.get("/api/health").status_code == 200


def test_office_park_form(client: TestClient) -> None:
    office = {"kind": "office", "name": "Open office park", "floor_area_m2": "130000",
              "parking_spaces": "845", "transformer_kva": "20000", "regular_peak_kw": "8360",
              "peak_year": "2021", "households": "999"}  # fmt: skip
    page = client.get(_result(client, office)).text
    assert 'data-year="2025"' in page and 'data-year="2030"' in page


def test_unknown_result_and_pages(client: TestClient) -> None:
    r = client.get("/results/nope")
    assert r.status_code == 404 and "result: got &#39;nope&#39;" in r.text
    assert client.get("/site", follow_redirects=False).headers["location"] == "/"


def _upgrades(page: str) -> list[tuple[str, str, str, str]]:
    return re.findall(
        r'data-strategy="([^"]+)" data-upgrade-year="([^"]*)"\s+data-unit-kva="([^"]*)" '
        r'data-units="([^"]*)"',
        page,
    )


def test_result_page_shows_the_upgrade_year_of_the_library(client: TestClient) -> None:
    default = client.get(_result(client, FORM_B)).text
    assert 'id="upgrade-summary" data-scenario="medium"' in default  # the parameter's default
    page = client.get(_result(client, {**FORM_B, "scenario": "high", "limit": "0.9"})).text
    expected = evgrid.site_upgrade(
        evgrid.parse_site(B_SITE, where="site"),
        evgrid.city_settings("high", strategies="uncontrolled,orderly", limit=0.9),
    )
    want = [
        (
            r["strategy"],
            "" if r["upgrade_year"] is None else str(r["upgrade_year"]),
            "" if r["unit_kva"] is None else f"{r['unit_kva']:g}",
            str(r["units"]),
        )
        for r in expected.upgrades
    ]
    assert _upgrades(page) == want
    assert [w[0] for w in want] == ["uncontrolled", "orderly"] and want[0][1] == "2025"
    line = f"uncontrolled: upgrade in 2025, add {want[0][3]} × {want[0][2]} kVA (now 3200 kVA)"
    assert line in page
    for row in site_upgrade_table(expected, "en").rows:
        assert "".join(f"<td>{cell}</td>" for cell in row) in page
    zh = client.get(_result(client, {**FORM_B, "scenario": "high"}) + "?lang=zh").text
    # the design basis: beside B's 3200 kVA, four 1000 kVA units in a new room
    assert "情景下的增容改造年份" in zh and "无序充电：2025 年需增容改造，新增 4 × 1000 kVA" in zh


def test_upgrade_year_needs_a_community_type_and_a_bundled_scenario(client: TestClient) -> None:
    no_type = {k: v for k, v in FORM_B.items() if k != "built"}
    page = client.get(_result(client, no_type)).text
    assert 'id="upgrade-none"' in page and "type: got None; allowed: old, sub-new or new" in page
    assert page.count('class="result"') == 2  # the hosting capacity is there all the same
    bad = client.post("/site", data={**FORM_B, "scenario": "/etc/passwd"})
    assert bad.status_code == 422
    assert "scenario: got &#39;/etc/passwd&#39;; allowed: one of high, medium, report" in bad.text


def test_city_page_offers_the_librarys_scenarios_strategies_and_methods(
    client: TestClient, tmp_path: Path
) -> None:
    page = client.get("/city").text
    assert 'id="city-form"' in page
    selects = {
        name: re.findall(r'<option value="([^"]+)"', body)
        for name, body in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', page, re.S)
    }
    assert selects["scenario"] == list(scenario_names()) and selects["method"] == list(METHODS)
    assert selects["basis"] == list(basis_names())
    assert ">medium: " in page and 'name="cost_per_kva"' in page  # every option of the city
    boxes = re.findall(r'type="checkbox" name="strategies" value="([^"]+)"', page)
    assert tuple(boxes) == (*STRATEGIES, "v2g") == ("uncontrolled", "orderly", "partial", "v2g")
    ticked = re.findall(r'name="strategies" value="([^"]+)" id="[^"]+" checked', page)
    assert tuple(ticked) == STRATEGIES  # v2g (time series only) is not ticked by default
    assert 'name="modes"' in page and 'name="hub_connection"' in page
    zh = client.get("/city?lang=zh").text
    assert "部分有序充电" in zh and "规划指标模型" in zh
    city = small_city(tmp_path)
    form = {"scenario": "report", "method": "index", "strategies": ["orderly"], "days": "9"}
    r = client.post(
        "/city?lang=zh",
        data=form,
        files={"sites": ("c.csv", city.read_bytes())},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text  # the index method ignores the time-series fields
    status = _wait_done(client, r.headers["location"].rsplit("/", 1)[1])
    assert status["state"] == "done", status
    doc = client.get(f"/api/jobs/{status['id']}/result").json()
    assert doc["scenario"] == "report" and doc["strategies"] == ["orderly"]
    job = client.get(r.headers["location"]).text
    assert "打开汇总页面" in job and "summary.html" in job
    bad = client.post("/city", data={"scenario": "x"}, files={"sites": ("c.csv", b"kind\n")})
    assert bad.status_code == 422 and "情景: got &#39;x&#39;" in bad.text  # the field's label
    none = client.post("/city", files={"sites": ("c.csv", city.read_bytes())})
    assert none.status_code == 422
    assert "策略: none ticked; allowed: one or more of uncontrolled" in none.text
    zh_bad = client.post(
        "/city?lang=zh", data={"scenario": "x"}, files={"sites": ("c.csv", b"k\n")}
    )
    assert zh_bad.status_code == 422 and "情景: got &#39;x&#39;" in zh_bad.text  # the label


def _wait_done(client: TestClient, job_id: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status: dict[str, Any] = client.get(f"/api/jobs/{job_id}").json()
        if status["state"] in ("done", "failed", "cancelled"):
            return status
        time.sleep(0.02)
    raise AssertionError("job did not finish")


def test_incentives_page_shows_who_pays_whom_and_the_v2g_day(client: TestClient) -> None:
    page = client.get("/incentives?lang=zh").text
    assert 'name="v2g"' in page and 'name="wear_yuan_per_kwh"' in page and "激励措施" in page
    assert 'name="workers"' not in page and 'name="method"' not in page  # a city's options
    data = {"case": "A", "days": "3", "v2g": "true", "tariff": "chengdu-2023"}
    r = client.post("/incentives?lang=zh", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text[:2000]
    job_id = r.headers["location"].rsplit("/", 1)[1]
    assert _wait_done(client, job_id)["state"] == "done"
    job = client.get(f"/jobs/{job_id}").text
    assert "谁向谁支付" in job and "V2G 典型日" in job and "sankey" in job
    names = set(re.findall(rf'href="/jobs/{job_id}/files/([^"]+)" download>', job))
    assert {"incentives.html", "incentives.json", "chart-money-flows.html"} <= names
    assert {"chart-v2g-day.html"} <= names
    doc = client.get(f"/api/jobs/{job_id}/result").json()
    assert doc["kind"] == "incentives" and doc["result"]["v2g"]["money"]["revenue_yuan"] > 0
    bad = client.post("/incentives", data={"case": "A", "v2g": "true", "v2g_share": "2"})
    assert bad.status_code == 422 and "v2g_share: got 2.0" in bad.text
    none = client.post("/incentives", data={"case": "Z"})
    assert none.status_code == 422 and "site: missing" in none.text


def test_reproduction_page_job_and_downloads(client: TestClient) -> None:
    assert 'name="timeseries"' in client.get("/reproduce").text
    r = client.post("/reproduce?lang=zh", data={"timeseries": "false"}, follow_redirects=False)
    assert r.status_code == 303
    job_id = r.headers["location"].rsplit("/", 1)[1]
    assert _wait_done(client, job_id)["state"] == "done"
    page = client.get(f"/jobs/{job_id}").text
    assert 'data-state="done"' in page and "不足10%" in page
    names = re.findall(rf'href="/jobs/{job_id}/files/([^"]+)" download>', page)
    assert {
        "reproduce.json",
        "evgrid-report.html",
        "evgrid-与报告对比.csv",
        "chart-hosting-A.html",
    } <= set(names)
    for name in set(names):
        assert client.get(f"/jobs/{job_id}/files/{name}").status_code == 200, name
    doc = json.loads(client.get(f"/jobs/{job_id}/files/reproduce.json").text)
    assert doc["residential"][1]["case"] == "B"
    bad = client.post("/reproduce", data={"days": "0"})
    assert bad.status_code == 422 and "days: got 0" in bad.text
    cancel = client.post(f"/jobs/{job_id}/cancel", follow_redirects=False)
    assert cancel.status_code == 303
    assert client.get("/jobs/nope").status_code == 404

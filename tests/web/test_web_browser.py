"""End to end in a real headless browser: Debian's Chromium driven by Playwright.

The test starts ``evgrid serve`` on a free loopback port and stops it; every wait is bounded.
It fills the site form for the report's community B and checks the page against the library
(the call ``evgrid hosting`` makes, and the site's upgrade year as a city run computes it),
saves a screenshot (``EVGRID_SCREENSHOT=docs/web-result.png`` refreshes the docs' picture),
switches the language, runs a background job from its page to its downloads, and uploads a
small synthetic city and downloads its results.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from webtools import B_SITE, SMALL_CITY_SITES, Server, small_city

import evgrid
from evgrid.city.settings import city_settings
from evgrid.planning.hosting import site_hosting
from evgrid.planning.reproduce import reproduce
from evgrid.report.city import city_report
from evgrid.report.tables import hosting_table

pytestmark = pytest.mark.browser

SCREENSHOT_ENV = "EVGRID_SCREENSHOT"
"""Where to save the result page's screenshot (``docs/web-result.png`` to refresh the docs'
picture); by default a temporary folder: tests write nothing in the repository."""
JOB_WAIT_MS = 60_000
"""Longest wait for a background job in the browser [ms]."""


@pytest.fixture
def page(browser_context: Any, server: Server) -> Iterator[Any]:
    """A fresh tab; it fails the test if the page loads anything from another host."""
    tab = browser_context.new_page()
    foreign: list[str] = []
    tab.on(
        "request",
        lambda r: (
            None if r.url.startswith((server.url, "data:", "blob:")) else foreign.append(r.url)
        ),
    )
    errors: list[str] = []
    tab.on("pageerror", lambda e: errors.append(str(e)))
    yield tab
    tab.close()
    assert foreign == [], f"requests to other hosts: {foreign}"
    assert errors == [], f"script errors: {errors}"


def _fill_b(page: Any) -> None:
    page.select_option("#field-kind", "residential")
    for name, value in B_SITE.items():
        if name != "kind":
            page.fill(f"#field-{name}", str(value))


def test_site_form_for_community_b(page: Any, server: Server, tmp_path: Path) -> None:
    page.goto(server.url + "/?lang=en")
    _fill_b(page)
    page.click("#run")
    page.wait_for_selector("#chart-hosting .main-svg")
    page.wait_for_selector("#chart-daily .main-svg")
    expected = site_hosting(evgrid.parse_site(B_SITE, where="site"))
    items = page.locator("#summary li.result")
    assert items.count() == 2
    for i, r in enumerate(expected):
        item = items.nth(i)
        assert item.get_attribute("data-strategy") == r.strategy
        assert float(item.get_attribute("data-max-pile-ratio-p50")) == r.max_pile_ratio_p50
        assert int(item.get_attribute("data-max-piles-p50")) == r.max_piles_p50
    rows = page.locator("#table-hosting tr").all_inner_texts()[1:]
    cells = [[c.strip() for c in row.split("\t")] for row in rows]
    assert cells == hosting_table(expected, "en").rows
    traces = page.evaluate(
        "() => document.querySelector('#chart-hosting .js-plotly-plot').data.length"
    )
    assert traces == 4  # two lines and their two largest ratios
    upgrade = evgrid.site_upgrade(
        evgrid.parse_site(B_SITE, where="site"), city_settings(strategies="uncontrolled,orderly")
    )
    items = page.locator("#upgrade-summary li")
    assert items.count() == 2
    for i, r in enumerate(upgrade.upgrades):
        assert items.nth(i).get_attribute("data-strategy") == r["strategy"]
        year = "" if r["upgrade_year"] is None else str(r["upgrade_year"])  # none by the last year
        assert items.nth(i).get_attribute("data-upgrade-year") == year
        assert items.nth(i).get_attribute("data-units") == str(r["units"])
    page.evaluate("() => window.scrollTo(0, 0)")
    shot = Path(os.environ.get(SCREENSHOT_ENV) or tmp_path / "web-result.png")
    page.screenshot(path=str(shot), full_page=True)
    assert shot.stat().st_size > 10_000
    with page.expect_download() as info:
        page.click("#chart-hosting a[href$='chart-hosting.csv']")
    data = Path(info.value.path()).read_text(encoding="utf-8").splitlines()
    assert data[0].startswith("site,method,strategy") and len(data) == 1 + 2 * 101
    with page.expect_download() as info:
        page.click("#download-json")
    doc = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert [r["max_pile_ratio_p50"] for r in doc["results"]] == [
        r.max_pile_ratio_p50 for r in expected
    ]


def test_a_report_case_from_the_list_and_a_bad_value(page: Any, server: Server) -> None:
    page.goto(server.url + "/?lang=en")
    page.select_option("#case", "B")
    assert page.input_value("#field-households") == "1734"
    page.fill("#field-transformer_kva", "-5")
    page.click("#run")
    page.wait_for_selector("#error")
    assert (
        "site: transformer rating [kVA]: got -5; allowed: a finite number > 0 [kVA]"
        in page.inner_text("#error")
    )
    assert page.input_value("#field-transformer_kva") == "-5"


def test_switch_language(page: Any, server: Server) -> None:
    page.goto(server.url + "/?lang=en")
    _fill_b(page)
    page.click("#run")
    page.wait_for_selector("#chart-hosting .main-svg")
    page.click("#lang-switch")
    page.wait_for_selector("html[lang=zh]")
    page.wait_for_selector("#chart-hosting .main-svg")
    assert "无序充电：车位配桩率最高 19.3 %" in page.inner_text("#summary")
    assert "车位配桩率" in page.inner_text("#chart-hosting")
    page.click("#lang-switch")
    page.wait_for_selector("html[lang=en]")
    assert "uncontrolled: up to 19.3 %" in page.inner_text("#summary")


def test_background_job_from_its_page_to_its_download(page: Any, server: Server) -> None:
    page.goto(server.url + "/reproduce?lang=en")
    page.select_option("#rep-timeseries", "false")
    page.click("#reproduce-start")
    page.wait_for_selector("#job-state[data-state=done]", timeout=JOB_WAIT_MS)
    assert page.locator("#job-progress").get_attribute("value") == "1.0"
    page.wait_for_selector("#chart-hosting-A .main-svg")
    with page.expect_download() as info:
        page.click("a.download[href$='reproduce.json']")
    doc = json.loads(Path(info.value.path()).read_text(encoding="utf-8"))
    assert doc["kind"] == "reproduce" and doc["request"] == {"timeseries": False}
    expected = json.loads(json.dumps(reproduce().to_dict()))
    assert {k: doc["result"][k] for k in expected} == expected
    with page.expect_download() as info:
        page.click("a.download[href$='evgrid-beside-the-report.csv']")
    assert Path(info.value.path()).read_text(encoding="utf-8").startswith("case,quantity")


def test_city_upload_progress_and_download(page: Any, server: Server, tmp_path: Path) -> None:
    city = small_city(tmp_path)
    page.goto(server.url + "/city?lang=en")
    page.set_input_files("#city-file", str(city))
    page.select_option("#city-scenario", "high")
    assert page.is_hidden("#city-days")  # time-series options only with that method
    page.uncheck("#city-strategies-partial")
    page.click("#city-start")
    page.wait_for_selector("#job-progress")
    page.wait_for_selector("#job-state[data-state=done]", timeout=JOB_WAIT_MS)
    assert page.locator("#job-progress").get_attribute("value") == "1.0"
    page.wait_for_selector("#chart-evening-peak .main-svg")
    expected = city_report(
        city, city_settings("high", strategies="uncontrolled,orderly"), tmp_path / "run"
    )
    want = pd.read_csv(expected.files["results.csv"])
    assert len(want) == SMALL_CITY_SITES * 5 * 2  # sites × years × strategies
    with page.expect_download() as info:
        page.click("a.download[href$='/results.csv']")
    got = pd.read_csv(info.value.path())
    pd.testing.assert_frame_equal(got, want)
    assert set(got["strategy"]) == {"uncontrolled", "orderly"} and set(got["scenario"]) == {"high"}
    with page.expect_download() as info:
        page.click("a.download[href$='/upgrades.parquet']")
    upgrades = pd.read_parquet(info.value.path())
    assert len(upgrades) == SMALL_CITY_SITES * 2
    pd.testing.assert_frame_equal(upgrades, pd.read_parquet(expected.files["upgrades.parquet"]))

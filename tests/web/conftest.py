"""Fixtures of the web app's tests: an app and its test client, a real server, a browser.

The browser tests run in Debian's Chromium (``/usr/bin/chromium``) driven by Playwright, never a
browser that Playwright downloads. Where Chromium or Playwright is missing they FAIL (CI must not
pass without them); ``EVGRID_SKIP_BROWSER=1`` skips them on a machine that cannot run them.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from webtools import CHROMIUM, CHROMIUM_FLAGS, SKIP_BROWSER_ENV, TOKEN, Server, make_client


@pytest.fixture
def client() -> Iterator[TestClient]:
    """The default app: loopback, no token."""
    with make_client() as c:
        yield c


@pytest.fixture
def token_client() -> Iterator[TestClient]:
    """An app bound beyond loopback, so with an access token."""
    with make_client(host="0.0.0.0", token=TOKEN) as c:
        yield c


@pytest.fixture(scope="module")
def server() -> Iterator[Server]:
    """A real server (uvicorn) for the module's tests."""
    s = Server("--max-upload-mb", "1")
    yield s
    s.stop()


def _browser_missing(reason: str) -> None:
    if os.environ.get(SKIP_BROWSER_ENV) == "1":
        pytest.skip(f"{reason} ({SKIP_BROWSER_ENV}=1)")
    pytest.fail(f"{reason}; install it (.ci/run does) or set {SKIP_BROWSER_ENV}=1", pytrace=False)


@pytest.fixture(scope="module")
def browser_context(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """A headless Chromium with a fresh profile, driven by Playwright."""
    if os.environ.get(SKIP_BROWSER_ENV) == "1":
        pytest.skip(f"browser tests skipped ({SKIP_BROWSER_ENV}=1)")
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _browser_missing("the playwright package is not installed")
    if not (Path(CHROMIUM).is_file() or shutil.which(CHROMIUM)):
        _browser_missing(f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    profile = tmp_path_factory.mktemp("chromium-profile")
    downloads = tmp_path_factory.mktemp("downloads")
    with sync_playwright() as p:
        context = p.chromium.launch_persistent_context(
            str(profile),
            executable_path=CHROMIUM,
            headless=True,
            args=CHROMIUM_FLAGS,
            accept_downloads=True,
            downloads_path=str(downloads),
            viewport={"width": 1280, "height": 900},
        )
        context.set_default_timeout(30_000)
        try:
            yield context
        finally:
            context.close()

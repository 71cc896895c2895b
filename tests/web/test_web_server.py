"""The real server: ``evgrid serve`` (uvicorn) in a child process on a free loopback port.

Twenty concurrent requests answer correctly; a bad upload leaves the server serving; a token
given on loopback is checked too. Every request goes to 127.0.0.1 and has a timeout.
"""

from __future__ import annotations

import json
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
from webtools import B_SITE, TOKEN, Server

import evgrid
from evgrid.planning.hosting import site_hosting

TIMEOUT_S = 60.0
"""Longest wait for one answer [s]."""
CONCURRENT = 20


def call(
    url: str, body: Any = None, *, data: bytes | None = None, headers: dict[str, str] | None = None
) -> tuple[int, Any]:
    """One request; the status and the JSON answer (or the text)."""
    head = dict(headers or {})
    if body is not None:
        data = json.dumps(body).encode()
        head["content-type"] = "application/json"
    request = urllib.request.Request(url, data=data, headers=head)
    try:
        with urllib.request.urlopen(request, timeout=TIMEOUT_S) as response:
            status, text = response.status, response.read().decode()
    except urllib.error.HTTPError as exc:
        status, text = exc.code, exc.read().decode()
    try:
        return status, json.loads(text)
    except ValueError:
        return status, text


def test_startup_line(server: Server) -> None:
    assert server.startup_line.startswith("evgrid serve: http://127.0.0.1:")
    assert "loopback only, no access token" in server.startup_line
    assert call(server.url + "/api/health")[1]["status"] == "ok"


def _request(i: int) -> tuple[dict[str, Any], list[float]]:
    """The i-th of the concurrent requests and the pile ratios the library gives for it."""
    cases = evgrid.report_cases()
    name = ["A", "B", "C", "open", "closed"][i % 5]
    if i % 4 == 3:
        body = {"case": name, "method": "timeseries", "days": 2, "seed": i}
        want = site_hosting(cases[name], method="timeseries", days=2, rng=i)
    elif i % 4 == 2:
        body = {"site": {**B_SITE, "transformer_kva": 2000 + 100 * i}, "limit": 0.9}
        site = evgrid.parse_site(body["site"], where="site")
        want = site_hosting(site, limit=0.9)
    else:
        body = {"case": name}
        want = site_hosting(cases[name])
    return body, [r.max_pile_ratio_p50 for r in want]


def test_twenty_concurrent_requests_answer_correctly(server: Server) -> None:
    jobs = [_request(i) for i in range(CONCURRENT)]
    with ThreadPoolExecutor(CONCURRENT) as pool:
        answers = list(pool.map(lambda job: call(server.url + "/api/hosting", job[0]), jobs))
    for (body, want), (status, doc) in zip(jobs, answers, strict=True):
        assert status == 200, (body, doc)
        assert [r["max_pile_ratio_p50"] for r in doc["results"]] == want, body


def test_a_bad_upload_leaves_the_server_serving(server: Server) -> None:
    too_big = b"x" * (2 * 1024 * 1024)  # the server's limit is 1 MiB
    status, doc = call(server.url + "/api/sites/validate", data=too_big)
    assert status == 413 and doc["error"].startswith("upload: larger than the limit")
    boundary = "evgridtest"
    broken = (f'--{boundary}\r\nContent-Disposition: form-data; name="site"\r\n\r\nab').encode()
    status, _ = call(
        server.url + "/api/hosting/upload",
        data=broken,
        headers={"content-type": f"multipart/form-data; boundary={boundary}"},
    )
    assert 400 <= status < 500
    status, doc = call(server.url + "/api/sites/validate", data=b"\x00\xff{")
    assert status == 422
    status, doc = call(server.url + "/api/hosting", {"case": "B"})
    assert status == 200 and doc["results"][0]["max_piles_p50"] == 335  # the design basis


def test_a_token_on_loopback_is_checked_too() -> None:
    s = Server(env={"EVGRID_TOKEN": TOKEN})
    try:
        assert "access token required" in s.startup_line and TOKEN not in s.startup_line
        assert call(s.url + "/api/health")[0] == 401
        auth = {"Authorization": f"Bearer {TOKEN}"}
        assert call(s.url + "/api/health", headers=auth)[0] == 200
    finally:
        s.stop()


def test_serve_refuses_a_busy_port(server: Server) -> None:
    port = server.url.rsplit(":", 1)[1]
    with pytest.raises(RuntimeError, match="cannot listen on 127.0.0.1:" + port):
        Server("--port", port)


def test_uploads_and_job_folders_are_removed(tmp_path: Path) -> None:
    s = Server(env={"TMPDIR": str(tmp_path)})
    try:
        status, job = call(s.url + "/api/jobs/reproduce", {"index_only": True})
        assert status == 202
        deadline = time.monotonic() + TIMEOUT_S
        while call(s.url + f"/api/jobs/{job['id']}")[1]["state"] != "done":
            assert time.monotonic() < deadline
            time.sleep(0.05)
        assert len(list(tmp_path.glob("evgrid-job-*"))) == 1
        boundary = "evgridtest"
        parts = [("site", "b.yaml", b"kind: residential\nname: B\nhouseholds: 9\n"
                  b"parking_spaces: 9\ntransformer_kva: 100\n"),
                 ("load_curve", "c.csv", b"power_kw\n1\n")]  # fmt: skip
        body = (
            b"".join(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"; '
                f'filename="{file}"\r\n\r\n'.encode()
                + data
                + b"\r\n"
                for name, file, data in parts
            )
            + f"--{boundary}--\r\n".encode()
        )
        headers = {"content-type": f"multipart/form-data; boundary={boundary}"}
        status, doc = call(s.url + "/api/hosting/upload", data=body, headers=headers)
        assert status == 422 and doc["error"].startswith("c.csv"), doc
        assert list(tmp_path.glob("evgrid-upload-*")) == []  # removed with the request
    finally:
        s.stop()
    assert list(tmp_path.glob("evgrid-*")) == []  # and the job's with the server

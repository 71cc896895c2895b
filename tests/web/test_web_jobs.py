"""Background jobs: the generic runner, the reproduction job, the city job's adapter."""

from __future__ import annotations

import sys
import threading
import time
import types
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from evgrid.errors import InputError
from evgrid.planning.reproduce import reproduce
from evgrid.web.jobs import Cancelled, Job, JobOutput, JobRunner, QueueFullError
from evgrid.web.tasks import CITY_FUNCTION, CITY_MODULE, city_runner

WAIT_S = 30.0
"""Longest wait for a job to reach a state [s]."""


def wait_for(condition: Callable[[], bool], timeout_s: float = WAIT_S) -> None:
    deadline = time.monotonic() + timeout_s
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.01)


@pytest.fixture
def runner() -> Iterator[JobRunner]:
    r = JobRunner(workers=1, max_queued=2)
    r.start()
    yield r
    r.shutdown()


def blocking(release: threading.Event, log: list[str], name: str) -> Any:
    def fn(workdir: Path, progress: Any) -> JobOutput:
        log.append(f"start {name}")
        (workdir / "upload.csv").write_text("x")
        while not release.wait(0.01):
            progress(0, 1, "waiting")
        log.append(f"end {name}")
        return JobOutput(document={"name": name}, files={"upload.csv": workdir / "upload.csv"})

    return fn


def test_one_job_at_a_time_in_order(runner: JobRunner) -> None:
    release, log = threading.Event(), []
    first = runner.submit("test", blocking(release, log, "a"))
    second = runner.submit("test", blocking(release, log, "b"))
    wait_for(lambda: first.state == "running")
    assert second.state == "queued" and runner.position(second) == 0
    release.set()
    wait_for(lambda: second.state == "done")
    assert log == ["start a", "end a", "start b", "end b"]
    assert first.output is not None and first.output.document == {"name": "a"}
    assert first.to_dict()["progress"] == 1.0


def test_cancel_queued_and_running_and_remove_the_folder(runner: JobRunner) -> None:
    release, log = threading.Event(), []
    running = runner.submit("test", blocking(release, log, "a"))
    queued = runner.submit("test", blocking(release, log, "b"))
    wait_for(lambda: running.state == "running")
    runner.cancel(queued)
    assert queued.state == "cancelled"
    runner.cancel(running)  # stops at its next progress call
    wait_for(lambda: running.state == "cancelled")
    assert log == ["start a"]
    assert running.workdir.is_dir()
    runner.remove(running)
    assert not running.workdir.exists() and runner.get(running.id) is None
    release.set()


def test_removing_a_running_job_removes_its_folder_when_it_stops(runner: JobRunner) -> None:
    release, log = threading.Event(), []
    job = runner.submit("test", blocking(release, log, "a"))
    wait_for(lambda: job.state == "running")
    runner.remove(job)
    wait_for(lambda: not job.workdir.exists())
    assert runner.get(job.id) is None


def test_failures_are_one_line_and_the_runner_goes_on(runner: JobRunner) -> None:
    def bad_input(workdir: Path, progress: Any) -> JobOutput:
        raise InputError(f"{workdir / 'sites.csv'}: row 3: households: got -1")

    def bug(workdir: Path, progress: Any) -> JobOutput:
        return JobOutput(document={"x": 1 / 0})

    failed = runner.submit("test", bad_input)
    crashed = runner.submit("test", bug)
    wait_for(lambda: crashed.state == "failed")
    assert failed.error == "sites.csv: row 3: households: got -1"
    assert crashed.error == "internal error: ZeroDivisionError"
    ok = runner.submit("test", lambda w, p: JobOutput(document={"ok": True}))
    wait_for(lambda: ok.state == "done")


def test_a_full_queue_refuses_and_leaves_no_folder(runner: JobRunner) -> None:
    release, log = threading.Event(), []
    first = runner.submit("test", blocking(release, log, "a"))
    wait_for(lambda: first.state == "running")
    runner.submit("test", blocking(release, log, "b"))
    runner.submit("test", blocking(release, log, "c"))
    folder = runner.new_workdir()
    with pytest.raises(QueueFullError, match="jobs: 2 waiting; allowed: at most 2"):
        runner.submit("test", blocking(release, log, "d"), folder)
    assert not folder.exists()
    release.set()


def test_finished_jobs_expire_with_their_folders() -> None:
    r = JobRunner(keep_s=0.0)
    job = r.submit("test", lambda w, p: JobOutput())  # starts the workers
    wait_for(lambda: job.state == "done")
    time.sleep(0.01)
    assert r.get(job.id) is None and not job.workdir.exists()
    r.shutdown()


def test_shutdown_cancels_and_cleans(runner: JobRunner) -> None:
    release = threading.Event()
    job = runner.submit("test", blocking(release, [], "a"))
    wait_for(lambda: job.state == "running")
    runner.shutdown()
    assert job.state == "cancelled" and not job.workdir.exists()


def test_progress_raises_once_cancelled(tmp_path: Path) -> None:
    job = Job(kind="test", fn=lambda w, p: JobOutput(), workdir=tmp_path)
    assert job.fraction is None
    job.progress(1, 4, "a quarter")
    assert job.fraction == 0.25 and job.to_dict()["message"] == "a quarter"
    job.cancel_requested.set()
    with pytest.raises(Cancelled):
        job.progress(2, 4)


def _wait_job(client: TestClient, job_id: str) -> dict[str, Any]:
    status: dict[str, Any] = {}

    def finished() -> bool:
        status.update(client.get(f"/api/jobs/{job_id}").json())
        return status["state"] in ("done", "failed", "cancelled")

    wait_for(finished)
    return status


def test_reproduce_job_through_the_api(client: TestClient) -> None:
    started = client.post("/api/jobs/reproduce", json={"index_only": True})
    assert started.status_code == 202 and started.headers["location"].startswith("/api/jobs/")
    job_id = started.json()["id"]
    status = _wait_job(client, job_id)
    assert status["state"] == "done" and status["progress"] == 1.0
    assert {"reproduce.json", "evgrid-report.html", "table-1.csv"} <= set(status["files"])
    result = client.get(f"/api/jobs/{job_id}/result").json()
    assert result == reproduce().to_dict()
    html = client.get(f"/api/jobs/{job_id}/files/evgrid-report.html")
    assert html.status_code == 200 and "Plotly" in html.text
    assert client.get(f"/api/jobs/{job_id}/files/table-1.csv").text.startswith("case,quantity")
    for name in ("nothing.csv", "..%2F..%2Fetc%2Fpasswd"):
        assert client.get(f"/api/jobs/{job_id}/files/{name}").status_code == 404
    assert any(j["id"] == job_id for j in client.get("/api/jobs").json()["jobs"])
    assert client.delete(f"/api/jobs/{job_id}").status_code == 204
    assert client.get(f"/api/jobs/{job_id}").status_code == 404


def test_reproduce_job_with_the_time_series_reports_progress(client: TestClient) -> None:
    started = client.post("/api/jobs/reproduce", json={"days": 2, "impact_days": 1, "seed": 1})
    job_id = started.json()["id"]
    seen: list[float] = []

    def finished() -> bool:
        status = client.get(f"/api/jobs/{job_id}").json()
        if status["progress"] is not None:
            seen.append(status["progress"])
        return status["state"] == "done"

    wait_for(finished)
    assert seen == sorted(seen) and seen[-1] == 1.0
    doc = client.get(f"/api/jobs/{job_id}/result").json()
    assert doc["timeseries_seed"] == 1 and len(doc["timeseries"]) == 10


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ({"days": 0}, "days: got 0; allowed: a whole number >= 1 [day]"),
        ({"seed": -3}, "seed: got -3; allowed: a whole number >= 0"),
        ({"index_only": True, "days": 3}, "days: got 3; allowed: not used with index_only"),
        ({"lang": "fr"}, "lang: got 'fr'; allowed: 'en' or 'zh'"),
        ({"colour": 1}, "colour: unknown option"),
    ],
)
def test_reproduce_job_refuses_bad_options_before_queueing(
    client: TestClient, body: dict[str, Any], expected: str
) -> None:
    r = client.post("/api/jobs/reproduce", json=body)
    assert r.status_code == 422 and r.json()["error"].startswith(expected)
    assert client.get("/api/jobs").json() == {"jobs": []}


def test_cancel_a_waiting_job_through_the_api(client: TestClient) -> None:
    runner: JobRunner = client.app.state.runner  # type: ignore[attr-defined]
    release = threading.Event()
    blocker = runner.submit("test", blocking(release, [], "blocker"))
    wait_for(lambda: blocker.state == "running")
    job_id = client.post("/api/jobs/reproduce", json={"index_only": True}).json()["id"]
    assert client.get(f"/api/jobs/{job_id}").json()["queue_position"] == 0
    assert client.get(f"/api/jobs/{job_id}/result").status_code == 409
    cancelled = client.post(f"/api/jobs/{job_id}/cancel").json()
    assert cancelled["state"] == "cancelled"
    release.set()
    wait_for(lambda: blocker.state == "done")
    assert client.get(f"/api/jobs/{job_id}").json()["state"] == "cancelled"
    assert client.get("/api/jobs/nope").status_code == 404
    assert client.post("/api/jobs/nope/cancel").status_code == 404


SMALL_CITY = Path(__file__).parent / "data" / "small_city.csv"
"""Six sites in the site document's fields (three residential, three office parks)."""


def test_city_job_is_501_without_the_city_module(client: TestClient) -> None:
    if city_runner() is not None:
        pytest.skip("this installation has the city module")
    r = client.post("/api/jobs/city", files={"sites": ("city.csv", SMALL_CITY.read_bytes())})
    assert r.status_code == 501 and r.json()["error"].startswith("city: not available")
    wrong = client.post("/api/jobs/city", files={"sites": ("city.txt", b"x")})
    assert wrong.status_code == 422
    assert client.get("/api/jobs").json() == {"jobs": []}


@pytest.fixture
def fake_city(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """A stand-in for the library's city batch with its signature, to test the wiring."""
    import pandas as pd

    calls: list[dict[str, Any]] = []

    def run_city(sites: Path, *, out: Path, progress: Any, **options: Any) -> None:
        calls.append({"sites": sites, **options})
        table = pd.read_csv(sites)
        out.mkdir()
        for i in range(len(table)):
            progress(i + 1, len(table))
        ranked = table.assign(upgrade_year=2030 + table.index)
        ranked.to_csv(out / "results.csv", index=False)
        ranked.to_parquet(out / "results.parquet", index=False)
        (out / "summary.html").write_text("<html><body>summary</body></html>")

    module = types.ModuleType(CITY_MODULE)
    setattr(module, CITY_FUNCTION, run_city)
    monkeypatch.setitem(sys.modules, CITY_MODULE, module)
    return calls


def test_city_job_wiring(client: TestClient, fake_city: list[dict[str, Any]]) -> None:
    r = client.post(
        "/api/jobs/city",
        files={"sites": ("my city.csv", SMALL_CITY.read_bytes())},
        data={"scenario": "medium", "strategies": "uncontrolled, valley-filling", "seed": "4"},
    )
    assert r.status_code == 202, r.text
    status = _wait_job(client, r.json()["id"])
    assert status["state"] == "done", status
    assert set(status["files"]) == {"results.csv", "results.parquet", "summary.html"}
    assert fake_city[0]["scenario"] == "medium" and fake_city[0]["seed"] == 4
    assert fake_city[0]["strategies"] == ["uncontrolled", "valley-filling"]
    csv = client.get(f"/api/jobs/{status['id']}/files/results.csv")
    assert csv.status_code == 200 and "upgrade_year" in csv.text
    parquet = client.get(f"/api/jobs/{status['id']}/files/results.parquet")
    assert parquet.content[:4] == b"PAR1"
    page = client.get(f"/jobs/{status['id']}")
    assert "upgrade_year" in page.text and "summary.html" in page.text


def test_city_upload_naming_files_is_refused(
    client: TestClient, fake_city: list[dict[str, Any]]
) -> None:
    table = SMALL_CITY.read_text().splitlines()
    with_paths = [table[0] + ",load_curve"] + [row + ",/etc/passwd" for row in table[1:]]
    r = client.post("/api/jobs/city", files={"sites": ("c.csv", "\n".join(with_paths).encode())})
    assert r.status_code == 422 and r.json()["error"].startswith("c.csv: load_curve")
    assert fake_city == []


@pytest.mark.skipif(city_runner() is None, reason="needs the library's city module")
def test_city_job_with_the_library(client: TestClient) -> None:
    r = client.post("/api/jobs/city", files={"sites": ("city.csv", SMALL_CITY.read_bytes())})
    assert r.status_code == 202, r.text
    status = _wait_job(client, r.json()["id"])
    assert status["state"] == "done", status
    assert any(name.endswith(".parquet") for name in status["files"])
    assert any(name.endswith(".csv") for name in status["files"])
    assert any(name.endswith(".html") for name in status["files"])

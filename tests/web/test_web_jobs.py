"""Background jobs: the generic runner, the reproduction job, the city job (the library's run)."""

from __future__ import annotations

import io
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner
from webtools import SMALL_CITY_SITES, small_city

import evgrid
import evgrid.cli
from evgrid.city.settings import city_settings
from evgrid.errors import InputError
from evgrid.planning.reproduce import reproduce
from evgrid.report.city import city_report, city_tables
from evgrid.web.jobs import Cancelled, Job, JobOutput, JobRunner, QueueFullError

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


def test_reproduce_job_through_the_api(client: TestClient, tmp_path: Path) -> None:
    started = client.post("/api/jobs/reproduce", json={"index_only": True})
    assert started.status_code == 202 and started.headers["location"].startswith("/api/jobs/")
    job_id = started.json()["id"]
    status = _wait_job(client, job_id)
    assert status["state"] == "done" and status["progress"] == 1.0
    assert {"reproduce.json", "evgrid-report.html", "evgrid-beside-the-report.csv"} <= set(
        status["files"]
    )
    result = client.get(f"/api/jobs/{job_id}/result").json()
    cli = CliRunner().invoke(
        evgrid.cli.app, ["reproduce", "--index-only", "--json", "--out", str(tmp_path)]
    )
    assert cli.exit_code == 0, cli.output
    assert result == json.loads(cli.stdout)  # one pipeline: the job's JSON is the command's
    assert result["result"]["residential"] == reproduce().to_dict()["residential"]
    assert result["result"]["scenario_findings"]
    html = client.get(f"/api/jobs/{job_id}/files/evgrid-report.html")
    assert html.status_code == 200 and "Plotly" in html.text
    assert client.get(f"/api/jobs/{job_id}/files/evgrid-beside-the-report.csv").text.startswith(
        "case,quantity"
    )
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
        (
            {"index_only": True, "days": 3},
            "days: got 3; allowed: not used without the time-series tier",
        ),
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


@pytest.fixture(scope="module")
def city(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small synthetic city (index method: fast)."""
    return small_city(tmp_path_factory.mktemp("city"))


def test_city_job_end_to_end_is_the_library_run(
    client: TestClient, city: Path, tmp_path: Path
) -> None:
    r = client.post(
        "/api/jobs/city",
        files={"sites": ("my city.csv", city.read_bytes())},
        data={"scenario": "high", "strategies": "uncontrolled, orderly", "lang": "zh"},
    )
    assert r.status_code == 202, r.text
    status = _wait_job(client, r.json()["id"])
    assert status["state"] == "done", status
    assert status["progress"] == 1.0 and status["message"] == "8 of 8 sites"
    assert set(status["files"]) == {
        "results.parquet",
        "results.csv",
        "upgrades.parquet",
        "upgrades.csv",
        "errors.csv",
        "summary.json",
        "summary.html",
    }
    settings = city_settings("high", strategies="uncontrolled,orderly")
    expected = city_report(city, settings, tmp_path / "run", lang="zh")
    base = f"/api/jobs/{status['id']}"
    assert client.get(f"{base}/result").json()["result"] == json.loads(
        json.dumps(expected.run.summary)
    )
    parquet = client.get(f"{base}/files/results.parquet")
    assert parquet.content[:4] == b"PAR1"
    got = pd.read_parquet(io.BytesIO(parquet.content))
    pd.testing.assert_frame_equal(got, pd.read_parquet(expected.files["results.parquet"]))
    assert len(got) == SMALL_CITY_SITES * len(settings.scenario.years) * 2
    upgrades = client.get(f"{base}/files/upgrades.csv")
    assert upgrades.text == expected.files["upgrades.csv"].read_text(encoding="utf-8")
    summary = client.get(f"{base}/files/summary.html").text
    page_part, _, envelope = summary.partition(
        '<script type="application/json" id="evgrid-envelope">'
    )
    assert page_part + "</body>\n</html>" == expected.page.read_text(encoding="utf-8")
    embedded = json.loads(envelope.split("</script>")[0])
    assert embedded["kind"] == "city" and embedded["result"] == json.loads(
        json.dumps(expected.run.summary)
    )
    page = client.get(f"/jobs/{status['id']}?lang=zh").text
    for table in city_tables(expected.run.summary, "zh"):
        assert f"{table.title} <a" in page
    assert 'id="chart-evening-peak"' in page and "summary.html" in page
    assert client.get(f"/jobs/{status['id']}/files/chart-upgrades-orderly.html").status_code == 200


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ({"scenario": "/etc/passwd"}, "scenario: got '/etc/passwd'; allowed: one of high, medium"),
        ({"scenario": "nope"}, "scenario: got 'nope'; allowed: one of high, medium, report"),
        ({"days": "5"}, "days: got 5; allowed: not used by the index method"),
        (
            {"strategies": "valley-filling"},
            "strategies: got 'valley-filling'; allowed: a comma-separated list",
        ),
        ({"method": "exact"}, "method: got 'exact'; allowed: one of index, timeseries"),
        ({"lang": "fr"}, "lang: got 'fr'; allowed: 'en' or 'zh'"),
    ],
)
def test_city_job_refuses_bad_options_before_queueing(
    client: TestClient, city: Path, data: dict[str, str], expected: str
) -> None:
    r = client.post("/api/jobs/city", files={"sites": ("c.csv", city.read_bytes())}, data=data)
    assert r.status_code == 422 and r.json()["error"].startswith(expected), r.json()
    assert client.get("/api/jobs").json() == {"jobs": []}


SECRET = "db_password=hunter2\n"
"""A server file a hostile table names: its text must never reach a response or a result."""
CURVE_24 = "power_kw\n" + "\n".join(str(600 + 30 * h) for h in range(24)) + "\n"
"""A measured day of 24 hourly points [kW]."""


def _job_text(client: TestClient, status: dict[str, Any]) -> str:
    """Everything a client can read of a job: its status and every file it offers."""
    texts = [json.dumps(status)]
    for name in status.get("files", []):
        texts.append(client.get(f"/api/jobs/{status['id']}/files/{name}").text)
    return "\n".join(texts)


def _curve_table(header: str, curve: str) -> str:
    """Two communities whose regular load is a measured curve named by ``curve``."""
    fields = "kind,name,type,households,parking_spaces,transformer_kva"
    return (
        f"{fields},{header}\n"
        f"residential,One,old,800,300,1250,{curve}\n"
        f"residential,Two,new,600,600,1000,{curve}\n"
    )


@pytest.mark.parametrize("header", ["load_curve", " load_curve", "load_curve "])
@pytest.mark.parametrize("content", [SECRET, CURVE_24], ids=["secret", "curve-shaped"])
def test_city_upload_never_opens_a_path_it_names(
    client: TestClient, tmp_path: Path, header: str, content: str
) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text(content)  # a secret, or a server file shaped like a curve: neither is read
    table = _curve_table(header, str(secret))
    r = client.post("/api/jobs/city", files={"sites": ("c.csv", table.encode())})
    assert r.status_code in (202, 422), r.text
    if r.status_code == 202:
        status = _wait_job(client, r.json()["id"])
        assert status["state"] == "failed" and "no valid site row" in status["error"], status
        assert "hunter2" not in _job_text(client, status)
    assert "hunter2" not in r.text


def test_city_parquet_upload_with_a_padded_curve_column_opens_nothing(
    client: TestClient, tmp_path: Path
) -> None:
    secret = tmp_path / "secret.csv"
    secret.write_text(CURVE_24)  # shaped like a curve: it must still not be used
    table = pd.read_csv(io.StringIO(_curve_table("load_curve", str(secret))))
    table = table.rename(columns={"load_curve": "load_curve "})
    buffer = io.BytesIO()
    table.to_parquet(buffer)
    r = client.post("/api/jobs/city", files={"sites": ("c.parquet", buffer.getvalue())})
    assert r.status_code == 202, r.text
    status = _wait_job(client, r.json()["id"])
    assert status["state"] == "failed" and "no valid site row" in status["error"], status


def test_city_upload_takes_the_curves_sent_with_it(client: TestClient) -> None:
    table = (
        "kind,name,type,households,parking_spaces,transformer_kva,load_curve\n"
        "residential,Measured,old,800,300,1250,day.csv\n"
        "residential,Elsewhere,old,800,300,1250,/etc/passwd\n"
    )
    files = [
        ("sites", ("c.csv", table.encode(), "text/csv")),
        ("curves", ("day.csv", CURVE_24.encode(), "text/csv")),
    ]
    r = client.post("/api/jobs/city", files=files)
    assert r.status_code == 202, r.text
    status = _wait_job(client, r.json()["id"])
    assert status["state"] == "done", status
    errors = client.get(f"/api/jobs/{status['id']}/files/errors.csv").text
    assert "row 3" in errors and "load_curve" in errors and "day.csv" in errors
    assert "root:x:0" not in _job_text(client, status)
    results = client.get(f"/api/jobs/{status['id']}/files/results.csv").text
    assert "Measured" in results and "Elsewhere" not in results


def test_city_upload_refuses_two_curves_of_one_name(client: TestClient, city: Path) -> None:
    files = [
        ("sites", ("c.csv", city.read_bytes(), "text/csv")),
        ("curves", ("day.csv", CURVE_24.encode(), "text/csv")),
        ("curves", ("day.csv", CURVE_24.encode(), "text/csv")),
    ]
    r = client.post("/api/jobs/city", files=files)
    assert r.status_code == 422 and r.json()["error"].startswith("curves: got 'day.csv'")
    wrong = client.post("/api/jobs/city", files={"sites": ("city.txt", b"x")})
    assert wrong.status_code == 422
    assert client.get("/api/jobs").json() == {"jobs": []}


def test_city_job_with_no_good_row_fails_in_one_line(client: TestClient) -> None:
    bad = b"kind,name,households\nresidential,X,-5\n"
    r = client.post("/api/jobs/city", files={"sites": ("bad.csv", bad)})
    assert r.status_code == 202, r.text
    status = _wait_job(client, r.json()["id"])
    assert status["state"] == "failed"
    assert status["error"].startswith("sites.csv: no valid site row (1 refused")
    assert "evgrid-job" not in status["error"] and "/tmp" not in status["error"]

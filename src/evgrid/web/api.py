"""The HTTP API (JSON), under ``/api``: thin over the library, documented at ``/docs``.

Every hosting answer is :meth:`evgrid.HostingResult.to_dict`, the JSON the command line prints;
every refusal is ``{"error": LINE}`` with the library's one-line message (422). Uploads are read
into a temporary folder of the request (or of the job) and parsed there; the folder is removed
with it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, File, Form, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from fastapi.security import HTTPBearer
from pydantic import BaseModel, ConfigDict, Field
from starlette.concurrency import run_in_threadpool
from starlette.exceptions import HTTPException

from evgrid.errors import EvgridError, InputError, bad_value
from evgrid.fileio import write_csv
from evgrid.grid.site import CASE_NAMES, Site, report_cases
from evgrid.web import services
from evgrid.web.jobs import Job, JobRunner
from evgrid.web.tasks import city_job, reproduce_job
from evgrid.web.uploads import (
    CITY_SUFFIXES,
    CURVE_SUFFIXES,
    SESSION_SUFFIXES,
    SITE_SUFFIXES,
    Workspace,
    client_name,
    read_document,
    site_from_document,
    suffix_of,
)

router = APIRouter(prefix="/api", dependencies=[Depends(HTTPBearer(auto_error=False))])
"""Every endpoint; the bearer scheme puts the token field in ``/docs`` (the guard checks it)."""

EXAMPLE_SITE: dict[str, Any] = {
    "kind": "residential",
    "name": "Community B",
    "built": 2005,
    "households": 1734,
    "parking_spaces": 1734,
    "transformer_kva": 3200,
    "regular_peak_kw": 1883,
    "regular_valley_kw": 753,
}
"""The report's community B (report section 3.2, table 2)."""


class HostingOptions(BaseModel):
    """Options of a hosting run: those of ``evgrid hosting``; unset means the library's default."""

    model_config = ConfigDict(extra="forbid")

    method: str | None = Field(None, description="index (default) or timeseries")
    strategy: str | None = Field(
        None, description="default: index uncontrolled and orderly, timeseries uncontrolled"
    )
    participation: float | None = Field(None, description="share of cars following [0-1]")
    criterion: str | None = Field(None, description="loading, hotspot or ageing")
    limit: float | None = Field(None, description="limit of the criterion [pu, °C, day/day]")
    days: int | None = Field(None, description="timeseries: Monte Carlo days [day]")
    seed: int | None = Field(None, description="timeseries: seed (default 2023)")
    year: int | None = Field(None, description="index, office park: planning year")
    study_year: int | None = Field(None, description="index, residential: study year")


class HostingRequest(HostingOptions):
    """A site (a site document, or a report case by name) and the options of the run."""

    site: dict[str, Any] | None = Field(None, description="the site document's fields")
    case: str | None = Field(None, description="a report case instead: A, B, C, open, closed")
    curves: bool = Field(False, description="also the daily curves at the limits (timeseries)")

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [{"site": EXAMPLE_SITE}, {"case": "B", "method": "timeseries", "days": 30}]
        },
    )


class UpgradeRequest(BaseModel):
    """A site (a site document, or a report case by name), a bundled scenario and the options
    of a city run (``evgrid city``); unset means the library's default."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"case": "B", "scenario": "high"},
                {"site": EXAMPLE_SITE, "strategies": ["uncontrolled", "orderly"]},
            ]
        },
    )

    site: dict[str, Any] | None = Field(None, description="the site document's fields")
    case: str | None = Field(None, description="a report case instead: A, B, C, open, closed")
    scenario: str | None = Field(
        None, description="a bundled scenario (evgrid scenarios): high, medium (default), report"
    )
    method: str | None = Field(None, description="index (default) or timeseries")
    strategies: list[str] | None = Field(
        None, description="uncontrolled, orderly, partial (default all three)"
    )
    days: int | None = Field(None, description="timeseries: Monte Carlo days [day]")
    seed: int | None = Field(None, description="timeseries: run seed (default 2023)")
    criterion: str | None = Field(None, description="loading, or timeseries: hotspot, ageing")
    limit: float | None = Field(None, description="limit of the criterion [pu, °C, day/day]")
    band: str | None = Field(None, description="timeseries: p50 or p95, the band that decides")
    cost_per_kva: float | None = Field(None, description="installed cost [yuan/kVA]")
    discount_rate: float | None = Field(None, description="discount rate [-] (default 0.08)")


class ReproduceRequest(BaseModel):
    """Options of ``evgrid reproduce``."""

    model_config = ConfigDict(extra="forbid")

    index_only: bool = Field(False, description="skip the time-series tier")
    seed: int | None = None
    days: int | None = None
    impact_days: int | None = None
    lang: str = Field("en", description="en or zh")


def _runner(request: Request) -> JobRunner:
    runner: JobRunner = request.app.state.runner
    return runner


async def _read(
    upload: UploadFile | None, field: str, allowed: tuple[str, ...]
) -> tuple[bytes, str, str] | None:
    """An upload's bytes, the client's name for messages and its suffix; None if not given."""
    if upload is None or not upload.filename:
        return None
    shown = client_name(upload.filename, field)
    suffix = suffix_of(shown, allowed, field)
    data = await upload.read()
    await upload.close()
    return data, shown, suffix


@contextlib.contextmanager
def _scrubbed(ws: Workspace) -> Iterator[None]:
    """Re-raise a library error with the server's paths replaced by the client's file names."""
    try:
        yield
    except EvgridError as exc:
        raise type(exc)(ws.scrub(str(exc))) from None


def _case(name: str) -> Site:
    if name not in CASE_NAMES:
        raise bad_value("case", name, "one of " + ", ".join(CASE_NAMES))
    return report_cases()[name]


async def _uploaded_site(
    ws: Workspace, site: UploadFile | None, load_curve: UploadFile | None
) -> Site:
    doc = await _read(site, "site", SITE_SUFFIXES)
    if doc is None:
        raise InputError("site: missing; required: a site document file (YAML or JSON)")
    curve = await _read(load_curve, "load_curve", CURVE_SUFFIXES)
    curve_path = None if curve is None else ws.save(curve[0], "load_curve", curve[2], curve[1])
    with _scrubbed(ws):
        return site_from_document(read_document(doc[0], doc[1]), doc[1], curve_path)


def _summary(site: Site) -> dict[str, Any]:
    fields = {k: v for k, v in vars(site).items() if v is not None}
    if fields.get("load_curve") is not None:
        fields["load_curve"] = "(uploaded)"
    return {"valid": True, "site": fields}


@router.get("/health", tags=["server"])
def health() -> dict[str, Any]:
    """The server answers: ``{"status": "ok", "version": ...}``."""
    from evgrid import __version__

    return {"status": "ok", "version": __version__}


@router.get("/cases", tags=["sites"])
def cases() -> dict[str, Any]:
    """The report's five cases as site documents (report sections 3.2 and 4.2)."""
    return {key: _summary(site)["site"] for key, site in report_cases().items()}


@router.post("/sites/validate", tags=["sites"])
def validate_site(
    doc: Annotated[Any, Body(examples=[EXAMPLE_SITE], description="a site document")],
) -> dict[str, Any]:
    """Validate a site document given as JSON: ``{"valid": true, "site": {...}}`` or 422 with
    the one-line message."""
    return _summary(site_from_document(doc, "site"))


@router.post("/sites/validate/upload", tags=["sites"])
async def validate_site_upload(
    site: Annotated[UploadFile, File(description="site document (YAML or JSON)")],
    load_curve: Annotated[UploadFile | None, File(description="measured load curve")] = None,
) -> dict[str, Any]:
    """Validate an uploaded site document, and its measured load curve if given (read)."""
    from evgrid.load.measured import read_load_curve

    with Workspace() as ws:
        found = await _uploaded_site(ws, site, load_curve)
        out = _summary(found)
        if found.load_curve is not None:
            with _scrubbed(ws):
                curve = await run_in_threadpool(read_load_curve, found.load_curve)
            days, points = curve.power_kw.shape
            out["load_curve"] = {
                "days": int(days),
                "points_per_day": int(points),
                "slot_min": curve.slot_min,
                "peak_kw": float(curve.power_kw.max()),
            }
        return out


def _hosting_document(site: Site, options: dict[str, Any], curves: bool) -> dict[str, Any]:
    results = services.site_results(site, options)
    return {"results": [r.to_dict(curves=curves) for r in results]}


def _site_of(site: dict[str, Any] | None, case: str | None) -> Site:
    """The site of a request: a site document or a report case, exactly one of them."""
    if (site is None) == (case is None):
        raise InputError("site: give either site (a site document) or case (A, B, C, open, closed)")
    return _case(case) if case else site_from_document(site, "site")


@router.post("/hosting", tags=["hosting"])
async def hosting(request: HostingRequest) -> dict[str, Any]:
    """Hosting capacity of a site: ``{"results": [HostingResult.to_dict(), ...]}``, the
    results ``evgrid hosting`` shows for the same options (index: uncontrolled and orderly,
    or each year of an office park)."""
    given = request.model_dump(exclude={"site", "case", "curves"})
    site = _site_of(request.site, request.case)
    return await run_in_threadpool(_hosting_document, site, given, request.curves)


@router.post("/upgrade", tags=["hosting"])
async def upgrade(request: UpgradeRequest) -> dict[str, Any]:
    """The upgrade timeline of a site under a bundled scenario, as ``evgrid city`` computes it
    for the site: per strategy the first year the transformer fails the criterion, the
    standard transformer then needed (``unit_kva`` × ``units``), cost and present value (with
    ``cost_per_kva``) and what the strategy defers against uncontrolled charging
    (``upgrades``), and the rows by year (``results``). A community needs ``type`` or
    ``built``."""
    given = request.model_dump(exclude={"site", "case"})
    site = _site_of(request.site, request.case)
    return await run_in_threadpool(services.upgrade_document, site, given)


@router.post("/hosting/upload", tags=["hosting"])
async def hosting_upload(
    site: Annotated[UploadFile, File(description="site document (YAML or JSON)")],
    load_curve: Annotated[UploadFile | None, File(description="measured load curve")] = None,
    method: Annotated[str | None, Form(description="index or timeseries")] = None,
    strategy: Annotated[str | None, Form()] = None,
    participation: Annotated[float | None, Form()] = None,
    criterion: Annotated[str | None, Form(description="loading, hotspot or ageing")] = None,
    limit: Annotated[float | None, Form()] = None,
    days: Annotated[int | None, Form()] = None,
    seed: Annotated[int | None, Form()] = None,
    year: Annotated[int | None, Form()] = None,
    study_year: Annotated[int | None, Form()] = None,
    curves: Annotated[bool, Form()] = False,
) -> dict[str, Any]:
    """Hosting capacity of an uploaded site document (with a measured load curve if given);
    the options as in ``POST /api/hosting``."""
    options = {"method": method, "strategy": strategy, "participation": participation,
               "criterion": criterion, "limit": limit, "days": days, "seed": seed, "year": year,
               "study_year": study_year}  # fmt: skip
    with Workspace() as ws:
        found = await _uploaded_site(ws, site, load_curve)
        with _scrubbed(ws):
            return await run_in_threadpool(_hosting_document, found, options, curves)


@router.post("/schedule", tags=["schedule"], response_model=None)
async def schedule(
    sessions: Annotated[UploadFile, File(description="session file (CSV or Parquet)")],
    strategy: Annotated[str, Form(description="uncontrolled, tou, valley-filling, lp, edf, llf")],
    base_load: Annotated[UploadFile | None, File(description="base load (CSV/Excel)")] = None,
    limit_kw: Annotated[float | None, Form(description="site limit [kW]")] = None,
    participation: Annotated[float, Form(description="share of cars following [0-1]")] = 1.0,
    slot_min: Annotated[float, Form(description="slot length [min]")] = 15.0,
    seed: Annotated[int | None, Form()] = None,
    format: Annotated[str, Form(description="json, or csv: the per-slot load")] = "json",
) -> dict[str, Any] | Response:
    """``evgrid schedule`` on uploaded sessions: ``{"summary": ..., "columns": {...}}`` (base,
    charging and total load per slot [kW]), or the same columns as CSV."""
    if format not in ("json", "csv"):
        raise bad_value("format", format, "json or csv")
    with Workspace() as ws:
        given = await _read(sessions, "sessions", SESSION_SUFFIXES)
        if given is None:
            raise InputError("sessions: missing; required: a session file (CSV or Parquet)")
        path = ws.save(given[0], "sessions", given[2], given[1])
        base = await _read(base_load, "base_load", CURVE_SUFFIXES)
        base_path = None if base is None else ws.save(base[0], "base_load", base[2], base[1])
        with _scrubbed(ws):
            summary, columns = await run_in_threadpool(
                lambda: services.schedule_document(
                    path,
                    base_path,
                    strategy=strategy,
                    limit_kw=limit_kw,
                    participation=participation,
                    slot_min=slot_min,
                    seed=seed,
                )
            )
            if format == "csv":  # the file `evgrid schedule --out` writes
                text = write_csv(ws.folder / "schedule.csv", columns).read_text(encoding="utf-8")
                return PlainTextResponse(text, media_type="text/csv")
    return {"summary": summary, "columns": {k: v.tolist() for k, v in columns.items()}}


def _accepted(runner: JobRunner, job: Job) -> JSONResponse:
    return JSONResponse(
        job.to_dict(runner.position(job)),
        status_code=202,
        headers={"Location": f"/api/jobs/{job.id}"},
    )


@router.post("/jobs/reproduce", tags=["jobs"], status_code=202)
def start_reproduce(request: Request, options: ReproduceRequest | None = None) -> JSONResponse:
    """Start ``evgrid reproduce`` as a background job (202 and the job's status)."""
    runner = _runner(request)
    fn = reproduce_job(**(options or ReproduceRequest.model_validate({})).model_dump())
    job = runner.submit("reproduce", fn, title="reproduce")
    return _accepted(runner, job)


@router.post("/jobs/city", tags=["jobs"], status_code=202)
async def start_city(
    request: Request,
    sites: Annotated[UploadFile, File(description="sites (CSV, Excel or Parquet)")],
    curves: Annotated[
        list[UploadFile] | None,
        File(
            description="measured load curves that the table's load_curve cells name by file "
            "name (CSV, TXT or Excel); the server opens no path a table gives"
        ),
    ] = None,
    scenario: Annotated[
        str | None, Form(description="a bundled scenario: high, medium (default), report")
    ] = None,
    method: Annotated[str | None, Form(description="index (default) or timeseries")] = None,
    strategies: Annotated[
        str | None, Form(description="comma-separated: uncontrolled, orderly, partial")
    ] = None,
    days: Annotated[int | None, Form(description="timeseries: Monte Carlo days [day]")] = None,
    seed: Annotated[int | None, Form(description="timeseries: run seed")] = None,
    lang: Annotated[str, Form(description="en or zh: the summary page and tables")] = "en",
) -> JSONResponse:
    """Start ``evgrid city`` on an uploaded table of sites as a background job (202): results
    and upgrades (Parquet, CSV), ``errors.csv``, ``summary.json`` and the summary page; the
    job's result is the summary (``evgrid city --json``)."""
    runner = _runner(request)
    given = await _read(sites, "sites", CITY_SUFFIXES)
    if given is None:
        raise InputError("sites: missing; required: a table of sites (CSV, Excel or Parquet)")
    ws = Workspace(runner.new_workdir())
    try:
        path = ws.save(given[0], "sites", given[2], given[1])
        sent = [await _read(c, "curves", CURVE_SUFFIXES) for c in curves or []]
        saved = ws.save_curves([c for c in sent if c is not None])
        names = [s.strip() for s in strategies.split(",") if s.strip()] if strategies else None
        options = {"scenario": scenario, "method": method, "strategies": names, "days": days,
                   "seed": seed}  # fmt: skip
        with _scrubbed(ws):
            fn = city_job(path, given[1], options, lang, saved)
        job = runner.submit("city", fn, ws.folder, title=given[1])
    except BaseException:
        ws.remove()
        raise
    return _accepted(runner, job)


def _job(request: Request, job_id: str) -> Job:
    job = _runner(request).get(job_id)
    if job is None:
        raise HTTPException(404, f"job: got {job_id!r}; allowed: a job of this server")
    return job


@router.get("/jobs", tags=["jobs"])
def list_jobs(request: Request) -> dict[str, Any]:
    """Every job kept, newest first."""
    runner = _runner(request)
    return {"jobs": [j.to_dict(runner.position(j)) for j in runner.jobs()]}


@router.get("/jobs/{job_id}", tags=["jobs"])
def job_status(request: Request, job_id: str) -> dict[str, Any]:
    """A job's state (queued, running, done, failed, cancelled), progress [0-1] and files."""
    job = _job(request, job_id)
    return job.to_dict(_runner(request).position(job))


@router.post("/jobs/{job_id}/cancel", tags=["jobs"])
def cancel_job(request: Request, job_id: str) -> dict[str, Any]:
    """Cancel a job: at once while it waits, at its next progress step while it runs."""
    runner = _runner(request)
    job = _job(request, job_id)
    runner.cancel(job)
    return job.to_dict(runner.position(job))


@router.delete("/jobs/{job_id}", tags=["jobs"], status_code=204)
def delete_job(request: Request, job_id: str) -> Response:
    """Cancel a job and remove it with its folder (uploads and results)."""
    _runner(request).remove(_job(request, job_id))
    return Response(status_code=204)


def _output(request: Request, job_id: str) -> Any:
    job = _job(request, job_id)
    if job.state != "done" or job.output is None:
        raise HTTPException(409, f"job {job_id}: {job.state}; allowed: a job that is done")
    return job.output


@router.get("/jobs/{job_id}/result", tags=["jobs"])
def job_result(request: Request, job_id: str) -> dict[str, Any]:
    """A finished job's JSON document (for a reproduction, ``evgrid reproduce --json``)."""
    document: dict[str, Any] = _output(request, job_id).document
    return document


@router.get("/jobs/{job_id}/files/{name}", tags=["jobs"])
def job_file(request: Request, job_id: str, name: str) -> FileResponse:
    """Download one of a finished job's files (``files`` of its status)."""
    files = _output(request, job_id).files
    if name not in files:
        raise HTTPException(404, f"file: got {name!r}; allowed: one of {', '.join(sorted(files))}")
    return FileResponse(files[name], filename=name)

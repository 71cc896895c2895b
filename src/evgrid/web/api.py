"""The HTTP API (JSON), under ``/api``: thin over the library, documented at ``/docs``.

Every hosting answer is :meth:`evgrid.HostingResult.to_dict`, the JSON the command line prints;
every refusal is ``{"error": LINE}`` with the library's one-line message (422). Uploads are read
into a temporary folder of the request (or of the job) and parsed there; the folder is removed
with it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends, File, Request, UploadFile
from fastapi.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from fastapi.security import HTTPBearer
from pydantic import Field, create_model
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData
from starlette.datastructures import UploadFile as SentFile
from starlette.exceptions import HTTPException

from evgrid.errors import EvgridError, InputError, bad_value
from evgrid.fileio import write_csv
from evgrid.grid.site import CASE_NAMES, Site, report_cases
from evgrid.jobs.charging import ScheduleRequest
from evgrid.jobs.city import CityRequest, UpgradeRequest
from evgrid.jobs.fields import Option
from evgrid.jobs.hosting import HostingAnswer, HostingRequest
from evgrid.jobs.incentives import IncentivesRequest
from evgrid.jobs.reproduce import ReproduceRequest
from evgrid.web.forms import form_schema, form_values, from_form, from_json, json_model
from evgrid.web.jobs import Job, JobRunner
from evgrid.web.tasks import city_job, reproduce_job
from evgrid.web.uploads import (
    CITY_SUFFIXES,
    CURVE_SUFFIXES,
    NETWORK_SUFFIXES,
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

CURVES = Option(
    "also the daily curves at the limits (timeseries)", name="curves", kind=bool, default=False
)
LANG = Option("en or zh: the report, tables and charts", name="lang", choices=("en", "zh"))
FORMAT = Option("json, or csv: the per-slot load", name="format", choices=("json", "csv"))

HostingBody = create_model(
    "HostingBody",
    __base__=json_model(HostingRequest, site=True),
    curves=(bool, Field(False, description=CURVES.help)),
)
"""``POST /api/hosting``: a site (``site`` or ``case``) and the options of ``evgrid hosting``."""
UpgradeBody = json_model(UpgradeRequest, site=True)
"""``POST /api/upgrade``: a site and the options of a run through the years."""
IncentivesBody = json_model(IncentivesRequest, site=True)
"""``POST /api/incentives``: a site and the options of ``evgrid incentives`` (no files)."""
ReproduceBody = create_model(
    "ReproduceBody",
    __base__=json_model(ReproduceRequest),
    index_only=(
        bool | None,
        Field(
            None,
            description="deprecated since evgrid 0.3: timeseries false; skip the time-series tier",
        ),
    ),
    lang=(str, Field("en", description=LANG.help)),
)
"""``POST /api/jobs/reproduce``: the options of ``evgrid reproduce`` and the language."""


def _runner(request: Request) -> JobRunner:
    runner: JobRunner = request.app.state.runner
    return runner


async def _read(
    upload: SentFile | None, field: str, allowed: tuple[str, ...]
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
    """Re-raise a library error with the server's paths replaced by the client's file names
    (an input error keeps its field, for the answer's ``field`` and ``pointer``)."""
    try:
        yield
    except InputError as exc:
        raise InputError(
            ws.scrub(str(exc)),
            field=exc.field,
            allowed=None if exc.allowed is None else ws.scrub(exc.allowed),
            unit=exc.unit,
            where=ws.scrub(exc.where),
        ) from None
    except EvgridError as exc:
        raise type(exc)(ws.scrub(str(exc))) from None


def _case(name: str) -> Site:
    if name not in CASE_NAMES:
        raise bad_value("case", name, "one of " + ", ".join(CASE_NAMES))
    return report_cases()[name]


async def _uploaded_site(
    ws: Workspace,
    site: UploadFile | None,
    load_curve: UploadFile | None,
    network_file: UploadFile | None = None,
) -> Site:
    doc = await _read(site, "site", SITE_SUFFIXES)
    if doc is None:
        raise InputError("site: missing; required: a site document file (YAML or JSON)")
    curve = await _read(load_curve, "load_curve", CURVE_SUFFIXES)
    curve_path = None if curve is None else ws.save(curve[0], "load_curve", curve[2], curve[1])
    net = await _read(network_file, "network_file", NETWORK_SUFFIXES)
    sent = None if net is None else (net[1], ws.save(net[0], "network", net[2], net[1]))
    with _scrubbed(ws):
        return site_from_document(read_document(doc[0], doc[1]), doc[1], curve_path, sent)


def _summary(site: Site) -> dict[str, Any]:
    fields = {k: v for k, v in vars(site).items() if v is not None}
    for name in ("load_curve", "network"):
        if isinstance(fields.get(name), Path):
            fields[name] = "(uploaded)"
    return {"valid": True, "site": fields}


@router.get("/health", tags=["server"])
def health() -> dict[str, Any]:
    """The server answers: ``{"status": "ok", "version": ...}``."""
    from evgrid._version import __version__

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
    network_file: Annotated[
        UploadFile | None,
        File(description="low-voltage network file (the document's network, or none named)"),
    ] = None,
) -> dict[str, Any]:
    """Validate an uploaded site document, and its measured load curve if given (read)."""
    from evgrid.load.measured import read_load_curve

    with Workspace() as ws:
        found = await _uploaded_site(ws, site, load_curve, network_file)
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


def _hosting_document(answer: HostingAnswer, curves: bool) -> dict[str, Any]:
    """The answer's envelope; with ``curves``, each result's daily curves at the limits. The
    envelope keeps 0.2's ``results`` at its top level for one release."""
    doc = answer.to_dict()
    if curves:
        doc["result"]["results"] = [r.to_dict(curves=True) for r in answer.results]
    doc["results"] = doc["result"]["results"]
    return doc


def _site_of(site: dict[str, Any] | None, case: str | None) -> Site:
    """The site of a request: a site document or a report case, exactly one of them."""
    if (site is None) == (case is None):
        raise InputError("site: give either site (a site document) or case (A, B, C, open, closed)")
    return _case(case) if case else site_from_document(site, "site")


@router.post("/hosting", tags=["hosting"])
async def hosting(body: HostingBody) -> dict[str, Any]:  # type: ignore[valid-type]
    """Hosting capacity of a site, as ``evgrid hosting --json``: the JSON envelope
    ``{"evgrid", "kind", "request", "result"}`` whose ``result`` has ``site``, ``method`` and
    ``results`` (index: uncontrolled and orderly, or each year of an office park)."""
    site = _site_of(body.site, body.case)  # type: ignore[attr-defined]
    request = from_json(HostingRequest, body, site=site)
    answer = await run_in_threadpool(request.run)
    return _hosting_document(answer, body.curves)  # type: ignore[attr-defined]


@router.post("/upgrade", tags=["hosting"])
async def upgrade(body: UpgradeBody) -> dict[str, Any]:  # type: ignore[valid-type]
    """The upgrade timeline of a site under a bundled scenario, as ``evgrid city`` computes it
    for the site: per strategy the first year the transformer fails the criterion, the
    standard transformer then needed (``unit_kva`` × ``units``), cost and present value (with
    ``cost_per_kva``) and what the strategy defers against uncontrolled charging
    (``upgrades``), and the rows by year (``results``). A community needs ``type`` or
    ``built``."""
    site = _site_of(body.site, body.case)  # type: ignore[attr-defined]
    request = from_json(UpgradeRequest, body, site=site)
    answer = await run_in_threadpool(request.run)
    return answer.to_dict()


@router.post("/incentives", tags=["hosting"])
async def incentives(body: IncentivesBody) -> dict[str, Any]:  # type: ignore[valid-type]
    """What a time-of-use tariff (a bundled one), demand response and carbon credits buy at a
    site, as ``evgrid incentives SITE --json``: the lever (peaks, owners' cost and saving, the
    aggregator's money, carbon, hosting, the upgrade deferred) and, with ``sweep``, the
    spread sweep."""
    site = _site_of(body.site, body.case)  # type: ignore[attr-defined]
    request = from_json(IncentivesRequest, body, site=site)
    answer = await run_in_threadpool(request.run)
    return answer.to_dict()


async def _form(request: Request) -> FormData:
    return await request.form()


@router.post(
    "/hosting/upload",
    tags=["hosting"],
    openapi_extra=form_schema(
        HostingRequest,
        {
            "site": "site document (YAML or JSON)",
            "load_curve": "measured load curve",
            "network_file": "low-voltage network file (YAML/JSON): the site's network, which "
            "the document names by this file name or not at all",
        },
        (CURVES,),
    ),
)
async def hosting_upload(request: Request) -> dict[str, Any]:
    """Hosting capacity of an uploaded site document (with a measured load curve and its
    low-voltage network file if given); the options as form fields, as in ``POST
    /api/hosting``."""
    form = await _form(request)
    values = form_values(
        form,
        HostingRequest,
        uploads=("site", "load_curve", "network_file"),
        ignore=("curves",),
    )
    curves = str(form.get("curves") or "").strip().lower() in ("true", "on", "1", "yes")
    with Workspace() as ws:
        found = await _uploaded_site(
            ws, _file(form, "site"), _file(form, "load_curve"), _file(form, "network_file")
        )
        with _scrubbed(ws):
            hosting_request = from_form(HostingRequest, values, site=found)
            answer = await run_in_threadpool(hosting_request.run)
            return _hosting_document(answer, curves)


def _file(form: FormData, name: str) -> Any:
    item = form.get(name)
    return item if isinstance(item, SentFile) else None


@router.post(
    "/schedule",
    tags=["schedule"],
    response_model=None,
    openapi_extra=form_schema(
        ScheduleRequest,
        {"sessions": "session file (CSV or Parquet)", "base_load": "base load (CSV/Excel)"},
        (FORMAT,),
    ),
)
async def schedule(request: Request) -> dict[str, Any] | Response:
    """``evgrid schedule`` on uploaded sessions: the JSON envelope, whose ``result`` is the
    summary, with ``columns`` (base, charging and total load per slot [kW]); or the same
    columns as CSV (``format=csv``)."""
    form = await _form(request)
    values = form_values(
        form, ScheduleRequest, uploads=("sessions", "base_load"), ignore=("format",)
    )
    format = str(form.get("format") or "json").strip()
    if format not in FORMAT.words:
        raise bad_value("format", format, "json or csv")
    with Workspace() as ws:
        given = await _read(_file(form, "sessions"), "sessions", SESSION_SUFFIXES)
        if given is None:
            raise InputError("sessions: missing; required: a session file (CSV or Parquet)")
        path = ws.save(given[0], "sessions", given[2], given[1])
        base = await _read(_file(form, "base_load"), "base_load", CURVE_SUFFIXES)
        base_path = None if base is None else ws.save(base[0], "base_load", base[2], base[1])
        with _scrubbed(ws):
            job = from_form(ScheduleRequest, values, sessions=path, base_load=base_path)
            answer = await run_in_threadpool(job.run)
            columns = answer.columns()
            if format == "csv":  # the file `evgrid schedule --out` writes
                text = write_csv(ws.folder / "schedule.csv", columns).read_text(encoding="utf-8")
                return PlainTextResponse(text, media_type="text/csv")
    doc = answer.to_dict()
    doc["request"]["sessions"] = given[1]
    doc["columns"] = {k: v.tolist() for k, v in columns.items()}
    doc["summary"] = doc["result"]  # 0.2's key, for one release
    return doc


def _accepted(runner: JobRunner, job: Job) -> JSONResponse:
    return JSONResponse(
        job.to_dict(runner.position(job)),
        status_code=202,
        headers={"Location": f"/api/jobs/{job.id}"},
    )


@router.post("/jobs/reproduce", tags=["jobs"], status_code=202)
def start_reproduce(
    request: Request,
    body: ReproduceBody | None = None,  # type: ignore[valid-type]
) -> JSONResponse:
    """Start ``evgrid reproduce`` as a background job (202 and the job's status)."""
    runner = _runner(request)
    given: Any = body or ReproduceBody()
    values = given.model_dump(exclude_unset=True, exclude={"lang", "index_only"})
    if given.index_only is not None:
        values.setdefault("timeseries", not given.index_only)
    job_request = ReproduceRequest.from_mapping({k: v for k, v in values.items() if v is not None})
    fn = reproduce_job(job_request, given.lang)
    job = runner.submit("reproduce", fn, title="reproduce")
    return _accepted(runner, job)


@router.post(
    "/jobs/city",
    tags=["jobs"],
    status_code=202,
    openapi_extra=form_schema(
        CityRequest,
        {
            "sites": "sites (CSV, Excel or Parquet)",
            "curves": "measured load curves that the table's load_curve cells name by file "
            "name (CSV, TXT or Excel; several); the server opens no path a table gives",
            "networks": "low-voltage network files (YAML/JSON; several) that the table's "
            "network cells name by file name (or a bundled area's name)",
        },
        (LANG,),
    ),
)
async def start_city(request: Request) -> JSONResponse:
    """Start ``evgrid city`` on an uploaded table of sites as a background job (202): results
    and upgrades (Parquet, CSV), ``errors.csv``, ``summary.json`` and the summary page; the
    job's result is the summary (``evgrid city --json``)."""
    runner = _runner(request)
    form = await _form(request)
    values = form_values(
        form, CityRequest, uploads=("sites", "curves", "networks"), ignore=("lang",)
    )
    lang = str(form.get("lang") or "en").strip()
    given = await _read(_file(form, "sites"), "sites", CITY_SUFFIXES)
    if given is None:
        raise InputError("sites: missing; required: a table of sites (CSV, Excel or Parquet)")
    ws = Workspace(runner.new_workdir())
    try:
        path = ws.save(given[0], "sites", given[2], given[1])
        uploads = [c for c in form.getlist("curves") if isinstance(c, SentFile)]
        sent = [await _read(c, "curves", CURVE_SUFFIXES) for c in uploads]
        saved = ws.save_curves([c for c in sent if c is not None])
        nets = [n for n in form.getlist("networks") if isinstance(n, SentFile)]
        sent_nets = [await _read(n, "networks", NETWORK_SUFFIXES) for n in nets]
        networks = ws.save_curves([n for n in sent_nets if n is not None], "networks", "network")
        with _scrubbed(ws):
            city_request = from_form(CityRequest, values, sites=path)
            fn = city_job(city_request, lang, saved, networks)
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

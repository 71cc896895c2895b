"""The web pages, in English and Chinese: the site form and result, the city, the report's
reproduction, a job's progress and result, and the token form.

The language is the ``lang`` query (``?lang=zh``), remembered in a cookie. Pages are rendered on
the server from the templates in ``evgrid/web/templates``; the only script is
``static/evgrid.js`` (form helpers, job progress) and plotly.js, both served by this server.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import jinja2
from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile
from starlette.exceptions import HTTPException

from evgrid.errors import EvgridError, InputError
from evgrid.grid.site import report_cases
from evgrid.jobs.city import CityRequest
from evgrid.jobs.fields import Option
from evgrid.jobs.hosting import HostingRequest
from evgrid.jobs.reproduce import ReproduceRequest
from evgrid.params import parameter, site_fields
from evgrid.report.labels import LANGUAGES, Labels
from evgrid.web import services
from evgrid.web.forms import form_fields, form_values, from_form
from evgrid.web.labels import (
    FIELD_LABELS,
    choice_label,
    field_label,
    page_labels,
    pick_language,
)
from evgrid.web.security import TOKEN_COOKIE, token_matches
from evgrid.web.tasks import city_job, incentives_job, reproduce_job
from evgrid.web.uploads import (
    CITY_SUFFIXES,
    CURVE_SUFFIXES,
    NETWORK_SUFFIXES,
    SITE_SUFFIXES,
    Workspace,
    client_name,
    document_from_form,
    read_document,
    site_from_document,
    suffix_of,
)
from evgrid.web.views import (
    job_page,
    site_downloads,
    site_page,
    summary_lines,
    upgrade_lines,
    upgrade_table,
)

router = APIRouter(include_in_schema=False)
LANG_COOKIE = "evgrid_lang"
OPTION_FIELDS = ("method", "strategy", "participation", "criterion", "limit", "days", "seed",
                 "year", "study_year", "ev_share", "scenario")  # fmt: skip


def _environment() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("evgrid", "web/templates"),
        autoescape=jinja2.select_autoescape(["html", "j2"]),
    )
    env.globals.update(field_label=field_label, choice_label=choice_label)
    return env


ENV = _environment()


def language(request: Request) -> str:
    """The page language of a request (query, then cookie, else English)."""
    return pick_language(request.query_params.get("lang"), request.cookies.get(LANG_COOKIE))


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    """A page in the request's language; a ``lang`` query is remembered in a cookie."""
    lang = language(request)
    other = "zh" if lang == "en" else "en"
    html = ENV.get_template(template).render(
        t=page_labels(lang),
        lang=lang,
        other_lang=other,
        path=request.url.path,
        token=request.app.state.settings.token is not None,
        **context,
    )
    response = HTMLResponse(html, status_code=status)
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie(LANG_COOKIE, lang, samesite="strict", max_age=365 * 86400)
    return response


def render_error(request: Request, status: int, message: str) -> str:
    """An error page's HTML (used by the error handlers for pages)."""
    lang = language(request)
    template = ENV.get_template("error.html.j2")
    return template.render(
        t=page_labels(lang), lang=lang, other_lang="en", path="/", status=status, message=message,
        token=False,
    )  # fmt: skip


def _site_form_context(
    request: Request, form: dict[str, Any] | None = None, error: str = ""
) -> dict[str, Any]:
    lang = language(request)
    labels = page_labels(lang)
    cases = {k: _fields(s) for k, s in report_cases().items()}
    files = ("load_curve", "network")  # uploads, and the network option's bundled areas
    fields = [(name, spec) for name, spec in site_fields().items() if name not in files]
    return {
        "fields": fields,
        "cases_json": json.dumps(cases),
        "options": form_fields(HostingRequest, lang, labels),
        "page_options": page_fields((services.EV_SHARE, services.SCENARIO), lang, labels),
        "form": form or {},
        "error": error,
        **_scenario_context(),
    }


def _scenario_context() -> dict[str, Any]:
    """The bundled scenarios (``evgrid scenarios``) for a form's list, and the default one."""
    from evgrid.planning.scenarios import bundled_scenarios

    return {
        "scenarios": [(s.name, s.description) for s in bundled_scenarios()],
        "scenario_default": parameter("scenario").value,
    }


def _fields(site: Any) -> dict[str, Any]:
    return {k: v for k, v in vars(site).items() if v is not None and k != "load_curve"}


@router.get("/", response_class=HTMLResponse)
def site_form(request: Request) -> HTMLResponse:
    """The site form."""
    return render(request, "site.html.j2", **_site_form_context(request))


def page_fields(options: tuple[Option, ...], lang: str, labels: Labels) -> list[dict[str, Any]]:
    """The form fields of the page's own options (:data:`services.EV_SHARE`, ...)."""
    return [
        {
            "name": o.name,
            "label": (o.zh if lang == "zh" else labels.get(o.name, "")) or o.help.split(" [")[0],
            "choices": [(w, w) for w in o.bundled] or None,
            "placeholder": o.default_text(),
            "numeric": o.kind in (int, float),
            "help": o.help_line(),
        }
        for o in options
    ]


def page_values(form: FormData, options: Mapping[str, Option]) -> dict[str, Any]:
    """The values of the page's own options (None when blank), checked."""
    from evgrid.params import parameter

    out: dict[str, Any] = {}
    for name, opt in options.items():
        text = str(form.get(name) or "").strip()
        value: Any = None
        if text and opt.kind is float:
            try:
                value = float(text)
            except ValueError:
                value = text
        elif text:
            value = text
        if value is not None and opt.param is not None and not opt.bundled:
            value = parameter(opt.param).check(value, name)
        out[name] = value
    return out


def worded(exc: InputError, ws: Workspace | None, request: Request) -> InputError:
    """The error with the field named by its label on the page (in the page's language) and
    the server's paths replaced by the client's file names."""
    lang = language(request)
    labels = page_labels(lang)
    name = exc.field
    label = None
    if name in FIELD_LABELS:  # a site document's field: the form's label
        label = field_label(name, lang)
    elif name:
        label = labels.get(name)
    found = exc.reworded(label) if label else exc
    return InputError(ws.scrub(str(found)) if ws is not None else str(found))


async def _upload(
    form: FormData, name: str, allowed: tuple[str, ...]
) -> tuple[bytes, str, str] | None:
    item = form.get(name)
    if not isinstance(item, UploadFile) or not item.filename:
        return None
    shown = client_name(item.filename, name)
    suffix = suffix_of(shown, allowed, name)
    return await item.read(), shown, suffix


@router.post("/site", response_class=HTMLResponse)
async def site_run(request: Request) -> Response:
    """Run the form (or the uploaded site document) and show the result page."""
    form = await request.form()
    plain = {k: v for k, v in form.items() if isinstance(v, str)}
    page = {o.name: o for o in (services.EV_SHARE, services.SCENARIO)}
    try:
        values = form_values(
            form,
            HostingRequest,
            uploads=("site_file", "curve_file", "network_file"),
            ignore={*site_fields(), "kind", *page} - {"network"},  # the option, not a field
        )
        if values.get("method") != "timeseries":  # the page hides them: ignored with the index
            for opt in HostingRequest.options():
                if "timeseries" in opt.methods:
                    values.pop(opt.name, None)
        extras = page_values(form, page)
        with Workspace() as ws:
            doc_upload = await _upload(form, "site_file", SITE_SUFFIXES)
            curve = await _upload(form, "curve_file", CURVE_SUFFIXES)
            curve_path = (
                None if curve is None else ws.save(curve[0], "load_curve", curve[2], curve[1])
            )
            net = await _upload(form, "network_file", NETWORK_SUFFIXES)
            sent = None if net is None else (net[1], ws.save(net[0], "network", net[2], net[1]))
            try:
                if doc_upload is not None:
                    doc, where = read_document(doc_upload[0], doc_upload[1]), doc_upload[1]
                else:
                    doc, where = document_from_form(plain), "site"
                site = site_from_document(doc, where, curve_path, sent)
                hosting_request = from_form(HostingRequest, values, site=site)
                run = await run_in_threadpool(
                    services.run_site, hosting_request, extras["ev_share"], extras["scenario"]
                )
            except InputError as exc:
                raise worded(exc, ws, request) from None
            except EvgridError as exc:
                raise InputError(ws.scrub(str(exc))) from None
    except EvgridError as exc:
        context = _site_form_context(request, plain, str(exc))
        return render(request, "site.html.j2", status=422, **context)
    request.app.state.results.add(run)
    return RedirectResponse(f"/results/{run.id}", status_code=303)


def _run(request: Request, run_id: str) -> services.SiteRun:
    run = request.app.state.results.get(run_id)
    if run is None:
        raise HTTPException(404, f"result: got {run_id!r}; allowed: a recent result of this server")
    return run


@router.get("/results/{run_id}", response_class=HTMLResponse)
def site_result(request: Request, run_id: str) -> HTMLResponse:
    """The result page of a site run."""
    from evgrid.planning.scenarios import bundled_scenario

    run = _run(request, run_id)
    lang = language(request)
    page = site_page(run, lang)
    scenario = bundled_scenario(run.upgrade.scenario) if run.upgrade is not None else None
    return render(
        request,
        "result.html.j2",
        run=run,
        summary=summary_lines(run, lang),
        charts=page.divs(),
        tables=page.tables,
        upgrade=upgrade_lines(run, lang),
        upgrade_table=upgrade_table(run, lang),
        scenario_description=scenario.description if scenario is not None else "",
        base=f"/results/{run.id}/files",
    )


@router.get("/results/{run_id}/files/{name}")
def site_file(request: Request, run_id: str, name: str) -> Response:
    """A download of a site run's page (a table, a chart, its data, the JSON)."""
    files = site_downloads(_run(request, run_id), language(request))
    if name not in files:
        raise HTTPException(404, f"file: got {name!r}; allowed: one of {', '.join(sorted(files))}")
    media, content = files[name]
    disposition = f"attachment; filename*=UTF-8''{quote(name)}"
    return Response(content(), media_type=media, headers={"Content-Disposition": disposition})


def _described(fields: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The scenario field's choices with each scenario's description."""
    from evgrid.planning.scenarios import bundled_scenarios

    described = {s.name: f"{s.name}: {s.description}" for s in bundled_scenarios()}
    for field in fields:
        if field["name"] == "scenario" and field["choices"]:
            field["choices"] = [(v, described.get(v, label)) for v, label in field["choices"]]
    return fields


def _city_context(request: Request, error: str = "") -> dict[str, Any]:
    lang = language(request)
    options = _described(form_fields(CityRequest, lang, page_labels(lang)))
    return {"options": options, "error": error, **_scenario_context()}


@router.get("/city", response_class=HTMLResponse)
def city_form(request: Request) -> HTMLResponse:
    """The city page: upload a table of sites."""
    return render(request, "city.html.j2", **_city_context(request))


@router.post("/city", response_class=HTMLResponse)
async def city_start(request: Request) -> Response:
    """Start a city job and go to its page."""
    runner = request.app.state.runner
    form = await request.form()
    ws = Workspace(runner.new_workdir())
    try:
        values = form_values(form, CityRequest, uploads=("sites", "curves", "networks"))
        if values.get("method") != "timeseries":  # the page hides them: ignored with the index
            for name in ("days", "seed", "band"):
                values.pop(name, None)
        given = await _upload(form, "sites", CITY_SUFFIXES)
        if given is None:
            raise InputError("sites: missing; required: a table of sites (CSV, Excel or Parquet)")
        path = ws.save(given[0], "sites", given[2], given[1])
        sent = [
            (await item.read(), name, suffix_of(name, CURVE_SUFFIXES, "curves"))
            for item in form.getlist("curves")
            if isinstance(item, UploadFile) and item.filename
            for name in [client_name(item.filename, "curves")]
        ]
        saved = ws.save_curves(sent)
        nets = [
            (await item.read(), name, suffix_of(name, NETWORK_SUFFIXES, "networks"))
            for item in form.getlist("networks")
            if isinstance(item, UploadFile) and item.filename
            for name in [client_name(item.filename, "networks")]
        ]
        networks = ws.save_curves(nets, "networks", "network")
        try:
            city_request = from_form(CityRequest, values, sites=path)
            if "strategies" not in values:  # the page ticks all three: none ticked is a slip
                words = ", ".join(CityRequest.option("strategies").words)
                raise InputError(
                    f"strategies: none ticked; allowed: one or more of {words}",
                    field="strategies",
                    allowed=f"one or more of {words}",
                )
            fn = city_job(city_request, language(request), saved, networks)
        except InputError as exc:
            raise worded(exc, ws, request) from None
        job = runner.submit("city", fn, ws.folder, title=given[1])
    except EvgridError as exc:
        ws.remove()
        from evgrid.web.errors import status_of

        context = _city_context(request, str(exc))
        return render(request, "city.html.j2", status=status_of(exc), **context)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


def _reproduce_context(request: Request, error: str = "") -> dict[str, Any]:
    lang = language(request)
    return {
        "options": form_fields(ReproduceRequest, lang, page_labels(lang)),
        "error": error,
        "jobs": request.app.state.runner.jobs(),
    }


@router.get("/reproduce", response_class=HTMLResponse)
def reproduce_form(request: Request) -> HTMLResponse:
    """The reproduction page: start the report's case studies as a job."""
    return render(request, "reproduce.html.j2", **_reproduce_context(request))


@router.post("/reproduce", response_class=HTMLResponse)
async def reproduce_start(request: Request) -> Response:
    """Start the reproduction job and go to its page."""
    form = await request.form()
    try:
        values = form_values(form, ReproduceRequest)
        if str(values.get("timeseries", "")).lower() == "false":  # the page hides them
            for name in ("seed", "days", "impact_days", "behaviour"):
                values.pop(name, None)
        try:
            job_request = from_form(ReproduceRequest, values)
        except InputError as exc:
            raise worded(exc, None, request) from None
        fn = reproduce_job(job_request, language(request))
        job = request.app.state.runner.submit("reproduce", fn, title="reproduce")
    except EvgridError as exc:
        from evgrid.web.errors import status_of

        context = _reproduce_context(request, str(exc))
        return render(request, "reproduce.html.j2", status=status_of(exc), **context)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


def _incentives_context(request: Request, error: str = "") -> dict[str, Any]:
    from evgrid.grid.site import CASE_NAMES
    from evgrid.jobs.incentives import CITY_ONLY, IncentivesRequest

    lang = language(request)
    fields = form_fields(IncentivesRequest, lang, page_labels(lang))
    return {
        "options": [f for f in fields if f["name"] not in CITY_ONLY],
        "cases": CASE_NAMES,
        "error": error,
    }


@router.get("/incentives", response_class=HTMLResponse)
def incentives_form(request: Request) -> HTMLResponse:
    """The incentives page: a site (an uploaded document or a report case) and the lever."""
    return render(request, "incentives.html.j2", **_incentives_context(request))


@router.post("/incentives", response_class=HTMLResponse)
async def incentives_start(request: Request) -> Response:
    """Start ``evgrid incentives`` on the site as a job and go to its page."""
    from evgrid.jobs.incentives import IncentivesRequest

    form = await request.form()
    try:
        values = form_values(form, IncentivesRequest, uploads=("site_file",), ignore=("case",))
        with Workspace() as ws:
            doc = await _upload(form, "site_file", SITE_SUFFIXES)
            case = str(form.get("case") or "").strip()
            try:
                if doc is not None:
                    site = site_from_document(read_document(doc[0], doc[1]), doc[1])
                elif case in report_cases():
                    site = report_cases()[case]
                else:
                    raise InputError(
                        f"site: missing; required: a site document or a case of the report "
                        f"({', '.join(report_cases())})",
                        field="site",
                    )
                job_request = from_form(IncentivesRequest, values, site=site)
            except InputError as exc:
                raise worded(exc, ws, request) from None
        fn = incentives_job(job_request, language(request))
        title = job_request.site.name
        job = request.app.state.runner.submit("incentives", fn, title=title)
    except EvgridError as exc:
        from evgrid.web.errors import status_of

        context = _incentives_context(request, str(exc))
        return render(request, "incentives.html.j2", status=status_of(exc), **context)
    return RedirectResponse(f"/jobs/{job.id}", status_code=303)


def _job(request: Request, job_id: str) -> Any:
    job = request.app.state.runner.get(job_id)
    if job is None:
        raise HTTPException(404, f"job: got {job_id!r}; allowed: a job of this server")
    return job


@router.get("/jobs/{job_id}", response_class=HTMLResponse)
def job_view(request: Request, job_id: str) -> HTMLResponse:
    """A job's page: progress while it runs, its tables, charts and downloads when done."""
    job = _job(request, job_id)
    page = job_page(job.output) if job.output is not None else None
    downloads = sorted(set(job.output.files) | set(page.downloads())) if page and job.output else []
    return render(
        request,
        "job.html.j2",
        job=job,
        job_status=job.to_dict(request.app.state.runner.position(job)),
        charts=page.divs() if page else [],
        tables=page.tables if page else [],
        downloads=downloads,
        links=job.output.links if job.output else {},
    )


@router.get("/jobs/{job_id}/files/{name}")
def job_download(request: Request, job_id: str, name: str) -> Response:
    """A download of a finished job: one of its files, a table or a chart."""
    from fastapi.responses import FileResponse

    job = _job(request, job_id)
    if job.output is None:
        raise HTTPException(409, f"job {job_id}: {job.state}; allowed: a job that is done")
    if name in job.output.files:
        inline = name.endswith(".html")
        return FileResponse(
            job.output.files[name],
            filename=name,
            content_disposition_type="inline" if inline else "attachment",
        )
    files = job_page(job.output).downloads()
    if name not in files:
        raise HTTPException(404, f"file: got {name!r}; allowed: a file of this job")
    media, content = files[name]
    disposition = f"attachment; filename*=UTF-8''{quote(name)}"
    return Response(content(), media_type=media, headers={"Content-Disposition": disposition})


@router.post("/jobs/{job_id}/cancel")
def job_cancel(request: Request, job_id: str) -> RedirectResponse:
    """Cancel a job from its page."""
    request.app.state.runner.cancel(_job(request, job_id))
    return RedirectResponse(f"/jobs/{job_id}", status_code=303)


def _next(target: str | None) -> str:
    """A local path to go to after signing in (never another site)."""
    if target and target.startswith("/") and not target.startswith("//"):
        return target
    return "/"


@router.get("/login", response_class=HTMLResponse)
def login_form(request: Request) -> HTMLResponse:
    """The token form (answered without the token)."""
    target = _next(request.query_params.get("next"))
    return render(request, "login.html.j2", next=target, error="")


@router.post("/login", response_class=HTMLResponse)
async def login(request: Request) -> Response:
    """Check the token (constant time) and keep it in an HttpOnly cookie."""
    form = await request.form()
    token = request.app.state.settings.token
    given = str(form.get("token") or "")
    target = _next(str(form.get("next") or "/"))
    if token is None or not token_matches(given, token):
        error = "access token: wrong" if given else "access token: missing"
        return render(request, "login.html.j2", status=401, next=target, error=error)
    response = RedirectResponse(target, status_code=303)
    response.set_cookie(TOKEN_COOKIE, given, httponly=True, samesite="strict")
    return response

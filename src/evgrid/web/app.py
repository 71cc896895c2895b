"""The FastAPI application: the API, the pages, the static files and the guard.

:func:`create_app` builds one application for one :class:`~evgrid.web.settings.Settings`;
``evgrid serve`` runs it with uvicorn. Everything a page needs is served by the app itself:
plotly.js from the plotly package, Swagger UI for ``/docs`` from the ``fastapi-offline``
package, the pages' own script and style from ``evgrid/web/static``, so it works offline.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from importlib import resources
from pathlib import Path

import plotly
from fastapi import FastAPI
from fastapi.responses import FileResponse, RedirectResponse
from fastapi.staticfiles import StaticFiles
from fastapi_offline import FastAPIOffline

from evgrid.web import api, errors, pages
from evgrid.web.jobs import JobRunner
from evgrid.web.security import Guard
from evgrid.web.services import ResultStore
from evgrid.web.settings import Settings

PLOTLY_JS = Path(plotly.__file__).parent / "package_data" / "plotly.min.js"
"""plotly.js as shipped inside the plotly package (the version the figures are made for)."""
DESCRIPTION = """\
How many EV charging piles can a transformer host? The HTTP API of evgrid: the same library,
the same result (`HostingResult.to_dict()`) and the same one-line error messages as the command
line. Errors are `{"error": "FIELD: got VALUE; allowed: ..."}` with status 422 (bad input), 413
(upload over the limit), 401 (missing or wrong token), 404 or 503 (job queue full). Long runs
are jobs: start one, poll `GET /api/jobs/{id}`, download its files. Off loopback every call
needs `Authorization: Bearer TOKEN`.
"""


def create_app(settings: Settings | None = None) -> FastAPI:
    """The web app for ``settings`` (default: loopback, no token).

    Parameters
    ----------
    settings
        Address, token, upload limit and job queue.
    """
    from evgrid._version import __version__

    settings = settings or Settings()
    runner = JobRunner(
        workers=settings.workers,
        max_queued=settings.max_queued_jobs,
        keep_s=settings.job_keep_s,
        max_kept=settings.max_kept_jobs,
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        runner.start()
        yield
        runner.shutdown()

    app = FastAPIOffline(
        title="evgrid",
        version=__version__,
        description=DESCRIPTION,
        lifespan=lifespan,
        static_url="/vendor/docs",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.runner = runner
    app.state.results = ResultStore(settings.max_kept_results)
    errors.install(app)
    app.include_router(api.router)
    app.include_router(pages.router)
    static = resources.files("evgrid") / "web" / "static"
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    @app.get("/vendor/plotly.min.js", include_in_schema=False)
    def plotly_js() -> FileResponse:
        return FileResponse(
            PLOTLY_JS,
            media_type="text/javascript",
            headers={"Cache-Control": "public, max-age=86400"},
        )

    @app.get("/site", include_in_schema=False)
    def site_get() -> RedirectResponse:
        return RedirectResponse("/", status_code=303)

    app.add_middleware(Guard, settings=settings)
    return app

"""One error path for the web app: every failure is one line, in JSON for the API.

The line is the library's own message (the same words the command line prints after
``evgrid: error:``), so the API refuses a value exactly as the CLI does, naming the request's
field instead of the option. Status codes: 422 for bad input, 413 for an upload over the limit,
401 for a missing or wrong token, 404 for an unknown job or result, 503 when the job queue is
full, 500 for a bug (logged with its traceback; the server keeps serving). Pages get the same
line in an HTML page.
"""

from __future__ import annotations

import contextlib
import logging
import re
from collections.abc import Callable, Iterator, Mapping
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, JSONResponse, Response
from starlette.exceptions import HTTPException

from evgrid.errors import EvgridError, InputError, missing_extra, shown
from evgrid.params import parameter
from evgrid.web.jobs import QueueFullError

log = logging.getLogger("evgrid.web")

MESSAGE_CHARS = 300
"""Longest error line returned [characters] (as the command line prints)."""
FIELD_PARAMETERS: Mapping[str, str] = {
    "days": "monte_carlo_days",
    "seed": "seed",
    "participation": "participation",
    "study_year": "study_year",
    "slot_min": "slot_min",
    "impact_days": "impact_days",
    "ev_share": "ev_share_2025_medium",
}
"""Request fields whose allowed values are a row of the parameter table."""
TYPE_WORDS: Mapping[str, str] = {
    "int": "a whole number",
    "float": "a number",
    "bool": "true or false",
    "string": "a text",
    "dict": "a JSON object",
    "model": "a JSON object",
    "list": "a list",
}
"""What a pydantic error type (``int_parsing``, ``float_type``, ...) allows, in words."""


def one_line(text: str) -> str:
    """One line of at most :data:`MESSAGE_CHARS` characters."""
    line = " ".join(str(text).split())
    return line if len(line) <= MESSAGE_CHARS else line[: MESSAGE_CHARS - 1] + "…"


_OPTION = re.compile(r"^--([a-z][a-z0-9-]*):")


@contextlib.contextmanager
def field_words() -> Iterator[None]:
    """Re-raise a library error that names a command-line option (``--days: got 5; ...``)
    naming the request's field instead (``days: got 5; ...``), as the API's messages do."""
    try:
        yield
    except EvgridError as exc:
        text = str(exc)
        found = _OPTION.match(text)
        if found is None:
            raise
        field = found.group(1).replace("-", "_")
        raise type(exc)(f"{field}:{text[found.end() :]}") from None


DOCUMENT_BODIES = ("/api/sites/validate",)
"""Endpoints whose whole body is a site document (its fields are at the body's root)."""


def pointer(exc: InputError, path: str = "") -> str:
    """The JSON pointer (RFC 6901) of the refused value in a request's body: ``/limit``, or
    ``/site/transformer_kva`` for a field of the site document (``/transformer_kva`` where the
    body is the document)."""
    field = str(exc.field).split(" ", 1)[0]
    nested = exc.where == "site" and path not in DOCUMENT_BODIES
    steps = ["site", field] if nested else [field]
    return "/" + "/".join(s.replace("~", "~0").replace("/", "~1") for s in steps)


def status_of(exc: EvgridError) -> int:
    """The HTTP status of a library or web-app error."""
    if isinstance(exc, QueueFullError):
        return 503
    return 422


def validation_error(errors: list[Any]) -> tuple[InputError, str]:
    """The first request-validation error as the library would raise it (``FIELD: got VALUE;
    allowed: WHAT``, with its field, value, allowed and unit), and the JSON pointer of the value
    in the request."""
    if not errors:
        return InputError("request: not valid"), ""
    first = errors[0]
    loc = [str(p) for p in first.get("loc", ()) if p not in ("body", "query", "path", "form")]
    field = ".".join(loc) or "body"
    at = "/" + "/".join(s.replace("~", "~0").replace("/", "~1") for s in loc)
    kind = str(first.get("type", ""))
    value = first.get("input")
    unit = None
    if kind == "missing":
        return InputError(f"{field}: missing; required", field=field, allowed="required"), at
    if kind == "extra_forbidden":
        allowed = "the fields listed in the API documentation"
        message = f"{field}: unknown option; allowed: {allowed}"
        return InputError(message, field=field, value=value, allowed=allowed), at
    if kind == "json_invalid":
        return InputError(f"body: not valid JSON: {first.get('ctx', {}).get('error', '')}"), ""
    name = field.rsplit(".", 1)[-1]
    if name in FIELD_PARAMETERS:
        row = parameter(FIELD_PARAMETERS[name])
        allowed = row.describe()
        unit = None if row.unit in ("", "-") else row.unit
    else:
        head = kind.split("_", 1)[0]
        allowed = TYPE_WORDS.get(head) or str(first.get("msg", "")).lower()
    message = f"{field}: got {shown(value)}; allowed: {allowed}"
    return InputError(message, field=field, value=value, allowed=allowed, unit=unit), at


def _is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/") or request.url.path == "/openapi.json"


def error_response(
    request: Request,
    status: int,
    message: str,
    headers: Mapping[str, str] | None = None,
    exc: Exception | None = None,
    at: str | None = None,
) -> Response:
    """JSON ``{"error": LINE}`` for the API (with ``field``, ``pointer``, ``allowed`` and
    ``unit`` when the error names a field; ``at`` is the pointer where the request's own
    structure gives it); a small HTML page for the pages."""
    line = one_line(message)
    if _is_api(request):
        body: dict[str, Any] = {"error": line}
        if isinstance(exc, InputError) and exc.field is not None:
            body.update(
                field=exc.field,
                pointer=at or pointer(exc, request.url.path),
                allowed=exc.allowed,
                unit=exc.unit,
            )
        return JSONResponse(body, status_code=status, headers=headers)
    from evgrid.web.pages import render_error

    return HTMLResponse(render_error(request, status, line), status_code=status, headers=headers)


def install(app: FastAPI) -> None:
    """Register the handlers on ``app``."""

    async def on_evgrid(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, EvgridError)
        return error_response(request, status_of(exc), str(exc), exc=exc)

    async def on_http(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        detail = str(exc.detail)
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"path: got {request.url.path!r}; allowed: a page or endpoint of evgrid"
        elif exc.status_code == 405:
            detail = f"method: got {request.method}; allowed: see /docs"
        return error_response(request, exc.status_code, detail, exc.headers)

    async def on_validation(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, RequestValidationError)
        error, at = validation_error(list(exc.errors()))
        return error_response(request, 422, str(error), exc=error, at=at)

    async def on_bug(request: Request, exc: Exception) -> Response:
        if isinstance(exc, MemoryError):
            return error_response(request, 422, "out of memory; try fewer days or sessions")
        line = (
            missing_extra(exc, request.url.path) if isinstance(exc, ModuleNotFoundError) else None
        )
        if line is not None:  # the server's install lacks an extra: say which (500, still serving)
            log.error("%s %s: %s", request.method, request.url.path, line)
            return error_response(request, 500, line)
        log.error("%s %s failed", request.method, request.url.path, exc_info=exc)
        return error_response(request, 500, f"internal error: {type(exc).__name__}")

    handlers: dict[Any, Callable[..., Any]] = {
        EvgridError: on_evgrid,
        HTTPException: on_http,
        RequestValidationError: on_validation,
        Exception: on_bug,
    }
    for cls, handler in handlers.items():
        app.add_exception_handler(cls, handler)

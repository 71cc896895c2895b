"""The HTTP API's models and the web forms, generated from the request objects.

Every option a request declares (:mod:`evgrid.jobs.fields`) reaches the web app from here: a
pydantic model for the JSON endpoints (so ``/openapi.json`` documents it), the schema of the
multipart endpoints, the parser of forms (multipart or page) that refuses an unknown field, and
the form fields the page templates draw. The web app opens no path a client gives: an option
that names a bundled item or a file (a behaviour, a scenario, a tariff) takes only bundled
names here, and file options come only as uploads.
"""

from __future__ import annotations

import functools
from collections.abc import Iterable, Mapping
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, create_model
from starlette.datastructures import FormData, UploadFile

from evgrid.errors import InputError, bad_value
from evgrid.jobs.fields import Option, R, Request


def api_options(cls: type[Request]) -> tuple[Option, ...]:
    """The options a client may set over HTTP: not the command line's own, not files (they
    come as uploads) and not the inputs the endpoint resolves (a site)."""
    return tuple(o for o in cls.options() if "api" in o.faces and not o.file and o.load is None)


def _annotation(opt: Option) -> Any:
    if opt.many:
        return list[str] | None
    kind = opt.kind if opt.kind in (int, float, bool) else str
    return kind | None


def describe(opt: Option) -> str:
    """An option's description for the API documentation: help, unit, allowed, default."""
    allowed = opt.describe() if not opt.bundled else "one of " + ", ".join(opt.bundled)
    return f"{opt.help_line()} Allowed: {allowed}."


@functools.cache
def json_model(cls: type[Request], *, site: bool = False) -> type[BaseModel]:
    """A pydantic model of a request's options for a JSON endpoint (unknown keys refused).

    Parameters
    ----------
    cls
        The request class.
    site
        Also ``site`` (a site document's fields) and ``case`` (a report case), one of which the
        endpoint needs.
    """
    fields: dict[str, Any] = {
        o.name: (_annotation(o), Field(None, description=describe(o))) for o in api_options(cls)
    }
    if site:
        fields["site"] = (dict[str, Any] | None, Field(None, description="the site document"))
        fields["case"] = (
            str | None,
            Field(None, description="a report case instead: A, B, C, open, closed"),
        )
    name = cls.__name__.replace("Request", "") + "Options"
    model: type[BaseModel] = create_model(
        name, __config__=ConfigDict(extra="forbid"), __doc__=cls.__doc__, **fields
    )
    return model


def form_schema(
    cls: type[Request], files: Mapping[str, str], extra: Iterable[Option] = ()
) -> dict[str, Any]:
    """The OpenAPI ``requestBody`` of a multipart endpoint: the upload fields, then the
    request's options as form fields.

    Parameters
    ----------
    cls
        The request class.
    files
        Upload field -> its description (``{"site": "site document (YAML or JSON)"}``).
    extra
        Options of the endpoint beyond the request's.
    """
    props: dict[str, Any] = {
        name: {"type": "string", "format": "binary", "description": text}
        for name, text in files.items()
    }
    for opt in (*api_options(cls), *extra):
        kind = {int: "integer", float: "number", bool: "boolean"}.get(opt.kind, "string")
        props[opt.name] = {"type": kind, "description": describe(opt)}
        if opt.words and not opt.many:
            props[opt.name]["enum"] = list(opt.words)
    return {
        "requestBody": {
            "content": {"multipart/form-data": {"schema": {"type": "object", "properties": props}}}
        }
    }


def check_bundled(cls: type[Request], values: Mapping[str, Any]) -> None:
    """Refuse a value that is not a bundled name for an option that also takes a file: the web
    app opens no path it is given."""
    for opt in cls.options():
        value = values.get(opt.name)
        if opt.names is not None and value is not None and value not in opt.bundled:
            raise bad_value(
                opt.name, value, "one of " + ", ".join(opt.bundled) + " (no file over HTTP)"
            )


def from_json(cls: type[R], body: BaseModel, **inputs: Any) -> R:
    """A request from a JSON endpoint's body (the options set) and the resolved inputs; the
    body's other fields (``site``, ``case``, the endpoint's own) are the endpoint's."""
    names = {o.name for o in api_options(cls)}
    values = body.model_dump(exclude_unset=True)
    values = {k: v for k, v in values.items() if v is not None and k in names}
    check_bundled(cls, values)
    return cls.from_mapping(values, **inputs)


def form_values(
    form: FormData | Mapping[str, Any],
    cls: type[Request],
    *,
    uploads: Iterable[str] = (),
    ignore: Iterable[str] = (),
) -> dict[str, Any]:
    """The request's option values of a form, as texts (blank ones left out).

    Parameters
    ----------
    form
        The submitted form.
    cls
        The request class whose options the form carries.
    uploads
        The form's upload fields (read by the endpoint itself).
    ignore
        Other fields the endpoint reads itself (a site document's fields, ``lang``).

    Raises
    ------
    InputError
        A field that is neither an option, an upload nor an ignored field (a misspelt
        ``limt``), an upload in a text field or text in an upload field.
    """
    known = {o.name: o for o in api_options(cls)}
    uploads, ignore = set(uploads), set(ignore)
    items = form.multi_items() if isinstance(form, FormData) else list(form.items())
    values: dict[str, Any] = {}
    for name, value in items:
        if name in uploads:
            if isinstance(value, str) and value:
                raise bad_value(name, value, "an uploaded file")
            continue
        if name in ignore:
            continue
        opt = known.get(name)
        if opt is None:
            allowed = ", ".join([*known, *sorted(uploads)])
            raise InputError(
                f"{name}: unknown field; allowed: {allowed}",
                field=name,
                value=value,
                allowed=allowed,
            )
        if isinstance(value, UploadFile):
            raise bad_value(name, value.filename, "a value, not a file")
        text = str(value).strip()
        if not text:
            continue
        if opt.many:
            values[name] = [*values.get(name, []), *(t for t in text.split(",") if t.strip())]
        else:
            values[name] = text
    return values


def from_form(cls: type[R], values: Mapping[str, Any], **inputs: Any) -> R:
    """A request from a form's values (:func:`form_values`) and the resolved inputs."""
    check_bundled(cls, values)
    return cls.from_mapping(values, text=True, **inputs)


def _choice(name: str, value: str, labels: Mapping[str, str]) -> str:
    """A choice's label: ``NAME_VALUE`` in the catalogue (``method_index``), else ``VALUE``."""
    return labels.get(f"{name}_{value}") or labels.get(value) or value


def form_fields(cls: type[Request], lang: str, labels: Mapping[str, str]) -> list[dict[str, Any]]:
    """The fields a page's template draws for a request's options.

    Each is ``{"name", "label", "choices" (value, label) or None, "many", "ticked" (a list's
    default values, ticked on the page; empty: all), "placeholder" (the default), "numeric",
    "help", "methods", "kinds"}``.
    """
    fields = []
    for opt in api_options(cls):
        if "form" not in opt.faces:
            continue
        words = opt.words or opt.bundled
        label = (opt.zh if lang == "zh" else "") or labels.get(opt.name) or opt.label
        fields.append(
            {
                "name": opt.name,
                "label": label or opt.name.replace("_", " "),
                "choices": [(w, _choice(opt.name, w, labels)) for w in words] if words else None,
                "many": opt.many,
                "ticked": list(opt.default) if opt.many and opt.default else [],
                "boolean": opt.kind is bool,
                "placeholder": opt.default_text(),
                "numeric": opt.kind in (int, float),
                "help": opt.help_line(),
                "methods": " ".join(opt.methods),
                "kinds": " ".join(opt.kinds),
            }
        )
    return fields

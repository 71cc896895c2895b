"""A hypothesis fuzz of the HTTP API: hostile JSON bodies and form fields get a 4xx with one JSON
line (an error that names a field says which), never a 500, and the server keeps serving."""

from __future__ import annotations

import json
from typing import Any

import pytest
from fastapi.testclient import TestClient
from hypothesis import given
from hypothesis import strategies as st

from evgrid.jobs.hosting import HostingRequest
from evgrid.web.app import create_app
from evgrid.web.settings import Settings

SITE = {
    "kind": "residential",
    "name": "Fuzz",
    "built": 1995,
    "households": 400,
    "parking_spaces": 200,
    "transformer_kva": 800,
    "regular_peak_kw": 500,
}
OPTIONS = [o.name for o in HostingRequest.options() if o.name not in ("site", "method")]
SCALARS = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(10**20), max_value=10**20),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
    st.sampled_from(["../../etc/passwd", "timeseries", "tou", "report", "1e999", "nan", "０"]),
)
VALUES = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=6,
)
BODIES = st.dictionaries(
    st.sampled_from([*OPTIONS, "limt", "site", "case", "curves", "__proto__"]), VALUES, max_size=4
)


@pytest.fixture(scope="module")
def client() -> Any:
    with TestClient(create_app(Settings()), base_url="http://127.0.0.1") as c:
        yield c


def _refusal_or_answer(response: Any) -> None:
    assert response.status_code in (200, 413, 422), response.text
    body = response.json()
    if response.status_code != 200:
        line = body["error"]
        assert isinstance(line, str) and "\n" not in line and len(line) <= 300
        assert "Traceback" not in line
    else:
        json.dumps(body, allow_nan=False)  # valid JSON: no NaN or infinity


@given(BODIES)
def test_hosting_json_bodies(client: TestClient, body: dict[str, Any]) -> None:
    body = {**body}
    if "site" not in body and "case" not in body:
        body["site"] = SITE
    if isinstance(body.get("days"), int) and body["days"] > 3:
        body["days"] = 3  # a valid day count: keep the fuzz fast
    _refusal_or_answer(client.post("/api/hosting", json=body))
    assert client.get("/api/health").status_code == 200


@given(
    st.dictionaries(st.sampled_from([*OPTIONS, "limt", "curves"]), st.text(max_size=20), max_size=4)
)
def test_hosting_upload_form_fields(client: TestClient, fields: dict[str, str]) -> None:
    import yaml

    if fields.get("days", "").strip().isdigit():
        fields["days"] = "2"
    files = {"site": ("site.yaml", yaml.safe_dump(SITE).encode())}
    _refusal_or_answer(client.post("/api/hosting/upload", files=files, data=fields))
    assert client.get("/api/health").status_code == 200

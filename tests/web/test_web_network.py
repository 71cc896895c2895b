"""A site's low-voltage network over HTTP: a bundled area is taken, a path is refused (422, the
field named), a network file comes only as an upload; the result page shows the network's answer
and its one-line diagram; a city job takes network files like curves."""

from __future__ import annotations

import time
from typing import Any

import pandas as pd
import pytest
import yaml
from fastapi.testclient import TestClient

pytest.importorskip("power_grid_model")

SITE: dict[str, Any] = {
    "kind": "residential",
    "name": "Lane",
    "built": 1990,
    "households": 30,
    "parking_spaces": 30,
    "transformer_kva": 630,
}
WEAK_LANE = """\
name: weak-lane
transformers:
  - {name: T1, bus: LV, rating_kva: 630}
buses:
  - {name: LV}
  - {name: B1, households: 30, spaces: 30}
cables:
  - {from: LV, to: B1, type: YJLV22-4x25, length_m: 200}
"""


def test_a_bundled_area_is_taken(client: TestClient) -> None:
    body = {"site": {**SITE, "network": "cn-feeder-4x25"}, "network_days": 1}
    r = client.post("/api/hosting", json=body)
    assert r.status_code == 200, r.text
    doc = r.json()
    assert doc["result"]["network"]["network"] == "cn-feeder-4x25"
    first = doc["result"]["results"][0]
    assert first["network"]["strategy"] == "uncontrolled"
    assert first["recommended_pile_ratio"] == min(
        first["transformer_pile_ratio"], first["network"]["pile_ratio"]
    )
    # the option names a bundled area for a site without one
    r = client.post(
        "/api/hosting", json={"site": SITE, "network": "cn-feeder-4x25", "network_days": 1}
    )
    assert r.status_code == 200 and r.json()["result"]["network"]["network"] == "cn-feeder-4x25"


@pytest.mark.parametrize(
    ("body", "pointer"),
    [
        ({"site": {**SITE, "network": "/srv/area.yaml"}}, "/site/network"),
        ({"site": {**SITE, "network": "../area.yaml"}}, "/site/network"),
        ({"site": SITE, "network": "/srv/area.yaml"}, "/network"),
        ({"site": {**SITE, "climate": "/etc/passwd"}}, "/site/climate"),
    ],
)
def test_a_path_is_refused_naming_the_field(
    client: TestClient, body: dict[str, Any], pointer: str
) -> None:
    r = client.post("/api/hosting", json=body)
    assert r.status_code == 422, r.text
    error = r.json()
    assert error["field"] == pointer.rsplit("/", 1)[1] and error["pointer"] == pointer
    assert "no path it names is opened" in error["error"] or "no file over HTTP" in error["error"]
    assert client.get("/api/health").status_code == 200


def test_a_network_file_comes_as_an_upload(client: TestClient) -> None:
    doc = yaml.safe_dump({**SITE, "network": "lane.yaml"}).encode()
    files = {
        "site": ("site.yaml", doc),
        "network_file": ("lane.yaml", WEAK_LANE.encode()),
    }
    r = client.post("/api/hosting/upload", files=files, data={"network_days": "1"})
    assert r.status_code == 200, r.text
    net = r.json()["result"]["network"]
    assert net["network"] == "weak-lane"
    first = r.json()["result"]["results"][0]
    assert first["recommended_pile_ratio"] == first["network"]["pile_ratio"] < 1.0
    # a document that names no network takes the uploaded one; another name is refused
    plain = {
        "site": ("site.yaml", yaml.safe_dump(SITE).encode()),
        **{"network_file": files["network_file"]},
    }
    r = client.post("/api/hosting/upload", files=plain, data={"network_days": "1"})
    assert r.status_code == 200 and r.json()["result"]["network"]["network"] == "weak-lane"
    other = {**files, "site": ("site.yaml", yaml.safe_dump({**SITE, "network": "x.yaml"}).encode())}
    r = client.post("/api/hosting/upload", files=other)
    assert r.status_code == 422 and r.json()["field"] == "network"
    assert "the file name of a network sent with it (lane.yaml)" in r.json()["error"]
    assert "/tmp" not in r.json()["error"]  # the server's folder never shows


def test_the_result_page_shows_the_network(client: TestClient) -> None:
    form = {**{k: str(v) for k, v in SITE.items()}, "network": "cn-feeder-4x25",
            "network_days": "1"}  # fmt: skip
    r = client.post("/site", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text[:2000]
    page = client.get(r.headers["location"]).text
    assert 'id="table-network"' in page and 'id="chart-network"' in page
    assert "cn-feeder-4x25" in page and "binds first in the network" in page
    assert "network fails [year]" in page  # the upgrade year of the network, beside the unit's
    # the bundled feeder has 300 households, the site 30: the page says the answer is the area's
    assert "cn-feeder-4x25 has 300 households" in page and "the site 30 and 30" in page
    files = {"network_file": ("lane.yaml", WEAK_LANE.encode())}
    r = client.post("/site", data={k: str(v) for k, v in SITE.items()}, files=files,
                    follow_redirects=False)  # fmt: skip
    assert r.status_code == 303, r.text[:2000]
    page = client.get(r.headers["location"]).text
    assert "weak-lane" in page and "this site's drawing" not in page  # its own size: no note
    form = client.get("/").text
    assert 'name="network_file"' in form and 'id="field-network"' not in form


CITY = """\
id,kind,name,type,households,parking_spaces,transformer_kva,network
a,residential,Lane A,old,30,30,630,lane.yaml
b,residential,Feeder B,old,300,100,630,cn-feeder-4x25
c,residential,Hostile C,old,30,30,630,/etc/passwd.yaml
"""


def test_a_city_job_takes_network_files_like_curves(client: TestClient) -> None:
    r = client.post(
        "/api/jobs/city",
        files=[
            ("sites", ("city.csv", CITY.encode())),
            ("networks", ("lane.yaml", WEAK_LANE.encode())),
        ],
        data={"strategies": "uncontrolled", "network_days": "1"},
    )
    assert r.status_code == 202, r.text
    job = r.json()["id"]
    deadline = time.monotonic() + 120
    while (status := client.get(f"/api/jobs/{job}").json())["state"] not in ("done", "failed"):
        assert time.monotonic() < deadline, status
        time.sleep(0.2)
    assert status["state"] == "done", status
    up = pd.read_csv(pd.io.common.StringIO(client.get(f"/api/jobs/{job}/files/upgrades.csv").text))
    assert dict(zip(up.site_id, up.network, strict=True)) == {
        "a": "weak-lane",
        "b": "cn-feeder-4x25",
    }
    errors = client.get(f"/api/jobs/{job}/files/errors.csv").text
    assert "network" in errors and "no path it names is opened" in errors

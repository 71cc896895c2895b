"""Who may use the server, and what it accepts: token, host, origin, upload size."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner
from webtools import B_SITE, TOKEN, make_client

import evgrid.cli
from evgrid.errors import InputError
from evgrid.web import security
from evgrid.web.settings import TOKEN_ENV, Settings, is_loopback, token_from


@pytest.mark.parametrize(
    ("host", "loopback"),
    [("127.0.0.1", True), ("127.8.9.1", True), ("::1", True), ("[::1]", True),
     ("localhost", True), ("0.0.0.0", False), ("192.168.1.5", False), ("example.org", False),
     ("::", False)],
)  # fmt: skip
def test_loopback_addresses(host: str, loopback: bool) -> None:
    assert is_loopback(host) is loopback


def test_beyond_loopback_needs_a_token() -> None:
    with pytest.raises(InputError, match=r"--host: got '0.0.0.0'; allowed: a loopback address"):
        Settings(host="0.0.0.0")
    with pytest.raises(InputError, match="--token: got a token of 5 characters"):
        Settings(host="0.0.0.0", token="short")
    settings = Settings(host="0.0.0.0", token=TOKEN, port=8080)
    line = settings.startup_line()
    assert "http://0.0.0.0:8080" in line and "access token required" in line
    assert TOKEN not in line and TOKEN not in repr(settings)
    assert "no access token" in Settings().startup_line()


@pytest.mark.parametrize(
    "token",
    [
        " " * 16,
        "\t" * 20,
        "good-token-1234 with a space",
        "token-with-a-line\nbreak!",
        "сорок-символов-не-ascii-токена",
    ],
)
def test_a_token_no_client_can_present_is_refused(token: str) -> None:
    with pytest.raises(InputError, match="--token: got a token with characters a client cannot"):
        Settings(host="0.0.0.0", token=token)


def test_serve_refuses_a_token_of_spaces_in_one_line() -> None:
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-m", "evgrid", "serve", "--host", "0.0.0.0", "--token", " " * 16],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 2 and run.stdout == ""
    assert run.stderr.count("\n") == 1 and "--token" in run.stderr, run.stderr


def test_token_from_option_or_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    assert token_from(None) is None
    monkeypatch.setenv(TOKEN_ENV, "from-the-environment-123")
    assert token_from(None) == "from-the-environment-123"
    assert token_from("from-the-option-12345") == "from-the-option-12345"


def test_cli_refuses_to_start_beyond_loopback_without_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(TOKEN_ENV, raising=False)
    result = CliRunner().invoke(evgrid.cli.app, ["serve", "--host", "0.0.0.0", "--port", "0"])
    assert result.exit_code == 2
    assert result.output.startswith("evgrid: error: --host: got '0.0.0.0'; allowed: a loopback")
    bad = CliRunner().invoke(evgrid.cli.app, ["serve", "--max-upload-mb", "0"])
    assert bad.exit_code == 2 and "--max-upload-mb: got 0.0" in bad.output


def test_api_needs_the_token_beyond_loopback(token_client: TestClient) -> None:
    missing = token_client.get("/api/health")
    assert missing.status_code == 401
    assert missing.json()["error"].startswith("access token: missing")
    assert missing.headers["www-authenticate"] == "Bearer"
    wrong = token_client.get("/api/health", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json()["error"].startswith("access token: wrong")
    ok = token_client.get("/api/health", headers={"Authorization": f"Bearer {TOKEN}"})
    assert ok.status_code == 200
    for path in ("/openapi.json", "/docs", "/vendor/plotly.min.js", "/api/jobs"):
        assert token_client.get(path, follow_redirects=False).status_code in (401, 303), path
    post = token_client.post("/api/hosting", json={"case": "B"})
    assert post.status_code == 401
    authorised = token_client.post(
        "/api/hosting", json={"site": B_SITE}, headers={"Authorization": f"Bearer {TOKEN}"}
    )
    assert authorised.status_code == 200


def test_pages_ask_for_the_token_and_keep_it_in_a_cookie(token_client: TestClient) -> None:
    page = token_client.get("/results/x?lang=zh", follow_redirects=False)
    assert page.status_code == 303
    assert page.headers["location"] == "/login?next=%2Fresults%2Fx%3Flang%3Dzh"
    assert token_client.get("/login").status_code == 200
    wrong = token_client.post("/login", data={"token": "nope", "next": "/"})
    assert wrong.status_code == 401 and "access token: wrong" in wrong.text
    elsewhere = token_client.post(
        "/login", data={"token": TOKEN, "next": "//evil.example/"}, follow_redirects=False
    )
    assert elsewhere.status_code == 303 and elsewhere.headers["location"] == "/"
    cookie = elsewhere.headers["set-cookie"]
    assert "HttpOnly" in cookie and "SameSite=strict" in cookie.replace("Strict", "strict")
    assert token_client.get("/").status_code == 200  # the client keeps the cookie
    assert token_client.get("/api/health").status_code == 200


def test_the_comparison_is_constant_time(
    token_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[bytes, bytes]] = []
    real = security.hmac.compare_digest

    def spy(a: bytes, b: bytes) -> bool:
        calls.append((a, b))
        return real(a, b)

    monkeypatch.setattr(security.hmac, "compare_digest", spy)
    token_client.get("/api/health", headers={"Authorization": "Bearer guess"})
    assert calls == [(b"guess", TOKEN.encode())]


def test_loopback_refuses_other_host_names(client: TestClient) -> None:
    r = client.get("/api/health", headers={"host": "evil.example:8000"})
    assert r.status_code == 400 and r.json()["error"].startswith("host: got 'evil.example'")
    assert client.get("/api/health", headers={"host": "localhost:8000"}).status_code == 200


def test_cross_site_posts_are_refused(client: TestClient) -> None:
    r = client.post("/api/hosting", json={"case": "B"}, headers={"origin": "http://evil.example"})
    assert r.status_code == 403
    same = client.post("/api/hosting", json={"case": "B"}, headers={"origin": "http://127.0.0.1"})
    assert same.status_code == 200


def test_security_headers(client: TestClient) -> None:
    headers = client.get("/").headers
    assert "default-src 'self'" in headers["content-security-policy"]
    assert headers["x-content-type-options"] == "nosniff"


def test_uploads_over_the_limit_get_413_and_the_server_keeps_serving() -> None:
    with make_client(max_upload_bytes=20_000) as small:
        big = b"power_kw\n" + b"1\n" * 20_000
        r = small.post(
            "/api/sites/validate/upload",
            files={"site": ("b.yaml", b"kind: residential"), "load_curve": ("c.csv", big)},
        )
        assert r.status_code == 413
        assert r.json()["error"].startswith("upload: larger than the limit")

        def chunks():  # no Content-Length: counted as it arrives
            for _ in range(50):
                yield b"x" * 1000

        streamed = small.post(
            "/api/sites/validate", content=chunks(), headers={"content-type": "application/json"}
        )
        assert streamed.status_code == 413
        page = small.post("/site", files={"site_file": ("s.yaml", big)})
        assert page.status_code == 413 and "text/html" in page.headers["content-type"]
        assert small.post("/api/hosting", json={"case": "B"}).status_code == 200

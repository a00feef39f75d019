"""The README's production sequence, for real: `check --deploy`, `migrate`, `collectstatic` with the manifest,
gunicorn with DEBUG=0, then the main page of each role fetched through it.

Everything runs in subprocesses with the README's production environment (a temporary SQLite database and
static folder stand in for PostgreSQL and the server's disk), behind a pretend TLS proxy: requests carry
``X-Forwarded-Proto: https`` as the README's proxy does, so SECURE_SSL_REDIRECT and secure cookies stay on.
"""

from __future__ import annotations

import http.client
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
STEP_TIMEOUT_S = 120
PASSWORD = "demo1234"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def production_env(tmp: Path, port: int) -> dict[str, str]:
    """The README's « Running in production » environment (step 2), on this machine."""
    keep = {"PATH", "HOME", "LANG", "LC_ALL", "TMPDIR", "SYSTEMROOT"}
    env = {name: value for name, value in os.environ.items() if name in keep}
    env.update(
        PYTHONUNBUFFERED="1",
        DJANGO_SETTINGS_MODULE="config.settings",
        DEBUG="0",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=f"sqlite:///{tmp / 'logis.sqlite3'}",
        LOGIS_VAR_DIR=str(tmp),
        STATIC_ROOT=str(tmp / "staticfiles"),
        ALLOWED_HOSTS="127.0.0.1",
        CSRF_TRUSTED_ORIGINS=f"https://127.0.0.1:{port}",
        SITE_URL=f"https://127.0.0.1:{port}",
        EMAIL_URL="smtp://127.0.0.1:9",  # never reached: no worker runs here
        DEFAULT_FROM_EMAIL="Logis <no-reply@example.com>",
        SECURE_COOKIES="1",
        SECURE_SSL_REDIRECT="1",
        BEHIND_PROXY="1",
        SECURE_HSTS_SECONDS="31536000",
        LOGIS_MANIFEST_STATIC="1",
        STRIPE_SECRET_KEY="sk_test_" + "x" * 24,
        STRIPE_WEBHOOK_SECRET="whsec_" + "x" * 24,
    )
    return env


def manage(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=STEP_TIMEOUT_S,
        check=False,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result


@dataclass
class Browser:
    """Just enough of a browser behind a TLS proxy: cookies (secure ones too), CSRF, redirects."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, body: dict[str, str] | None = None) -> http.client.HTTPResponse:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=30)
        origin = f"https://127.0.0.1:{self.port}"
        headers = {"Host": f"127.0.0.1:{self.port}", "X-Forwarded-Proto": "https", "Accept-Language": "fr"}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        data = None
        if body is not None:
            data = urlencode(body)
            headers.update(
                {
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Origin": origin,
                    "Referer": origin + path,
                }
            )
        conn.request(method, path, body=data, headers=headers)
        response = conn.getresponse()
        response.body = response.read()  # type: ignore[attr-defined]
        conn.close()
        for header in response.headers.get_all("Set-Cookie") or []:
            cookie = SimpleCookie(header)
            for name, morsel in cookie.items():
                self.cookies[name] = morsel.value
        return response

    def get(self, path: str) -> tuple[http.client.HTTPResponse, str]:
        """GET, following redirects on the same site; the last answer and the path it came from."""
        for _ in range(5):
            response = self.request("GET", path)
            if response.status not in (301, 302, 303):
                return response, path
            path = urlsplit(response.headers["Location"]).path or "/"
        raise AssertionError(f"too many redirects from {path}")

    def sign_in(self, email: str) -> None:
        response, _ = self.get("/accounts/login/")
        assert response.status == 200
        html = response.body.decode()  # type: ignore[attr-defined]
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)
        assert token, "no CSRF token on the sign-in form"
        answer = self.request(
            "POST",
            "/accounts/login/",
            {"csrfmiddlewaretoken": token.group(1), "login": email, "password": PASSWORD},
        )
        assert answer.status == 302, f"sign-in of {email} answered {answer.status}"
        assert "sessionid" in self.cookies


@pytest.fixture(scope="module")
def production_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[int, dict[str, str]]]:
    """Steps 3 and 4 of the README, in order, then gunicorn until the module's tests are done."""
    tmp = tmp_path_factory.mktemp("production")
    port = _free_port()
    env = production_env(tmp, port)
    checked = manage(env, "check", "--deploy", "--fail-level", "WARNING")
    assert "no issues" in checked.stdout, checked.stdout + checked.stderr
    manage(env, "migrate", "--noinput")
    manage(env, "collectstatic", "--noinput")
    manage(env, "load_demo")  # people of every role, with the demo's password
    server = subprocess.Popen(
        [
            str(Path(sys.executable).with_name("gunicorn")),
            "config.wsgi",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            "2",
            "--timeout",
            "60",
        ],
        cwd=BASE_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert server.poll() is None, f"gunicorn exited:\n{server.stdout.read() if server.stdout else ''}"
            try:
                response = Browser(port).request("GET", "/healthz")
                if response.status == 200:
                    break
            except OSError:
                pass
            assert time.monotonic() < deadline, "gunicorn did not answer /healthz with 200 within 60 s"
            time.sleep(0.3)
        yield port, env
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            output, _ = server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            output, _ = server.communicate()
        assert "Traceback" not in (output or ""), output


def _assert_page(response: http.client.HTTPResponse, path: str) -> str:
    html: str = response.body.decode()  # type: ignore[attr-defined]
    assert response.status == 200, f"{path} answered {response.status}:\n{html[:2000]}"
    assert "text/html" in response.headers["Content-Type"]
    csp = response.headers["Content-Security-Policy"]
    script_src = re.search(r"script-src ([^;]*)", csp)
    assert script_src and "'unsafe-inline'" not in script_src.group(1), csp
    assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    return html


@pytest.mark.slow
def test_every_role_gets_its_pages_from_the_production_server(
    production_server: tuple[int, dict[str, str]],
) -> None:
    port, _ = production_server

    health = Browser(port).request("GET", "/healthz")
    assert health.status == 200, health.body  # type: ignore[attr-defined]

    visitor = Browser(port)
    response, path = visitor.get("/")
    html = _assert_page(response, path)
    assert path == "/accounts/login/"
    # The hashed, compressed static files the page names are served (whitenoise), as is the favicon.
    stylesheet = re.search(r'href="(/static/vendor/bootstrap/bootstrap\.min\.[0-9a-f]+\.css)"', html)
    assert stylesheet, "the sign-in page does not name the hashed stylesheet"
    assert visitor.request("GET", stylesheet.group(1)).status == 200
    icon, _ = visitor.get("/favicon.ico")
    assert icon.status == 200
    assert icon.headers["Content-Type"] in {"image/x-icon", "image/vnd.microsoft.icon"}

    manager = Browser(port)
    manager.sign_in("gestionnaire@example.com")
    response, path = manager.get("/p/")
    html = _assert_page(response, path)
    property_page = re.search(r'href="/p/(\d+)/"', html)
    assert property_page, "the manager's property list links to no property"
    response, path = manager.get(f"/p/{property_page.group(1)}/")
    _assert_page(response, path)
    response, path = manager.get(f"/p/{property_page.group(1)}/invoices/")
    html = _assert_page(response, path)
    assert "Factures" in html

    resident = Browser(port)
    resident.sign_in("resident@example.com")
    response, path = resident.get("/portal/")
    html = _assert_page(response, path)
    assert "Mes factures" in html or "Payer" in html

    support = Browser(port)
    support.sign_in("support@example.com")
    response, path = support.get("/admin/invoicing/invoice/")
    _assert_page(response, path)

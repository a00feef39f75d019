"""Sessions read from the shared cache when there is one (decision 0042): one query fewer on every page,
and a signed-out or replaced session is refused as before. Without a shared cache they stay in the database
alone: each web process's memory cache would keep a session signed out in another process valid."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.contrib.sessions.models import Session
from django.core.cache import caches
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings
from django.urls import reverse

from logis.accounts.models import User
from logis.properties.models import Property

BASE_DIR = Path(__file__).resolve().parents[2]
REDIS = "redis://127.0.0.1:6379/14"


def _redis_answers() -> bool:
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            return True
    except OSError:
        return False


def _session_engine(redis_url: str) -> str:
    """``SESSION_ENGINE`` as the settings module computes it in a process with this ``REDIS_URL``."""
    env = {**os.environ, "REDIS_URL": redis_url, "DJANGO_SETTINGS_MODULE": "config.settings"}
    code = "from django.conf import settings; print(settings.SESSION_ENGINE)"
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=BASE_DIR, env=env, capture_output=True, text=True, check=True
    )
    return out.stdout.strip()


def test_sessions_use_the_cache_only_when_it_is_shared() -> None:
    assert _session_engine(REDIS) == "django.contrib.sessions.backends.cached_db"
    assert _session_engine("") == "django.contrib.sessions.backends.db"


@pytest.fixture
def redis_sessions() -> Iterator[None]:
    if not _redis_answers():
        pytest.skip("no Redis on 127.0.0.1:6379")
    cache = {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": REDIS}
    with override_settings(
        SESSION_ENGINE="django.contrib.sessions.backends.cached_db", CACHES={"default": cache}
    ):
        caches["default"].clear()
        yield
        caches["default"].clear()


def _sign_in(client: Client, user: User) -> None:
    response = client.post(reverse("account_login"), {"login": user.email, "password": "pw-123456"})
    assert response.status_code == 302


def test_a_page_of_a_property_reads_session_from_the_cache(
    redis_sessions: None, manager: User, prop: Property
) -> None:
    client = Client()
    _sign_in(client, manager)
    url = reverse("invoicing:list", args=[prop.pk])
    assert client.get(url).status_code == 200
    with CaptureQueriesContext(connection) as queries:
        html = client.get(url).content.decode()
    assert "Factures" in html
    sql = [q["sql"] for q in queries.captured_queries]
    assert not [s for s in sql if "django_session" in s]
    # The property and the user's role on it: one query (not one each).
    assert len([s for s in sql if 'FROM "properties_property"' in s]) == 1
    assert not [s for s in sql if s.startswith('SELECT "accounts_membership"."role"')]


def test_signing_out_ends_the_session_in_the_cache_and_the_database(
    redis_sessions: None, manager: User, prop: Property
) -> None:
    client = Client()
    _sign_in(client, manager)
    cookie = client.cookies["sessionid"].value
    url = reverse("invoicing:list", args=[prop.pk])
    assert client.get(url).status_code == 200
    assert client.post(reverse("account_logout")).status_code == 302

    # The old cookie, replayed (a copy kept by someone else): refused, whichever store is asked.
    replay = Client()
    replay.cookies["sessionid"] = cookie
    response = replay.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))
    assert not Session.objects.filter(session_key=cookie).exists()


def test_a_password_change_elsewhere_signs_out_a_cached_session(
    redis_sessions: None, manager: User, prop: Property
) -> None:
    client = Client()
    _sign_in(client, manager)
    url = reverse("invoicing:list", args=[prop.pk])
    assert client.get(url).status_code == 200  # the session is in the cache now
    manager.set_password("another-pw-987")
    manager.save()
    response = client.get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_login"))


def test_a_role_taken_away_is_seen_on_the_next_request(
    redis_sessions: None, manager: User, prop: Property
) -> None:
    client = Client()
    _sign_in(client, manager)
    url = reverse("invoicing:list", args=[prop.pk])
    assert client.get(url).status_code == 200
    manager.memberships.filter(property=prop).delete()
    assert client.get(url).status_code == 404

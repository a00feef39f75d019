"""Behind the TLS proxy the README recommends, failed sign-ins are counted per client address (from the
proxy's X-Forwarded-For) and per account: one attacker cannot lock everyone else out."""

from __future__ import annotations

import runpy
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from logis.accounts.models import User

SETTINGS = Path(__file__).resolve().parents[2] / "config" / "settings.py"
PROXY = "127.0.0.1"  # every request reaches Django from the proxy
ATTACKER = "203.0.113.66"
RESIDENT = "198.51.100.7"


def production_settings(monkeypatch: pytest.MonkeyPatch, **env: str) -> dict[str, Any]:
    """The settings module as production's environment makes it (README: BEHIND_PROXY=1)."""
    monkeypatch.delenv("LOGIS_DISABLE_RATE_LIMITS", raising=False)
    monkeypatch.delenv("LOGIS_TRUSTED_PROXY_COUNT", raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(SETTINGS))


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def behind_proxy(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    built = production_settings(monkeypatch, BEHIND_PROXY="1")
    settings.ALLAUTH_TRUSTED_PROXY_COUNT = built["ALLAUTH_TRUSTED_PROXY_COUNT"]
    settings.ACCOUNT_RATE_LIMITS = built["ACCOUNT_RATE_LIMITS"]


def sign_in(email: str, password: str, *, client_ip: str) -> int:
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=client_ip)
    response = client.post(reverse("account_login"), {"login": email, "password": password})
    return response.status_code


def test_made_up_emails_from_one_address_do_not_lock_out_a_resident_elsewhere(
    behind_proxy: None, manager: User
) -> None:
    for n in range(11):
        assert sign_in(f"nobody{n}@example.com", "guess", client_ip=ATTACKER) == 200
    # The attacker's address is now limited…
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=ATTACKER)
    html = client.post(reverse("account_login"), {"login": manager.email, "password": "pw-123456"})
    assert html.status_code in {200, 429}
    assert "_auth_user_id" not in client.session
    # …but not the real person signing in from home through the same proxy.
    assert sign_in(manager.email, "pw-123456", client_ip=RESIDENT) == 302


def test_the_same_account_hammered_from_many_addresses_is_limited(behind_proxy: None, manager: User) -> None:
    for n in range(5):
        assert sign_in(manager.email, "wrong", client_ip=f"203.0.113.{n + 1}") == 200
    client = Client(REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR="203.0.113.99")
    client.post(reverse("account_login"), {"login": manager.email, "password": "pw-123456"})
    assert "_auth_user_id" not in client.session  # even the right password waits, for this account only
    assert sign_in("other@example.com", "wrong", client_ip="203.0.113.99") == 200


def test_trusted_proxy_count_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    assert production_settings(monkeypatch)["ALLAUTH_TRUSTED_PROXY_COUNT"] == 0
    assert production_settings(monkeypatch, BEHIND_PROXY="1")["ALLAUTH_TRUSTED_PROXY_COUNT"] == 1
    two = production_settings(monkeypatch, BEHIND_PROXY="1", LOGIS_TRUSTED_PROXY_COUNT="2")
    assert two["ALLAUTH_TRUSTED_PROXY_COUNT"] == 2

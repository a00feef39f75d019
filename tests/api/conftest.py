"""Fixtures of the API tests: the role world of tests/roles.py with one API token per person."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client

from logis.accounts.models import User
from logis.api.services import create_api_token
from tests.roles import World


class ApiClient:
    """Django's test client speaking JSON with a bearer token (or none)."""

    def __init__(self, token: str | None = None, language: str | None = None) -> None:
        self.client = Client()
        self.headers: dict[str, str] = {}
        if token is not None:
            self.headers["Authorization"] = f"Bearer {token}"
        if language is not None:
            self.headers["Accept-Language"] = language

    def get(self, path: str, params: dict[str, Any] | None = None, **headers: str) -> Any:
        return self.client.get(f"/api/v1{path}", params or {}, headers={**self.headers, **headers})

    def send(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        data = body if isinstance(body, str) else json.dumps(body if body is not None else {})
        call = getattr(self.client, method.lower())
        return call(
            f"/api/v1{path}", data=data, content_type="application/json", headers={**self.headers, **headers}
        )

    def post(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.send("post", path, body, **headers)

    def patch(self, path: str, body: Any = None, **headers: str) -> Any:
        return self.send("patch", path, body, **headers)


def token_for(user: User) -> str:
    return create_api_token(actor=user, name="Tests").secret


@pytest.fixture
def api_for(world: World) -> Any:
    """``api_for("manager")``: a client acting as that person of the world (``anonymous``: no token;
    ``resident``: a resident has no token of their own, so one is made for them by hand)."""
    from logis.api.models import ApiToken
    from logis.api.services import PUBLIC_PREFIX_LENGTH, TOKEN_PREFIX, hash_token

    def make(role: str, language: str | None = None) -> ApiClient:
        user = world.users.get(role)
        if user is None:
            return ApiClient(None, language)
        if role in ("none", "resident"):
            # The service refuses them a token (tested elsewhere); one written directly proves the API
            # still shows them nothing.
            secret = f"{TOKEN_PREFIX}test-{role}-{user.pk}"
            ApiToken.objects.create(
                user=user, name="t", prefix=secret[:PUBLIC_PREFIX_LENGTH], token_hash=hash_token(secret)
            )
            return ApiClient(secret, language)
        return ApiClient(token_for(user), language)

    return make

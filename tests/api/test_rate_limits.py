"""Requests per minute per API token: past the limit, 429 with Retry-After and a message in the caller's
language; another token is not affected; deep offsets are refused with the limit in the message."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.cache import cache

from logis.api.schemas import MAX_OFFSET
from tests.api.conftest import ApiClient, token_for
from tests.roles import World


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    cache.clear()
    yield
    cache.clear()


def test_a_token_past_its_requests_per_minute_gets_429_with_retry_after(world: World, settings: Any) -> None:
    settings.API_RATE_LIMIT_PER_MINUTE = 5
    manager = world.users["manager"]
    assert manager is not None
    busy = ApiClient(token_for(manager), "fr")
    url = f"/properties/{world.prop.pk}/units"
    assert [busy.get(url).status_code for _ in range(5)] == [200] * 5

    refused = busy.get(url)
    assert refused.status_code == 429
    assert 1 <= int(refused["Retry-After"]) <= 60
    assert refused.json()["message"].startswith(
        "Trop de requêtes avec ce jeton d'API : au plus 5 par minute."
    )
    english = ApiClient(busy.headers["Authorization"].removeprefix("Bearer "), "en").get(url)
    assert english.status_code == 429
    assert english.json()["message"].startswith("Too many requests with this API token: at most 5 a minute.")

    # Another token of the same person has its own count.
    assert ApiClient(token_for(manager)).get(url).status_code == 200


def test_the_limit_is_documented_in_the_openapi_description(world: World) -> None:
    manager = world.users["manager"]
    assert manager is not None
    schema = ApiClient(token_for(manager)).get("/openapi.json").json()
    responses = schema["paths"]["/api/v1/properties/{property_id}/units"]["get"]["responses"]
    assert "429" in responses


def test_an_offset_past_the_maximum_is_refused_clearly(world: World) -> None:
    manager = world.users["manager"]
    assert manager is not None
    api = ApiClient(token_for(manager), "en")
    url = f"/properties/{world.prop.pk}/invoices"
    assert api.get(url, {"offset": MAX_OFFSET}).status_code == 200
    response = api.get(url, {"offset": MAX_OFFSET + 1})
    assert response.status_code == 422
    assert response.json()["errors"]["offset"] == [f"Enter a number less than or equal to {MAX_OFFSET}."]

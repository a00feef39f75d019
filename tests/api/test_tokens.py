"""Personal API tokens: created by staff only, shown once, stored as a hash, refused once revoked or
expired (401 with a JSON message), "last used" written at most once a minute, audited."""

from __future__ import annotations

import datetime as dt
import hashlib
import html as html_lib
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from logis.api import services
from logis.api.models import ApiToken
from logis.core.errors import PermissionDenied, ValidationError
from logis.core.models import AuditEvent
from logis.core.permissions import Role
from logis.invoicing.models import Invoice
from tests.api.conftest import ApiClient
from tests.factories import UserFactory
from tests.roles import World

pytestmark = pytest.mark.django_db

PAGE = "/accounts/api-tokens/"


def test_token_is_stored_as_its_sha256_only(world: World) -> None:
    created = services.create_api_token(actor=world.users[Role.MANAGER], name="Comptabilité")
    token = ApiToken.objects.get()
    assert token.token_hash == hashlib.sha256(created.secret.encode()).hexdigest()
    assert created.secret.startswith("lgs_") and len(created.secret) > 40
    assert token.prefix == created.secret[:12]
    stored = [str(v) for v in ApiToken.objects.values_list(flat=False).get()]
    assert not any(created.secret in value for value in stored)


def test_residents_and_people_without_a_role_may_not_create_tokens(world: World) -> None:
    for role in ("resident", "none"):
        with pytest.raises(PermissionDenied):
            services.create_api_token(actor=world.users[role], name="Moi")
    assert not ApiToken.objects.exists()


def test_token_name_is_required_and_expiry_cannot_be_past(world: World) -> None:
    with pytest.raises(ValidationError) as caught:
        services.create_api_token(
            actor=world.users[Role.ADMIN], name="  ", expires_on=timezone.localdate() - dt.timedelta(days=1)
        )
    assert set(caught.value.errors) == {"name", "expires_on"}


def test_creating_and_revoking_write_audit_events(world: World) -> None:
    user = world.users[Role.TREASURER]
    created = services.create_api_token(actor=user, name="Portail")
    services.revoke_api_token(actor=user, token_id=created.token.pk)
    verbs = list(AuditEvent.objects.filter(actor=user).order_by("id").values_list("verb", flat=True))
    assert verbs == ["api_token.created", "api_token.revoked"]
    assert created.secret not in str(list(AuditEvent.objects.values_list("before", "after")))


def test_a_request_without_a_token_answers_401_in_json(world: World) -> None:
    response = ApiClient(None).get("/properties")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert "Authorization: Bearer" in response.json()["message"]


@pytest.mark.parametrize(
    "header", ["Bearer lgs_nothing-like-it", "Bearer nope", "Basic dXNlcjpwdw==", "Bearer "]
)
def test_an_unknown_token_answers_401(world: World, header: str) -> None:
    response = Client().get("/api/v1/properties", headers={"Authorization": header})
    assert response.status_code == 401
    assert response.json()["message"]


def test_a_revoked_token_answers_401_at_once(world: World) -> None:
    user = world.users[Role.MANAGER]
    created = services.create_api_token(actor=user, name="x")
    client = ApiClient(created.secret, "en")
    assert client.get("/properties").status_code == 200
    services.revoke_api_token(actor=user, token_id=created.token.pk)
    response = client.get("/properties")
    assert response.status_code == 401
    assert response.json()["message"].startswith("This API token was revoked.")


def test_an_expired_token_answers_401(world: World) -> None:
    user = world.users[Role.MANAGER]
    today = timezone.localdate()
    created = services.create_api_token(actor=user, name="x", expires_on=today)
    assert ApiClient(created.secret).get("/properties").status_code == 200  # works through its last day
    ApiToken.objects.filter(pk=created.token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = ApiClient(created.secret, "fr").get("/properties")
    assert response.status_code == 401
    assert response.json()["message"].startswith("Ce jeton d'API a expiré.")


def test_a_token_expires_at_the_end_of_its_expiry_date(world: World) -> None:
    created = services.create_api_token(
        actor=world.users[Role.ADMIN], name="x", expires_on=dt.date(2031, 3, 10)
    )
    assert created.token.expires_on == dt.date(2031, 3, 10)
    local = timezone.localtime(created.token.expires_at)
    assert (local.date(), local.time()) == (dt.date(2031, 3, 11), dt.time(0, 0))


def test_a_token_of_a_deactivated_user_answers_401(world: World) -> None:
    user = world.users[Role.MANAGER]
    created = services.create_api_token(actor=user, name="x")
    user.is_active = False
    user.save()
    assert ApiClient(created.secret).get("/properties").status_code == 401


def test_last_used_is_written_at_most_once_a_minute(world: World) -> None:
    created = services.create_api_token(actor=world.users[Role.MANAGER], name="x")
    client = ApiClient(created.secret)
    assert created.token.last_used_at is None
    client.get("/properties")
    first = ApiToken.objects.get().last_used_at
    assert first is not None
    with CaptureQueriesContext(connection) as queries:
        client.get("/properties")
    assert not [q for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert ApiToken.objects.get().last_used_at == first
    ApiToken.objects.update(last_used_at=first - dt.timedelta(minutes=2))
    client.get("/properties")
    latest = ApiToken.objects.get().last_used_at
    assert latest is not None and latest > first


# --- The « Jetons d'API » page ----------------------------------------------------------------------


def _signed_in(user: Any) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_page_shows_a_new_token_once_and_lists_it_without_its_secret(world: World) -> None:
    client = _signed_in(world.users[Role.MANAGER])
    response = client.post(PAGE, {"name": "Comptabilité", "expires_on": ""})
    assert response.status_code == 302
    shown = client.get(PAGE)
    token = ApiToken.objects.get()
    secret_start = token.prefix
    html = shown.content.decode()
    assert "Comptabilité" in html
    secrets_shown = [part for part in html.split('value="')[1:] if part.startswith(secret_start)]
    assert len(secrets_shown) == 1
    secret = secrets_shown[0].split('"')[0]
    assert services.hash_token(secret) == token.token_hash
    assert shown["Cache-Control"] == "no-store"
    again = client.get(PAGE).content.decode()
    assert secret not in again
    assert f"{token.prefix}…" in again


def test_page_refuses_residents(world: World) -> None:
    response = _signed_in(world.users["resident"]).get(PAGE)
    assert response.status_code == 403
    assert _signed_in(world.users["resident"]).post(PAGE, {"name": "x"}).status_code == 403
    assert not ApiToken.objects.exists()


def test_page_keeps_what_was_typed_and_says_why_in_the_users_language(world: World) -> None:
    client = _signed_in(world.users[Role.ADMIN])
    past = (timezone.localdate() - dt.timedelta(days=2)).isoformat()
    html = html_lib.unescape(client.post(PAGE, {"name": "Portail", "expires_on": past}).content.decode())
    assert "La date d'expiration doit être aujourd'hui ou une date ultérieure." in html
    assert 'value="Portail"' in html


def test_page_requires_sign_in(db: None) -> None:
    response = Client().get(PAGE)
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_revoking_asks_for_confirmation_and_only_ones_own_token(world: World) -> None:
    owner = world.users[Role.MANAGER]
    created = services.create_api_token(actor=owner, name="Portail")
    url = reverse("api_tokens:revoke", args=[created.token.pk])
    other = _signed_in(world.users[Role.ADMIN])
    assert other.get(url).status_code == 404
    assert other.post(url).status_code == 404
    client = _signed_in(owner)
    confirm = client.get(url)
    assert confirm.status_code == 200 and "Révoquer le jeton « Portail »" in confirm.content.decode()
    assert ApiToken.objects.get().revoked_at is None  # a GET only asks
    assert client.post(url).status_code == 302
    assert ApiToken.objects.get().revoked_at is not None
    assert ApiClient(created.secret).get("/properties").status_code == 401


def test_another_users_revoked_state_is_not_revealed_by_an_unknown_user(db: None) -> None:
    stranger = UserFactory()
    assert _signed_in(stranger).get(PAGE).status_code == 403


def test_a_token_is_no_way_around_a_property_requiring_two_factor(world: World, api_for: Any) -> None:
    """The pages send staff without two-factor to « Sécurité » when the property requires it; the API
    refuses them on that property, in their language, until they turn it on."""
    from tests.two_factor import give_two_factor

    world.prop.require_staff_mfa = True
    world.prop.save()
    url = f"/properties/{world.prop.pk}/invoices"
    refused = api_for("manager").get(url)
    assert refused.status_code == 403
    assert "authentification à deux facteurs" in refused.json()["message"]
    assert "two-factor authentication" in api_for("manager", "en").get(url).json()["message"]
    body = {
        "unit": world.unit.pk,
        "title": "Cotisation",
        "amount": "100.00",
        "due_date": (dt.date.today() + dt.timedelta(days=60)).isoformat(),
    }
    assert api_for("manager").post(url, body).status_code == 403
    assert not Invoice.objects.filter(property=world.prop).exists()  # nothing was created
    give_two_factor(world.users["manager"])
    assert api_for("manager").get(url).status_code == 200


def test_page_help_texts_are_the_ones_its_fields_point_to(world: World) -> None:
    """Issue 14: aria-describedby named ids that were not on the page (screen readers read nothing)."""
    import re

    html = _signed_in(world.users[Role.MANAGER]).get(PAGE).content.decode()
    described = [i for ids in re.findall(r'aria-describedby="([^"]+)"', html) for i in ids.split()]
    assert described, "the fields have help texts"
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    assert [i for i in described if i not in ids] == []


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/nowhere",
        "/api/v2/properties",
        "/api/v1/properties/%0A/units/null/remittances",
        "/api/v1/x%0Ay",
    ],
)
def test_an_address_the_api_does_not_have_answers_404_in_json(db: None, path: str) -> None:
    """Even with a newline (%0A) in it: a client reads JSON, never the site's HTML page."""
    response = Client().post(path, "{}", content_type="application/json")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("application/json")

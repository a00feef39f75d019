"""Two-factor authentication (allauth.mfa) as staff meet it: the Security page, turning the
authenticator app on with a code, signing in with the code or a recovery code, turning it off, and the
audit events. Codes are computed as a phone computes them (tests/two_factor.py, RFC 6238); allauth is
not mocked.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Iterator

import pytest
from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from logis.accounts.models import User
from logis.core.models import AuditEvent
from logis.core.permissions import Role
from logis.notifications.models import EmailMessage
from logis.properties.models import Property
from tests.factories import MembershipFactory, OccupancyFactory, PropertyFactory, UserFactory, member
from tests.two_factor import (
    PASSWORD,
    PERIOD,
    current_code,
    give_two_factor,
    other_code,
    recovery_codes,
    secret_on_page,
    sign_in_with_password,
    totp_at,
)

SECURITY = "/accounts/2fa/"

# allauth announces a new authenticator (its message, our audit event) once its transaction commits:
# these tests commit for real.
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    """Rate limits and used codes live in the cache: each test starts with none."""
    cache.clear()
    yield
    cache.clear()


def signed_in(user: User) -> Client:
    """A client signed in through the sign-in form, who then confirmed their password again (allauth asks
    for it before the second factor changes; it is not asked again for 5 minutes)."""
    client = Client()
    assert sign_in_with_password(client, user.email) == reverse("properties:list")
    confirmed = client.post(reverse("account_reauthenticate"), {"password": PASSWORD})
    assert confirmed.status_code == 302, confirmed.content.decode()[:2000]
    return client


def activate(client: Client) -> str:
    """Turn the authenticator app on through the pages, as a person does; returns its secret."""
    page = client.get(reverse("mfa_activate_totp"))
    assert page.status_code == 200
    secret = secret_on_page(page.content.decode())
    response = client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})
    assert response.status_code == 302, response.content.decode()[:3000]
    return secret


def has_totp(user: User) -> bool:
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


# --- The code helper itself ------------------------------------------------------------------------


def test_code_helper_follows_rfc_6238() -> None:
    # RFC 6238, appendix B: SHA-1, key "12345678901234567890", T = 59 s → 94287082 (8 digits).
    assert totp_at(b"12345678901234567890", 59, digits=8) == "94287082"
    assert totp_at(base64.b32encode(b"12345678901234567890").decode(), 1111111109, digits=8) == "07081804"


# --- The Security page -----------------------------------------------------------------------------


def test_security_page_is_linked_from_the_header_in_french(manager: User, prop: Property) -> None:
    client = signed_in(manager)
    html = client.get(reverse("properties:dashboard", args=[prop.pk])).content.decode()
    assert f'href="{SECURITY}">Sécurité</a>' in html
    page = client.get(SECURITY).content.decode()
    assert '<h1 class="h3 mb-3">Sécurité</h1>' in page
    assert "Authentification à deux facteurs" in page
    assert "Désactivée" in page and ">Activer</a>" in page
    assert 'aria-current="page"' in page
    # Our layout: the header, Bootstrap, the way back to the properties.
    assert "navbar" in page and "Mes propriétés" in page


def test_security_page_in_english(db: None) -> None:
    user = UserFactory(language="en")
    client = signed_in(user)
    page = client.get(SECURITY).content.decode()
    assert '<html lang="en">' in page
    assert ">Security</a>" in page and "Two-factor authentication" in page
    assert ">Turn on</a>" in page and "Off" in page


def test_activation_page_shows_a_qr_code_and_the_key_to_type(manager: User) -> None:
    client = signed_in(manager)
    html = client.get(reverse("mfa_activate_totp")).content.decode()
    assert 'src="data:image/svg+xml;base64,' in html
    assert 'alt="Code QR à scanner avec votre application d\'authentification"' in html
    assert "Vous ne pouvez pas le scanner ? Entrez plutôt cette clé dans l'application" in html
    assert len(secret_on_page(html)) == 32
    assert manager.email in html
    assert '<label class="form-label" for="id_code">Code de l&#x27;application</label>' in html


# --- Turning it on ---------------------------------------------------------------------------------


def test_turning_it_on_first_asks_for_the_password_again(manager: User) -> None:
    """A session left open on someone else's computer is not enough to change how one signs in."""
    client = Client()
    sign_in_with_password(client, manager.email)
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("account_reauthenticate"))
    page = client.get(response["Location"]).content.decode()
    assert "Confirmez qu'il s'agit bien de vous" in page
    assert '<label class="form-label" for="id_password">Mot de passe</label>' in page
    wrong = client.post(response["Location"], {"password": "not-it"})
    assert wrong.status_code == 200 and "invalid-feedback" in wrong.content.decode()
    right = client.post(response["Location"], {"password": PASSWORD})
    assert right.status_code == 302 and right["Location"] == reverse("mfa_activate_totp")
    assert client.get(right["Location"]).status_code == 200


def test_activation_with_the_current_code_turns_it_on_and_shows_the_recovery_codes(manager: User) -> None:
    client = signed_in(manager)
    page = client.get(reverse("mfa_activate_totp"))
    secret = secret_on_page(page.content.decode())
    response = client.post(reverse("mfa_activate_totp"), {"code": current_code(secret)})
    assert response.status_code == 302
    assert response["Location"] == reverse("mfa_view_recovery_codes")
    assert has_totp(manager)
    codes_page = client.get(response["Location"]).content.decode()
    assert "Application d&#x27;authentification activée." in codes_page
    codes = recovery_codes(manager)
    assert len(codes) == 10
    assert all(code in codes_page for code in codes)
    assert "10 codes restants sur 10." in codes_page


def test_activation_refuses_a_wrong_code_beside_the_field(manager: User) -> None:
    client = signed_in(manager)
    secret = secret_on_page(client.get(reverse("mfa_activate_totp")).content.decode())
    response = client.post(reverse("mfa_activate_totp"), {"code": other_code(secret)})
    html = response.content.decode()
    assert response.status_code == 200
    assert not has_totp(manager)
    assert 'class="invalid-feedback" id="id_code_error">Code incorrect.</div>' in html
    assert 'aria-invalid="true"' in html
    # The same key stays on the page: the person types the next code, not a new key.
    assert secret_on_page(html) == secret


def test_activation_refuses_a_wrong_code_in_english(db: None) -> None:
    user = member(PropertyFactory(), Role.MANAGER, language="en")
    client = signed_in(user)
    secret = secret_on_page(client.get(reverse("mfa_activate_totp")).content.decode())
    html = client.post(reverse("mfa_activate_totp"), {"code": other_code(secret)}).content.decode()
    assert 'id="id_code_error">Incorrect code.</div>' in html
    assert "Code from the app" in html and "Turn on two-factor authentication" in html


def test_the_totp_secret_is_encrypted_in_the_database(manager: User) -> None:
    client = signed_in(manager)
    secret = activate(client)
    stored = Authenticator.objects.get(user=manager, type=Authenticator.Type.TOTP)
    assert secret not in str(stored.data)
    assert str(stored.data["secret"]).startswith("fernet:")
    seed = Authenticator.objects.get(user=manager, type=Authenticator.Type.RECOVERY_CODES).data["seed"]
    assert str(seed).startswith("fernet:")


# --- Signing in ------------------------------------------------------------------------------------


def test_sign_in_asks_for_the_code_after_the_password(manager: User, prop: Property) -> None:
    secret = give_two_factor(manager)
    client = Client()
    next_step = sign_in_with_password(client, manager.email)
    assert next_step == reverse("mfa_authenticate")
    # The password alone opens nothing.
    assert client.get(reverse("properties:dashboard", args=[prop.pk])).status_code == 302
    page = client.get(next_step).content.decode()
    assert "Authentification à deux facteurs" in page
    assert '<label class="form-label" for="id_code">Code d&#x27;authentification</label>' in page
    assert 'autocomplete="one-time-code"' in page
    response = client.post(next_step, {"code": current_code(secret)})
    assert response.status_code == 302 and response["Location"] == reverse("properties:list")
    assert client.get(reverse("properties:dashboard", args=[prop.pk])).status_code == 200


def test_sign_in_with_a_wrong_code_says_so_beside_the_field(manager: User) -> None:
    secret = give_two_factor(manager)
    client = Client()
    sign_in_with_password(client, manager.email)
    response = client.post(reverse("mfa_authenticate"), {"code": other_code(secret)})
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="id_code_error">Code incorrect.</div>' in html
    assert client.get(reverse("properties:list")).status_code == 302


def test_sign_in_code_page_in_english(db: None) -> None:
    user = UserFactory(language="en")
    secret = give_two_factor(user)
    # Until the code is given nobody is signed in: the page speaks the browser's language.
    client = Client(HTTP_ACCEPT_LANGUAGE="en-CA,en;q=0.9")
    sign_in_with_password(client, user.email)
    html = client.post(reverse("mfa_authenticate"), {"code": other_code(secret)}).content.decode()
    assert "Two-factor authentication" in html and ">Verify</button>" in html
    assert 'id="id_code_error">Incorrect code.</div>' in html


def test_a_code_signs_in_only_once(manager: User) -> None:
    secret = give_two_factor(manager)
    code = current_code(secret, margin=10)
    first = Client()
    sign_in_with_password(first, manager.email)
    assert first.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    # Someone who saw the code (over a shoulder, a phishing page) cannot use it again.
    second = Client()
    sign_in_with_password(second, manager.email)
    response = second.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 200
    assert "Code incorrect." in response.content.decode()


def test_a_recovery_code_signs_in_once(manager: User) -> None:
    give_two_factor(manager)
    code = recovery_codes(manager)[0]
    client = Client()
    sign_in_with_password(client, manager.email)
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    assert code not in recovery_codes(manager) and len(recovery_codes(manager)) == 9
    again = Client()
    sign_in_with_password(again, manager.email)
    response = again.post(reverse("mfa_authenticate"), {"code": code})
    assert response.status_code == 200 and "Code incorrect." in response.content.decode()


def test_wrong_codes_are_rate_limited(manager: User) -> None:
    """allauth's limit stays on: after 5 wrong codes, even the right one waits."""
    secret = give_two_factor(manager)
    client = Client()
    sign_in_with_password(client, manager.email)
    for _ in range(5):
        html = client.post(reverse("mfa_authenticate"), {"code": other_code(secret)}).content.decode()
        assert "Code incorrect." in html
    response = client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert response.status_code == 200
    assert "Trop de tentatives de connexion échouées" in response.content.decode()


# --- Recovery codes --------------------------------------------------------------------------------


def test_recovery_codes_download_as_a_text_file(manager: User) -> None:
    client = signed_in(manager)
    activate(client)
    response = client.get(reverse("mfa_download_recovery_codes"))
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/plain")
    assert "attachment" in response["Content-Disposition"]
    text = response.content.decode()
    assert f"Logis — codes de récupération de {manager.email}" in text
    assert all(code in text for code in recovery_codes(manager))


def test_new_recovery_codes_replace_the_old_ones(manager: User) -> None:
    client = signed_in(manager)
    activate(client)
    old = recovery_codes(manager)
    page = client.get(reverse("mfa_generate_recovery_codes")).content.decode()
    assert "Les 10 codes qu'il vous reste cesseront de fonctionner." in page
    response = client.post(reverse("mfa_generate_recovery_codes"))
    assert response.status_code == 302
    new = recovery_codes(manager)
    assert len(new) == 10 and not set(old) & set(new)
    # An old code no longer signs in.
    other = Client()
    sign_in_with_password(other, manager.email)
    response = other.post(reverse("mfa_authenticate"), {"code": old[0]})
    assert "Code incorrect." in response.content.decode()
    assert other.post(reverse("mfa_authenticate"), {"code": new[0]}).status_code == 302


# --- Turning it off --------------------------------------------------------------------------------


def test_turning_it_off_asks_for_a_current_code(manager: User) -> None:
    client = signed_in(manager)
    secret = activate(client)
    page = client.get(reverse("mfa_deactivate_totp"))
    html = page.content.decode()
    assert page.status_code == 200
    assert "Désactiver l'authentification à deux facteurs" in html
    assert "invalid-feedback" not in html  # nothing typed yet: no error
    refused = client.post(reverse("mfa_deactivate_totp"), {"code": other_code(secret)})
    assert refused.status_code == 200
    assert 'id="id_code_error">Code incorrect.</div>' in refused.content.decode()
    assert has_totp(manager)
    empty = client.post(reverse("mfa_deactivate_totp"), {"code": ""})
    assert empty.status_code == 200 and has_totp(manager)
    done = client.post(reverse("mfa_deactivate_totp"), {"code": current_code(secret)})
    assert done.status_code == 302 and done["Location"] == SECURITY
    assert not Authenticator.objects.filter(user=manager).exists()  # recovery codes gone too
    assert "Application d&#x27;authentification désactivée." in client.get(SECURITY).content.decode()
    # The password alone signs in again.
    assert sign_in_with_password(Client(), manager.email) == reverse("properties:list")


def test_turning_it_off_with_a_recovery_code_when_the_phone_is_lost(manager: User) -> None:
    client = signed_in(manager)
    activate(client)
    done = client.post(reverse("mfa_deactivate_totp"), {"code": recovery_codes(manager)[0]})
    assert done.status_code == 302
    assert not has_totp(manager)


# --- Audit -----------------------------------------------------------------------------------------


def test_turning_it_on_and_off_is_audited_in_each_property_of_the_person(db: None) -> None:
    first, second, elsewhere = PropertyFactory(), PropertyFactory(), PropertyFactory()
    manager = member(first, Role.MANAGER)
    MembershipFactory(user=manager, property=second, role=Role.TREASURER)
    client = signed_in(manager)
    secret = activate(client)
    enabled = AuditEvent.objects.filter(verb="user.two_factor_enabled")
    assert {e.property_id for e in enabled} == {first.pk, second.pk} and len(enabled) == 2
    assert all(e.actor == manager and e.object_id == str(manager.pk) for e in enabled)
    assert not AuditEvent.objects.filter(property_id=elsewhere.pk).exists()
    client.post(reverse("mfa_deactivate_totp"), {"code": current_code(secret)})
    disabled = AuditEvent.objects.filter(verb="user.two_factor_disabled")
    assert {e.property_id for e in disabled} == {first.pk, second.pk} and len(disabled) == 2
    # The administrators of each property read it in their audit log.
    admin = member(first, Role.ADMIN)
    reader = Client()
    reader.force_login(admin)
    log = reader.get(reverse("properties:audit", args=[first.pk])).content.decode()
    assert "Authentification à deux facteurs activée" in log
    assert "Authentification à deux facteurs désactivée" in log


def test_recovery_codes_regenerated_or_used_are_audited(manager: User, prop: Property) -> None:
    client = signed_in(manager)
    activate(client)
    client.post(reverse("mfa_generate_recovery_codes"))
    assert AuditEvent.objects.filter(
        verb="user.recovery_codes_regenerated", property=prop, actor=manager
    ).exists()
    other = Client()
    sign_in_with_password(other, manager.email)
    other.post(reverse("mfa_authenticate"), {"code": recovery_codes(manager)[0]})
    used = AuditEvent.objects.get(verb="user.recovery_code_used", property=prop)
    assert used.after == {"recovery_codes_left": 9}


def test_the_person_is_told_by_email_in_their_language(db: None) -> None:
    french = member(PropertyFactory(), Role.MANAGER, language="fr")
    client = signed_in(french)
    secret = activate(client)
    client.post(reverse("mfa_deactivate_totp"), {"code": current_code(secret)})
    notices = list(EmailMessage.objects.filter(kind="security_notice", to_email=french.email).order_by("pk"))
    assert [m.subject for m in notices] == [
        "L'authentification à deux facteurs est activée sur votre compte Logis",
        "L'authentification à deux facteurs a été désactivée sur votre compte Logis",
    ]
    assert "Si ce n'était pas vous, changez votre mot de passe" in notices[1].body_text
    assert f"{settings.SITE_URL}{SECURITY}" in notices[1].body_text
    english = member(PropertyFactory(), Role.MANAGER, language="en")
    give_two_factor(english)
    other = Client()
    sign_in_with_password(other, english.email)
    other.post(reverse("mfa_authenticate"), {"code": recovery_codes(english)[0]})
    notice = EmailMessage.objects.get(kind="security_notice", to_email=english.email)
    assert notice.subject == "A recovery code was used to sign in to your Logis account"
    assert "9 recovery codes are left." in notice.body_text and notice.language == "en"


def test_a_resident_turning_it_on_is_audited_outside_every_property(db: None) -> None:
    occupancy = OccupancyFactory()
    resident_user = UserFactory()
    occupancy.resident.user = resident_user
    occupancy.resident.save()
    client = signed_in(resident_user)
    activate(client)
    event = AuditEvent.objects.get(verb="user.two_factor_enabled")
    assert event.property_id is None and event.actor == resident_user


def test_the_django_admin_signs_in_through_the_same_two_factor_step(db: None) -> None:
    support = User.objects.create_superuser(email="support@example.com", password=PASSWORD)
    secret = give_two_factor(support)
    client = Client()
    # The admin's own password form no longer signs anyone in: it sends them to Logis's sign-in.
    response = client.post("/admin/login/?next=/admin/", {"username": support.email, "password": PASSWORD})
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    assert client.get("/admin/").status_code == 302
    assert sign_in_with_password(client, support.email) == reverse("mfa_authenticate")
    assert client.get("/admin/").status_code == 302
    client.post(reverse("mfa_authenticate"), {"code": current_code(secret)})
    assert client.get("/admin/").status_code == 200


def test_confirming_it_is_you_with_the_code_instead_of_the_password(manager: User) -> None:
    secret = give_two_factor(manager)
    client = Client()
    sign_in_with_password(client, manager.email)
    client.post(reverse("mfa_authenticate"), {"code": current_code(secret, margin=10)})
    password_page = client.get(reverse("account_reauthenticate")).content.decode()
    assert f'href="{reverse("mfa_reauthenticate")}' in password_page  # « Or confirm another way »
    page = client.get(reverse("mfa_reauthenticate") + "?next=" + reverse("mfa_view_recovery_codes"))
    html = page.content.decode()
    assert "Confirmez qu'il s'agit bien de vous" in html
    assert '<label class="form-label" for="id_code">Code d&#x27;authentification</label>' in html
    wrong = client.post(reverse("mfa_reauthenticate"), {"code": other_code(secret)})
    assert 'id="id_code_error">Code incorrect.</div>' in wrong.content.decode()
    done = client.post(
        reverse("mfa_reauthenticate"),
        {"code": recovery_codes(manager)[0], "next": reverse("mfa_view_recovery_codes")},
    )
    assert done.status_code == 302 and done["Location"] == reverse("mfa_view_recovery_codes")
    assert client.get(done["Location"]).status_code == 200


def test_a_code_from_the_step_just_before_is_still_accepted_but_not_an_older_one() -> None:
    """A phone whose clock is a few seconds off, or a code typed just as it changed, still signs in."""
    from allauth.mfa.totp.internal.auth import TOTP

    user = UserFactory()
    secret = give_two_factor(user)
    totp = TOTP(Authenticator.objects.get(user=user, type=Authenticator.Type.TOTP))
    now = time.time()
    assert not totp.validate_code(totp_at(secret, now - 3 * PERIOD))
    assert totp.validate_code(totp_at(secret, now - PERIOD))

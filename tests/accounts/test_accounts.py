"""Sign in, sign out, password reset by email, and the language each user chooses."""

from __future__ import annotations

import re

from django.core import mail
from django.test import Client
from django.urls import reverse

from logis.accounts.models import User
from logis.core.models import AuditEvent
from logis.properties.models import Property
from tests.factories import UserFactory


def test_login_page_is_styled_and_in_french(client: Client, db: None) -> None:
    html = client.get(reverse("account_login")).content.decode()
    assert '<html lang="fr">' in html
    assert '<label class="form-label" for="id_login">Courriel</label>' in html
    assert '<label class="form-label" for="id_password">Mot de passe</label>' in html
    assert "Se connecter</button>" in html
    assert "form-control" in html
    assert reverse("account_reset_password") in html


def test_login_with_email_and_password_then_my_properties(
    client: Client, manager: User, prop: Property
) -> None:
    response = client.post(reverse("account_login"), {"login": manager.email, "password": "pw-123456"})
    assert response.status_code == 302
    assert response["Location"] == reverse("properties:list")
    assert "Les Jardins du Parc" in client.get(response["Location"]).content.decode()


def test_login_with_a_wrong_password_says_so_and_keeps_the_email(client: Client, manager: User) -> None:
    response = client.post(reverse("account_login"), {"login": manager.email, "password": "wrong"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "alert-danger" in html
    assert f'value="{manager.email}"' in html


def test_logout_signs_out(manager_client: Client) -> None:
    response = manager_client.post(reverse("account_logout"))
    assert response.status_code == 302
    assert manager_client.get(reverse("properties:list")).status_code == 302


def test_logout_confirmation_page_uses_our_layout(manager_client: Client) -> None:
    html = manager_client.get(reverse("account_logout")).content.decode()
    assert "Se déconnecter" in html
    assert "btn btn-primary" in html


def test_password_reset_sends_an_email_with_a_working_link(client: Client, db: None) -> None:
    user = UserFactory(email="oubli@example.com")
    response = client.post(reverse("account_reset_password"), {"email": "oubli@example.com"})
    assert response.status_code == 302
    assert response["Location"] == reverse("account_reset_password_done")
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["oubli@example.com"]
    link = re.search(r"https?://[^\s]+/accounts/password/reset/key/[^\s]+", message.body)
    assert link, message.body
    path = "/" + link.group(0).split("/", 3)[3]
    page = client.get(path, follow=True)
    assert page.status_code == 200
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else path
    done = client.post(form_url, {"password1": "Nouveau-mot-2026!", "password2": "Nouveau-mot-2026!"})
    assert done.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Nouveau-mot-2026!")


def test_password_reset_done_page_in_our_layout(client: Client, db: None) -> None:
    html = client.get(reverse("account_reset_password_done")).content.decode()
    assert "card" in html and "Réinitialisation du mot de passe" in html


def test_language_switch_persists_on_the_user(manager_client: Client, manager: User, prop: Property) -> None:
    dashboard = reverse("properties:dashboard", args=[prop.pk])
    response = manager_client.post(reverse("switch_language"), {"language": "en", "next": dashboard})
    assert response.status_code == 302 and response["Location"] == dashboard
    manager.refresh_from_db()
    assert manager.language == "en"
    assert AuditEvent.objects.filter(verb="user.language_changed", actor=manager).exists()
    # A new session (another browser) still gets English: the choice lives on the user.
    other = Client()
    other.force_login(manager)
    html = other.get(dashboard).content.decode()
    assert '<html lang="en">' in html
    for label in (
        "Dashboard",
        "Invoices",
        "Units",
        "Residents",
        "Payments",
        "Reports",
        "Settings",
        "Sign out",
    ):
        assert f">{label}<" in html, label
    assert ">Français</button>" in html


def test_the_whole_property_ui_switches_language(
    manager_client: Client, manager: User, prop: Property
) -> None:
    pages = [
        reverse("properties:units", args=[prop.pk]),
        reverse("properties:unit_add", args=[prop.pk]),
        reverse("properties:residents", args=[prop.pk]),
        reverse("properties:resident_add", args=[prop.pk]),
        reverse("properties:settings", args=[prop.pk]),
        reverse("properties:payment_settings", args=[prop.pk]),
    ]
    french = {
        0: ["Ajouter une unité", "Unités"],
        1: ["Numéro d&#x27;unité", "Quote-part (%)", "Enregistrer"],
        2: ["Ajouter un résident", "Rechercher par nom ou courriel"],
        3: [
            "Nom",
            "Courriel",
            "Téléphone",
            "Langue préférée",
            "Unité",
            "Lien",
            "Résident principal",
            "Propriétaire",
        ],
        4: ["Paramètres", "Paiements"],
        5: ["Activer les paiements", "Modes de paiement acceptés"],
    }
    english = {
        0: ["Add a unit", "Units"],
        1: ["Unit number", "Share (%)", "Save"],
        2: ["Add a resident", "Search by name or email"],
        3: ["Name", "Email", "Phone", "Preferred language", "Unit", "Link", "Primary resident", "Owner"],
        4: ["Settings", "Payments"],
        5: ["Enable payments", "Accepted payment methods"],
    }
    for i, url in enumerate(pages):
        html = manager_client.get(url).content.decode().replace("&#x27;", "'").replace("&#x27;", "'")
        for text in french[i]:
            assert text.replace("&#x27;", "'") in html, (url, text)
    manager_client.post(reverse("switch_language"), {"language": "en", "next": "/"})
    for i, url in enumerate(pages):
        html = manager_client.get(url).content.decode()
        for text in english[i]:
            assert text in html, (url, text)
        assert "Enregistrer" not in html and "Unités" not in html


def test_switch_language_refuses_an_unknown_language_and_foreign_redirects(
    manager_client: Client, manager: User
) -> None:
    response = manager_client.post(
        reverse("switch_language"), {"language": "de", "next": "https://evil.example/"}
    )
    assert response["Location"] == "/"
    manager.refresh_from_db()
    assert manager.language == "fr"

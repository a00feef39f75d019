"""Issue 14: the password-reset email was allauth's plain France-French text (« Bonjour, c'est
127.0.0.1:8220 ! ») in the page's language. It is now Logis's own, in the account's language."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from tests.factories import UserFactory


@pytest.mark.parametrize(
    ("account_language", "page_language", "subject", "greeting", "instruction"),
    [
        ("en", "fr", "Choose a new Logis password", "Hello Jean,", "To choose a new password"),
        ("fr", "en", "Choisir un nouveau mot de passe Logis", "Bonjour Marie,", "Pour choisir un nouveau"),
    ],
)
def test_password_reset_email_is_logis_own_in_the_accounts_language(
    db: None, account_language: str, page_language: str, subject: str, greeting: str, instruction: str
) -> None:
    user = UserFactory(
        email="someone@example.com",
        first_name="Jean" if account_language == "en" else "Marie",
        language=account_language,
    )
    client = Client(headers={"accept-language": page_language})
    client.cookies["django_language"] = page_language
    response = client.post("/accounts/password/reset/", {"email": user.email})
    assert response.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.subject.endswith(subject)
    body = str(message.body)
    assert body.startswith(greeting)
    assert instruction in body
    assert "/accounts/password/reset/key/" in body
    assert "c'est" not in body and "Hello from" not in body and "Bonjour de" not in body

"""Two-factor authentication (django-allauth's ``allauth.mfa``) fitted to Logis.

allauth does the work: the TOTP secret and its QR code, recovery codes, the code asked at sign-in, rate
limits. Here: the secrets it stores are encrypted (``MFAAdapter``), its forms say what Logis means
(labels, help), and turning the authenticator app off asks for a current code (``DeactivateTOTPForm``).
The audit events are written by ``logis.accounts.signals`` from allauth's signals.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from allauth.mfa.adapter import DefaultMFAAdapter, get_adapter
from allauth.mfa.base.forms import AuthenticateForm as AllauthAuthenticateForm
from allauth.mfa.base.forms import ReauthenticateForm as AllauthReauthenticateForm
from allauth.mfa.base.internal.flows import check_rate_limit
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.forms import ActivateTOTPForm as AllauthActivateTOTPForm
from allauth.mfa.totp.forms import DeactivateTOTPForm as AllauthDeactivateTOTPForm
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django import forms
from django.conf import settings
from django.utils.translation import gettext_lazy as _

# Secrets written by this adapter start with this; anything else was stored in the clear (allauth's
# default) and is read as is.
_PREFIX = "fernet:"


def _fernet(secret_key: str) -> Fernet:
    digest = hashlib.sha256(f"logis.mfa:{secret_key}".encode()).digest()
    return Fernet(base64.urlsafe_b64encode(digest))


def _keys() -> MultiFernet:
    """SECRET_KEY encrypts; SECRET_KEY_FALLBACKS still decrypt (rotate the key without locking anyone out)."""
    keys = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([_fernet(k) for k in keys])


class MFAAdapter(DefaultMFAAdapter):
    """The TOTP secret and the recovery-code seed are encrypted at rest: a copy of the database (a backup,
    a dump sent for support) is not enough to produce someone's codes."""

    def encrypt(self, text: str) -> str:
        return _PREFIX + _keys().encrypt(text.encode()).decode("ascii")

    def decrypt(self, encrypted_text: str) -> str:
        if not encrypted_text.startswith(_PREFIX):
            return encrypted_text
        try:
            return _keys().decrypt(encrypted_text[len(_PREFIX) :].encode("ascii")).decode()
        except InvalidToken as exc:  # pragma: no cover - SECRET_KEY changed without a fallback
            raise RuntimeError(
                "A two-factor secret cannot be decrypted: was SECRET_KEY changed? "
                "Put the previous key in SECRET_KEY_FALLBACKS."
            ) from exc


_CODE_ATTRS = {
    "autocomplete": "one-time-code",
    "inputmode": "numeric",
    "autocapitalize": "off",
    "spellcheck": "false",
    "maxlength": "20",
}


def _code_field(field: forms.Field, label: Any, help_text: Any) -> None:
    field.label = label
    field.help_text = help_text
    field.widget.attrs = {**_CODE_ATTRS}


class ActivateTOTPForm(AllauthActivateTOTPForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _code_field(self.fields["code"], _("Code from the app"), _("The 6-digit code your app shows now."))


class AuthenticateForm(AllauthAuthenticateForm):
    """The code asked at sign-in, after the password: from the app, or a recovery code (used once)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _code_field(
            self.fields["code"],
            _("Authentication code"),
            _("The 6-digit code of your authenticator app, or one of your recovery codes."),
        )
        # The one thing to do on this page: type the code.
        self.fields["code"].widget.attrs["autofocus"] = True


class ReauthenticateForm(AllauthReauthenticateForm):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _code_field(
            self.fields["code"],
            _("Authentication code"),
            _("The 6-digit code of your authenticator app, or one of your recovery codes."),
        )


class DeactivateTOTPForm(AllauthDeactivateTOTPForm):
    """Turning two-factor authentication off asks for a current code: a session left open on a shared
    computer is not enough. A recovery code works too (the phone may be lost: turn off, then on again)."""

    code = forms.CharField(label=_("Authentication code"))

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        _code_field(
            self.fields["code"],
            _("Authentication code"),
            _("The 6-digit code of your authenticator app, or one of your recovery codes."),
        )
        if not self.data:
            # allauth binds an empty form on GET to show at once why one could not deactivate; an empty
            # form here has nothing to say yet ("this field is required" before anything was typed).
            self.is_bound = False

    def clean_code(self) -> str:
        user = self.authenticator.user
        clear_rate_limit = check_rate_limit(user)
        code = self.cleaned_data["code"]
        for authenticator in Authenticator.objects.filter(
            user_id=user.pk, type__in=[Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES]
        ):
            if authenticator.wrap().validate_code(code):
                clear_rate_limit()
                return code
        raise get_adapter().validation_error("incorrect_code")

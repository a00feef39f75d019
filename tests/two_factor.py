"""Two-factor helpers for the tests: codes computed as an authenticator app computes them (RFC 6238,
with ``hmac``, independent of allauth's own code), and a user given an authenticator app directly.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import struct
import time

from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from django.test import Client
from django.urls import reverse

from logis.accounts.models import User

PERIOD = 30
PASSWORD = "pw-123456"  # tests.factories.UserFactory's password


def totp_at(secret: str | bytes, when: float, *, digits: int = 6) -> str:
    """The code an authenticator app shows at ``when`` (RFC 6238: HMAC-SHA1 over the 30 s step)."""
    key = secret if isinstance(secret, bytes) else base64.b32decode(secret.replace(" ", "").upper())
    digest = hmac.new(key, struct.pack(">Q", int(when) // PERIOD), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def current_code(secret: str, *, margin: float = 3.0) -> str:
    """The code of now, as a person reads it off their phone: not in the last seconds of its 30 s step.
    (The server also accepts the steps just before and after: MFA_TOTP_TOLERANCE.)"""
    left = PERIOD - time.time() % PERIOD
    if left < margin:
        time.sleep(left + 0.05)
    return totp_at(secret, time.time())


def other_code(secret: str) -> str:
    """A well-formed code that is not the current one."""
    return str((int(current_code(secret)) + 1) % 10**6).zfill(6)


def give_two_factor(user: User) -> str:
    """Turn an authenticator app (and recovery codes) on for ``user``; returns the TOTP secret."""
    secret = generate_totp_secret()
    TOTP.activate(user, secret)
    RecoveryCodes.activate(user)
    return secret


def recovery_codes(user: User) -> list[str]:
    authenticator = Authenticator.objects.get(user=user, type=Authenticator.Type.RECOVERY_CODES)
    return list(authenticator.wrap().get_unused_codes())


def sign_in_with_password(client: Client, email: str, password: str = PASSWORD) -> str:
    """Post the sign-in form; returns where it sends the person next."""
    response = client.post(reverse("account_login"), {"login": email, "password": password})
    assert response.status_code == 302, response.content.decode()[:2000]
    return str(response["Location"])


def secret_on_page(html: str) -> str:
    """The key to type by hand, as the activation page shows it."""
    match = re.search(r'<input[^>]*id="totp-secret"[^>]*>', html)
    assert match, "no secret on the activation page"
    value = re.search(r'value="([A-Z2-7 ]+)"', match.group(0))
    assert value, "no secret on the activation page"
    return value.group(1).replace(" ", "")

"""allauth's two-factor signals become Logis audit events (``record_two_factor_event``).

allauth sends ``authenticator_added`` (and ``authenticator_reset``) once its own transaction has
committed, so the event is written right after the change, in a transaction of its own.
"""

from __future__ import annotations

from typing import Any

from allauth.account.models import EmailAddress
from allauth.mfa import signals as mfa_signals
from allauth.mfa.models import Authenticator
from django.db.models.signals import post_save
from django.dispatch import receiver

from logis.accounts.models import User
from logis.accounts.services import (
    RECOVERY_CODE_USED,
    RECOVERY_CODES_REGENERATED,
    TWO_FACTOR_DISABLED,
    TWO_FACTOR_ENABLED,
    record_two_factor_event,
)


def _user(user: Any, authenticator: Authenticator) -> User | None:
    if isinstance(user, User):
        return user
    return User.objects.filter(pk=authenticator.user_id).first()


@receiver(mfa_signals.authenticator_added, dispatch_uid="logis.two_factor_added")
def _added(sender: Any, user: Any, authenticator: Authenticator, **kwargs: Any) -> None:
    # Recovery codes are created with the app: one event says two-factor authentication is on.
    person = _user(user, authenticator)
    if authenticator.type == Authenticator.Type.TOTP and person is not None:
        record_two_factor_event(user=person, verb=TWO_FACTOR_ENABLED, after={"method": "totp"})


@receiver(mfa_signals.authenticator_removed, dispatch_uid="logis.two_factor_removed")
def _removed(sender: Any, user: Any, authenticator: Authenticator, **kwargs: Any) -> None:
    person = _user(user, authenticator)
    if authenticator.type == Authenticator.Type.TOTP and person is not None:
        record_two_factor_event(user=person, verb=TWO_FACTOR_DISABLED, after={"method": "totp"})


@receiver(mfa_signals.authenticator_reset, dispatch_uid="logis.recovery_codes_reset")
def _reset(sender: Any, user: Any, authenticator: Authenticator, **kwargs: Any) -> None:
    person = _user(user, authenticator)
    if authenticator.type == Authenticator.Type.RECOVERY_CODES and person is not None:
        record_two_factor_event(user=person, verb=RECOVERY_CODES_REGENERATED)


@receiver(mfa_signals.authenticator_used, dispatch_uid="logis.recovery_code_used")
def _used(sender: Any, user: Any, authenticator: Authenticator, **kwargs: Any) -> None:
    # A recovery code used means the phone was not at hand (lost?): administrators may want to know.
    person = _user(user, authenticator)
    if authenticator.type == Authenticator.Type.RECOVERY_CODES and person is not None:
        # allauth marked the code used on a fresh copy of the row: read it again.
        current = Authenticator.objects.filter(pk=authenticator.pk).first()
        remaining = len(current.wrap().get_unused_codes()) if current is not None else 0
        record_two_factor_event(
            user=person, verb=RECOVERY_CODE_USED, after={"recovery_codes_left": remaining}
        )


@receiver(post_save, sender=User, dispatch_uid="logis.user_email_confirmed")
def _email_confirmed_unless_signed_up(sender: Any, instance: User, created: bool, **kwargs: Any) -> None:
    """Sign-in requires a confirmed email address (ACCOUNT_EMAIL_VERIFICATION = "mandatory"). Only
    open sign-up proves nothing about the address: allauth records it unconfirmed and sends its link.
    Every other account is made by someone who already trusts the address (an administrator,
    ``manage.py``, an invitation link that reached it), so it is recorded confirmed right away."""
    if not created or kwargs.get("raw") or not instance.email or getattr(instance, "_logis_signup", False):
        return
    EmailAddress.objects.get_or_create(
        user=instance, email=instance.email.lower(), defaults={"verified": True, "primary": True}
    )

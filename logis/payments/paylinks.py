"""« Voir et payer » links: one invoice, opened and paid without signing in (docs/decisions/0025).

The « new invoice » and reminder emails each carry a link naming the invoice and a random token. Only the
token's SHA-256 is stored (``PayLink.token_hash``, the same ``hash_token`` as invitations), so the database
alone cannot rebuild a link. A link opens its invoice only: the same token with another invoice's id, an
expired link (``PAY_LINK_DAYS``, 30 by default) or a revoked one finds nothing, and the page then says no
more than « lien invalide ou expiré ». Requests to the links are limited per client address
(``PAY_LINK_RATE_LIMIT_PER_MINUTE``), so guessing tokens is slow as well as hopeless (256 bits).
"""

from __future__ import annotations

import datetime as dt
import math
import secrets
import time

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from logis.accounts.services import hash_token
from logis.core import audit
from logis.core.audit import Verb
from logis.core.errors import InvalidTransition, NotFound
from logis.core.links import absolute_url
from logis.core.permissions import Action, Actor, require, user_or_none
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.payments.models import PayLink
from logis.properties.models import Property

RATE_WINDOW_S = 60


def link_days() -> int:
    return max(1, int(getattr(settings, "PAY_LINK_DAYS", 30)))


def pay_link_path(invoice_id: int, token: str) -> str:
    return reverse("portal:pay_link", args=[invoice_id, token])


def create_pay_link(*, invoice: Invoice, sent_to: str = "", now: dt.datetime | None = None) -> str:
    """A new link to this invoice, valid ``PAY_LINK_DAYS`` days; returns its absolute address (the only
    copy of the token). Called in the transaction that queues the email carrying it."""
    now = now or timezone.now()
    token = secrets.token_urlsafe(32)
    PayLink.objects.create(
        invoice=invoice,
        token_hash=hash_token(token),
        sent_to=(sent_to or "")[:254],
        expires_at=now + dt.timedelta(days=link_days()),
    )
    return absolute_url(pay_link_path(invoice.pk, token))


def email_pay_link(*, invoice: Invoice, sent_to: str) -> str:
    """The « Voir et payer » address for an email about this invoice, or "" when it cannot be paid
    (not published, or nothing left to pay)."""
    if invoice.status != InvoiceStatus.OPEN or invoice.amount_paid >= invoice.amount:
        return ""
    return create_pay_link(invoice=invoice, sent_to=sent_to)


def find_pay_link(*, invoice_id: int, token: str, now: dt.datetime | None = None) -> PayLink | None:
    """The valid link of this invoice with this token, its invoice loaded; None for anything else (unknown
    token, another invoice, expired, revoked, a draft): the caller cannot tell which, nor can the reader."""
    if not token or len(token) > 128:
        return None
    now = now or timezone.now()
    link = (
        PayLink.objects.select_related("invoice", "invoice__property", "invoice__unit")
        .filter(
            token_hash=hash_token(token), invoice_id=invoice_id, revoked_at__isnull=True, expires_at__gt=now
        )
        .first()
    )
    if link is None or link.invoice.status == InvoiceStatus.DRAFT:
        return None
    return link


def mark_used(link: PayLink) -> None:
    """When the link was last opened (the manager sees it; one UPDATE, no lock)."""
    PayLink.objects.filter(pk=link.pk).update(last_used_at=timezone.now())


def active_links(invoice: Invoice, *, now: dt.datetime | None = None) -> list[PayLink]:
    """The links of this invoice that still open it (newest first)."""
    now = now or timezone.now()
    return list(invoice.pay_links.filter(revoked_at__isnull=True, expires_at__gt=now))


def revoke_pay_links(*, actor: Actor, property: Property, invoice_id: int) -> int:
    """Every link of the invoice still valid stops working at once; returns how many. Audited."""
    with transaction.atomic():
        invoice = Invoice.objects.select_for_update().filter(pk=invoice_id, property=property).first()
        if invoice is None:
            raise NotFound(_("This invoice does not exist."))
        require(actor, Action.RECORD_PAYMENT, property)
        now = timezone.now()
        links = PayLink.objects.select_for_update().filter(
            invoice=invoice, revoked_at__isnull=True, expires_at__gt=now
        )
        ids = list(links.values_list("pk", flat=True))
        if not ids:
            raise InvalidTransition(_("This invoice has no pay link to revoke."))
        PayLink.objects.filter(pk__in=ids).update(revoked_at=now, revoked_by=user_or_none(actor))
        audit.record(actor, Verb.INVOICE_PAY_LINKS_REVOKED, invoice, after={"links": len(ids)})
        return len(ids)


# --- Rate limit per client address ----------------------------------------------------------------


class PayLinkRateLimited(Exception):
    def __init__(self, *, retry_after: int) -> None:
        super().__init__(f"rate limited for {retry_after} s")
        self.retry_after = retry_after


def client_address(request: HttpRequest) -> str:
    """The client's address as allauth reads it (X-Forwarded-For only behind the trusted proxies)."""
    from allauth.account.adapter import get_adapter

    return str(get_adapter(request).get_client_ip(request) or "unknown")


def consume_rate(request: HttpRequest, *, now: float | None = None) -> None:
    """Count one request to a pay link from this address in the current minute; beyond the limit
    ``PayLinkRateLimited`` (the view answers 429)."""
    limit = int(getattr(settings, "PAY_LINK_RATE_LIMIT_PER_MINUTE", 0))
    if limit <= 0:
        return
    instant = time.time() if now is None else now
    window = int(instant // RATE_WINDOW_S)
    key = f"logis:pay-link-rate:{hash_token(client_address(request))}:{window}"
    cache.add(key, 0, timeout=2 * RATE_WINDOW_S)
    try:
        count = cache.incr(key)
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=2 * RATE_WINDOW_S)
        count = 1
    if count > limit:
        raise PayLinkRateLimited(retry_after=max(1, math.ceil((window + 1) * RATE_WINDOW_S - instant)))

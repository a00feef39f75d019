"""What every endpoint module of API v1 shares: the path parameters, the error responses, one page of a
list, one invoice as the API shows it, and the Idempotency-Key as a creation token."""

from __future__ import annotations

import uuid
from typing import Any

from django.utils.translation import gettext as _
from ninja import Path

from logis.api.auth import PropertyAccess
from logis.api.schemas import IDEMPOTENCY_KEY_MAX, FieldErrorsOut, MessageOut
from logis.api.types import MAX_ID
from logis.core.errors import NotFound, ValidationError
from logis.invoicing import selectors as invoice_selectors
from logis.invoicing.models import Invoice

PropertyId = Path(..., ge=1, le=MAX_ID, description="A property's id.")
InvoiceId = Path(..., ge=1, le=MAX_ID, description="An invoice's id.")
PaymentId = Path(..., ge=1, le=MAX_ID, description="A payment's id.")
UnitId = Path(..., ge=1, le=MAX_ID, description="A unit's id.")

READ_ERRORS: dict[int, Any] = {401: MessageOut, 404: MessageOut, 422: FieldErrorsOut, 429: MessageOut}
WRITE_ERRORS: dict[int, Any] = {**READ_ERRORS, 400: FieldErrorsOut, 403: MessageOut, 409: MessageOut}
# A key for idempotent creation: the Idempotency-Key header, scoped to the user and the property.
IDEMPOTENCY_NAMESPACE = uuid.UUID("0b6f6f0e-7c1a-4c56-9a57-3f3e0e8f5a11")


def _invoice(access: PropertyAccess, invoice_id: int) -> Invoice:
    invoice = invoice_selectors.get_invoice(access.property, invoice_id, access.today)
    if invoice is None:
        raise NotFound()
    return invoice


def _creation_token(access: PropertyAccess, key: str | None, kind: str = "invoice") -> uuid.UUID | None:
    """The ``Idempotency-Key`` as the token the services know, for one user, property and kind of
    record (the same key may create an invoice and record a payment)."""
    if key is None:
        return None
    key = key.strip()
    if not key or len(key) > IDEMPOTENCY_KEY_MAX or not key.isprintable() or not key.isascii():
        raise ValidationError(
            {
                "Idempotency-Key": _(
                    "The Idempotency-Key header must be 1 to %(max)d printable ASCII characters."
                )
                % {"max": IDEMPOTENCY_KEY_MAX}
            }
        )
    scope = f"{access.user.pk}:{access.property.pk}:{key}"
    # Invoices keep the name they had before payments took keys too (their tokens must not change).
    return uuid.uuid5(IDEMPOTENCY_NAMESPACE, scope if kind == "invoice" else f"{kind}:{scope}")

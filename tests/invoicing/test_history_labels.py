"""The invoice's history names every event in the reader's language, never as a raw code."""

from __future__ import annotations

import re
from decimal import Decimal

from django.urls import reverse

from logis.payments.services import refund_payment, reverse_payment
from tests.payments.test_manual_payments import open_invoice, pay


def _history(client, prop, invoice) -> str:  # type: ignore[no-untyped-def]
    page = client.get(reverse("invoicing:detail", args=[prop.pk, invoice.pk])).content.decode()
    match = re.search(r'<ol class="list-unstyled" id="invoice-history">(.*?)</ol>', page, re.S)
    assert match is not None
    return match.group(1)


def test_payment_events_on_the_invoice_history_are_named_in_french(prop, manager, manager_client) -> None:
    invoice = open_invoice(prop, "300.00")
    first = pay(prop, invoice, manager, "100.00")
    second = pay(prop, invoice, manager, "200.00")
    reverse_payment(property=prop, payment_id=first.pk, actor=manager, reason="Chèque sans provision")
    refund_payment(
        property=prop,
        payment_id=second.pk,
        actor=manager,
        amount=Decimal("50.00"),
        reason="Trop perçu",
        method="cheque",
    )
    history = _history(manager_client, prop, invoice)
    assert "Paiement appliqué à la facture" in history
    assert "Paiement contrepassé sur la facture" in history
    assert "Paiement remboursé sur la facture" in history
    assert "invoice." not in history


# That every verb written has a label (French included): tests/core/test_audit_verbs.py, on audit.Verb.

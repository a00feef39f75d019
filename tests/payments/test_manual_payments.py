from __future__ import annotations

import datetime as dt
import re
import uuid
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from logis.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from logis.core.models import AuditEvent
from logis.core.permissions import Role
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.notifications.models import EmailMessage
from logis.payments.models import Payment, PaymentKind
from logis.payments.selectors import PaymentFilters, payment_list, payment_totals
from logis.payments.services import record_payment, refund_payment, reverse_payment
from tests.factories import InvoiceFactory, OccupancyFactory, PropertyFactory, ResidentFactory, member

TODAY = timezone.localdate()


def open_invoice(prop, amount: str = "500.00", number: int = 1) -> Invoice:  # type: ignore[no-untyped-def]
    return InvoiceFactory(property=prop, amount=Decimal(amount), status=InvoiceStatus.OPEN, number=number)


def pay(prop, invoice, actor, amount: str, method: str = "cheque"):  # type: ignore[no-untyped-def]
    return record_payment(
        property=prop,
        invoice_id=invoice.pk,
        actor=actor,
        amount=Decimal(amount),
        paid_on=TODAY,
        method=method,
    )


def test_partial_payments_lower_the_balance_and_the_last_one_marks_the_invoice_paid(prop, manager) -> None:
    invoice = open_invoice(prop)
    pay(prop, invoice, manager, "200.00")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN
    assert invoice.balance == Decimal("300.00")
    pay(prop, invoice, manager, "300.00")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID
    assert invoice.balance == 0
    assert invoice.paid_at is not None


def test_payment_above_the_balance_due_is_refused_with_the_balance_in_the_message(prop, manager) -> None:
    invoice = open_invoice(prop, "100.00")
    pay(prop, invoice, manager, "40.00")
    with pytest.raises(ValidationError) as exc:
        pay(prop, invoice, manager, "60.01")
    assert "amount" in exc.value.errors
    assert "60,00" in str(exc.value.errors["amount"][0])
    assert Payment.objects.filter(invoice=invoice).count() == 1


@pytest.mark.parametrize("status", [InvoiceStatus.DRAFT, InvoiceStatus.VOID])
def test_payment_on_a_draft_or_void_invoice_is_refused(prop, manager, status: str) -> None:
    invoice = InvoiceFactory(property=prop, status=status, number=None)
    with pytest.raises(InvalidTransition):
        pay(prop, invoice, manager, "10.00")


def test_payment_date_in_the_future_is_refused(prop, manager) -> None:
    invoice = open_invoice(prop)
    with pytest.raises(ValidationError) as exc:
        record_payment(
            property=prop,
            invoice_id=invoice.pk,
            actor=manager,
            amount=Decimal("1.00"),
            paid_on=TODAY + dt.timedelta(days=3),
            method="cheque",
        )
    assert "paid_on" in exc.value.errors


def test_reversal_is_a_new_record_that_reopens_the_invoice_and_is_audited(prop, manager) -> None:
    invoice = open_invoice(prop, "80.00")
    payment = pay(prop, invoice, manager, "80.00")
    reversal = reverse_payment(
        property=prop, payment_id=payment.pk, actor=manager, reason="Chèque sans provision"
    )
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN
    assert invoice.balance == Decimal("80.00")
    assert reversal.kind == PaymentKind.REVERSAL and reversal.reverses_id == payment.pk
    assert Payment.objects.filter(pk=payment.pk).exists(), "the original payment is never deleted"
    verbs = set(AuditEvent.objects.values_list("verb", flat=True))
    assert {"payment.recorded", "payment.reversed", "invoice.payment_reversed"} <= verbs
    with pytest.raises(InvalidTransition):
        reverse_payment(property=prop, payment_id=payment.pk, actor=manager, reason="encore")


def test_reversal_needs_a_reason(prop, manager) -> None:
    payment = pay(prop, open_invoice(prop), manager, "10.00")
    with pytest.raises(ValidationError):
        reverse_payment(property=prop, payment_id=payment.pk, actor=manager, reason="  ")


def test_board_member_cannot_record_a_payment(prop) -> None:
    board = member(prop, Role.BOARD)
    with pytest.raises(PermissionDenied):
        pay(prop, open_invoice(prop), board, "10.00")


def test_invoice_of_another_property_is_not_found(prop, manager) -> None:
    other = open_invoice(PropertyFactory())
    with pytest.raises(NotFound):
        pay(prop, other, manager, "10.00")


def test_payment_totals_agree_with_the_invoices_amount_paid(prop, manager) -> None:
    a, b = open_invoice(prop, "100.00", 1), open_invoice(prop, "250.00", 2)
    pay(prop, a, manager, "100.00")
    p = pay(prop, b, manager, "50.00", method="interac")
    pay(prop, b, manager, "25.00", method="cash")
    reverse_payment(property=prop, payment_id=p.pk, actor=manager, reason="erreur")
    totals = payment_totals(payment_list(property=prop, filters=PaymentFilters()))
    paid = sum(Invoice.objects.filter(property=prop).values_list("amount_paid", flat=True))
    assert totals == {
        "received": Decimal("175.00"),
        "returned": Decimal("50.00"),
        "net": Decimal("125.00"),
        "credit_applied": Decimal("0.00"),
        "credit_refunded": Decimal("0.00"),
    }
    assert totals["net"] == paid


def test_recording_a_partial_cheque_in_the_dialog_shows_the_new_balance(
    prop, manager, manager_client: Client
) -> None:
    invoice = open_invoice(prop, "1234.50")
    url = reverse("payments:record", args=[prop.pk, invoice.pk])
    response = manager_client.post(
        url,
        {"amount": "1 000,00 $", "paid_on": TODAY.isoformat(), "method": "cheque", "reference": "Chèque 118"},
    )
    assert response.status_code == 302
    page = manager_client.get(response["Location"])
    assert "234,50" in page.content.decode()
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("1000.00")


def test_bad_payment_input_is_shown_beside_the_field_in_french_and_english(
    prop, manager, manager_client
) -> None:
    invoice = open_invoice(prop, "100.00")
    url = reverse("payments:record", args=[prop.pk, invoice.pk])
    response = manager_client.post(url, {"amount": "douze", "paid_on": TODAY.isoformat(), "method": "cheque"})
    html = response.content.decode()
    assert response.status_code == 200
    assert "Entrez un montant" in html and 'value="douze"' in html and "is-invalid" in html
    manager.language = "en"
    manager.save()
    response = manager_client.post(url, {"amount": "150", "paid_on": TODAY.isoformat(), "method": "cheque"})
    assert "more than the balance due ($100.00)" in response.content.decode()
    assert not Payment.objects.exists()


def test_board_member_gets_403_on_the_payment_dialog_and_other_property_404(prop) -> None:
    invoice = open_invoice(prop)
    client = Client()
    client.force_login(member(prop, Role.BOARD))
    assert client.get(reverse("payments:record", args=[prop.pk, invoice.pk])).status_code == 403
    outsider = Client()
    outsider.force_login(member(PropertyFactory()))
    assert outsider.get(reverse("payments:list", args=[prop.pk])).status_code == 404


def test_payments_page_query_count_does_not_grow_with_rows(
    prop, manager, manager_client, django_assert_max_num_queries
) -> None:
    url = reverse("payments:list", args=[prop.pk])
    for i in range(3):
        pay(prop, open_invoice(prop, "10.00", i + 1), manager, "10.00")
    with django_assert_max_num_queries(12) as few:
        manager_client.get(url)
    for i in range(3, 40):
        pay(prop, open_invoice(prop, "10.00", i + 1), manager, "5.00")
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = manager_client.get(url)
    assert response.content.decode().count("<tr>") == 41  # header + 40 rows


# --- Manual refunds ---------------------------------------------------------------------------


def refund(prop, payment, actor, amount: str, method: str = "cheque", reason: str = "Remboursé"):  # type: ignore[no-untyped-def]
    return refund_payment(
        property=prop,
        payment_id=payment.pk,
        actor=actor,
        amount=Decimal(amount),
        reason=reason,
        method=method,
    )


def test_refunding_a_paid_invoice_lowers_what_it_received_and_reopens_it(prop, manager) -> None:
    invoice = open_invoice(prop, "100.00")
    payment = pay(prop, invoice, manager, "100.00")
    record = refund(prop, payment, manager, "30.00", method="interac")
    invoice.refresh_from_db()
    assert (
        record.kind == PaymentKind.REFUND and record.reverses_id == payment.pk and record.method == "interac"
    )
    assert invoice.status == InvoiceStatus.OPEN and invoice.amount_paid == Decimal("70.00")
    assert invoice.paid_at is None
    verbs = list(AuditEvent.objects.values_list("verb", flat=True))
    assert "payment.refunded" in verbs and "invoice.payment_refunded" in verbs
    refund(prop, payment, manager, "70.00")
    invoice.refresh_from_db()
    assert invoice.amount_paid == 0 and Payment.objects.filter(invoice=invoice).count() == 3


def test_refund_above_what_is_left_on_the_payment_is_refused(prop, manager) -> None:
    payment = pay(prop, open_invoice(prop, "100.00"), manager, "60.00")
    refund(prop, payment, manager, "50.00")
    with pytest.raises(ValidationError) as exc:
        refund(prop, payment, manager, "10.01")
    assert "10,00" in str(exc.value.errors["amount"][0])


def test_refund_needs_a_reason_and_a_manual_method(prop, manager) -> None:
    payment = pay(prop, open_invoice(prop), manager, "60.00")
    with pytest.raises(ValidationError) as exc:
        refund(prop, payment, manager, "10.00", method="card", reason=" ")
    assert set(exc.value.errors) == {"method", "reason"}


def test_a_reversed_payment_cannot_be_refunded_and_a_refunded_one_cannot_be_reversed(prop, manager) -> None:
    invoice = open_invoice(prop, "100.00")
    a = pay(prop, invoice, manager, "30.00")
    b = pay(prop, invoice, manager, "30.00")
    reverse_payment(property=prop, payment_id=a.pk, actor=manager, reason="erreur")
    with pytest.raises(InvalidTransition):
        refund(prop, a, manager, "1.00")
    refund(prop, b, manager, "1.00")
    with pytest.raises(InvalidTransition):
        reverse_payment(property=prop, payment_id=b.pk, actor=manager, reason="erreur")


def test_an_online_payment_is_not_refunded_or_reversed_here(prop, manager) -> None:
    invoice = open_invoice(prop, "100.00")
    online = Payment.objects.create(
        property=prop,
        unit=invoice.unit,
        invoice=invoice,
        amount=Decimal("10.00"),
        paid_on=TODAY,
        method="card",
    )
    with pytest.raises(InvalidTransition):
        refund(prop, online, manager, "1.00")
    with pytest.raises(InvalidTransition):
        reverse_payment(property=prop, payment_id=online.pk, actor=manager, reason="x")


def test_board_member_cannot_refund_or_reverse(prop, manager) -> None:
    payment = pay(prop, open_invoice(prop), manager, "10.00")
    board = member(prop, Role.BOARD)
    with pytest.raises(PermissionDenied):
        refund(prop, payment, board, "1.00")
    with pytest.raises(PermissionDenied):
        reverse_payment(property=prop, payment_id=payment.pk, actor=board, reason="x")


def test_reversal_audit_events_record_before_and_after_of_the_invoice(prop, manager) -> None:
    invoice = open_invoice(prop, "80.00")
    payment = pay(prop, invoice, manager, "80.00")
    reverse_payment(property=prop, payment_id=payment.pk, actor=manager, reason="Chèque sans provision")
    event = AuditEvent.objects.get(verb="invoice.payment_reversed")
    assert event.actor == manager and event.before is not None and event.after is not None
    assert event.before["status"] == "paid" and event.after["status"] == "open"
    assert event.before["amount_paid"] == "80.00" and event.after["amount_paid"] == "0.00"
    reversed_event = AuditEvent.objects.get(verb="payment.reversed")
    assert reversed_event.after is not None
    assert reversed_event.after["reason"] == "Chèque sans provision"


def test_refund_dialog_shows_errors_beside_the_field_and_records_the_refund(
    prop, manager, manager_client: Client
) -> None:
    invoice = open_invoice(prop, "100.00")
    payment = pay(prop, invoice, manager, "100.00")
    detail = manager_client.get(reverse("invoicing:detail", args=[prop.pk, invoice.pk])).content.decode()
    refund_url = reverse("payments:refund", args=[prop.pk, payment.pk])
    assert refund_url in detail and "Rembourser" in detail
    response = manager_client.post(refund_url, {"amount": "150", "method": "cheque", "reason": "Trop"})
    html = response.content.decode().replace("\xa0", " ")
    assert (
        response.status_code == 200 and 'value="150"' in html and "100,00 $" in html and "is-invalid" in html
    )
    response = manager_client.post(
        refund_url, {"amount": "25,00", "method": "cheque", "reason": "Trop payé"}, HTTP_HX_REQUEST="true"
    )
    assert response.status_code == 204 and response["HX-Redirect"].endswith(f"/invoices/{invoice.pk}/")
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN and invoice.amount_paid == Decimal("75.00")


def test_voiding_an_open_invoice_with_payments_from_the_dialog_warns_about_the_credit(
    prop, manager, manager_client: Client
) -> None:
    invoice = open_invoice(prop, "100.00")
    pay(prop, invoice, manager, "40.00")
    detail = manager_client.get(reverse("invoicing:detail", args=[prop.pk, invoice.pk])).content.decode()
    void_url = reverse("invoicing:void", args=[prop.pk, invoice.pk])
    assert void_url in detail
    dialog = manager_client.get(void_url, HTTP_HX_REQUEST="true").content.decode().replace("\xa0", " ")
    assert "40,00 $" in dialog and "crédit au compte de l'unité" in dialog.replace("&#x27;", "'")
    response = manager_client.post(void_url, {"reason": "Mauvaise unité"})
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.VOID
    detail = manager_client.get(reverse("invoicing:detail", args=[prop.pk, invoice.pk])).content.decode()
    assert "sont devenus un crédit" in detail and "Contrepasser" not in detail


def _token_of(html: str) -> str:
    match = re.search(r'name="token" value="([0-9a-f-]{36})"', html)
    assert match, "the payment form carries a hidden token"
    return match.group(1)


def test_the_same_payment_form_sent_twice_records_one_payment(prop, manager, manager_client: Client) -> None:
    """A double click, or a browser resending the form after a timeout: one payment, one receipt."""
    invoice = open_invoice(prop, "500.00")
    marie = ResidentFactory(property=prop, name="Marie Tremblay", email="marie@example.com")
    OccupancyFactory(unit=invoice.unit, resident=marie, is_primary=True)
    url = reverse("payments:record", args=[prop.pk, invoice.pk])
    token = _token_of(manager_client.get(url).content.decode())
    sent = {"amount": "200,00", "paid_on": TODAY.isoformat(), "method": "cheque", "token": token}
    first, second = manager_client.post(url, sent), manager_client.post(url, sent)
    assert (first.status_code, second.status_code) == (302, 302)
    invoice.refresh_from_db()
    assert invoice.amount_paid == Decimal("200.00")
    assert Payment.objects.filter(invoice=invoice).count() == 1
    assert AuditEvent.objects.filter(verb="payment.recorded").count() == 1
    assert EmailMessage.objects.filter(kind="payment_receipt").count() == 1
    # A new form is a new payment: the same amount twice on purpose is two payments.
    again = {**sent, "token": _token_of(manager_client.get(url).content.decode())}
    assert manager_client.post(url, again).status_code == 302
    assert Payment.objects.filter(invoice=invoice).count() == 2


def test_a_payment_token_already_used_on_another_invoice_is_refused(prop, manager) -> None:
    first, other = open_invoice(prop, number=1), open_invoice(prop, number=2)
    token = uuid.uuid4()
    kwargs = {"property": prop, "actor": manager, "amount": Decimal("10.00"), "paid_on": TODAY}
    record_payment(invoice_id=first.pk, method="cheque", request_token=token, **kwargs)
    with pytest.raises(InvalidTransition):
        record_payment(invoice_id=other.pk, method="cheque", request_token=token, **kwargs)
    assert not Payment.objects.filter(invoice=other).exists()


def test_a_mangled_form_token_does_not_stop_the_payment(prop, manager, manager_client: Client) -> None:
    invoice = open_invoice(prop, "100.00")
    url = reverse("payments:record", args=[prop.pk, invoice.pk])
    sent = {"amount": "100", "paid_on": TODAY.isoformat(), "method": "cash", "token": "pas-un-jeton"}
    assert manager_client.post(url, sent).status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.PAID

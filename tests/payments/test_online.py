"""Online payment through Stripe Checkout, against the local fake of Stripe served over HTTP (the SDK makes
real calls to it): opening a session, recording it on return, pre-authorized debits, excess as credit,
refunds through the API and from the Stripe dashboard, and the demo mode."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

from logis.core.errors import InvalidTransition, NotFound, PermissionDenied, ValidationError
from logis.core.permissions import Role
from logis.invoicing import services as invoicing
from logis.invoicing.models import InvoiceStatus
from logis.notifications.models import EmailMessage
from logis.payments import online, services
from logis.payments.credits import credit_balance
from logis.payments.models import CheckoutSession, Payment, PaymentKind, PaymentStatus, WebhookEvent
from logis.properties.models import Property
from tests.factories import InvoiceFactory, PropertyFactory, UserFactory, member
from tests.payments.stripe_fake import RunningFake, payer, post_event, stripe_fake_fixture  # noqa: F401

SUCCESS = "http://testserver/portal/invoices/1/?checkout=success&session_id={CHECKOUT_SESSION_ID}"
CANCEL = "http://testserver/portal/invoices/1/?checkout=cancelled"


@pytest.fixture
def building(db: None) -> Property:
    return PropertyFactory(name="Les Jardins du Parc", accepted_methods=["card", "cheque"])


def _session_id(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def _checkout(payer_: object, invoice_id: int | None = None) -> str:
    p = payer_
    return online.start_checkout(
        invoice_id=invoice_id or p.invoice.pk,  # type: ignore[attr-defined]
        user=p.user,  # type: ignore[attr-defined]
        success_url=SUCCESS,
        cancel_url=CANCEL,
    )


# --- Availability -----------------------------------------------------------------------------------


def test_online_payment_is_available_when_payments_are_enabled_and_card_or_debit_accepted(
    building: Property, stripe_fake: RunningFake
) -> None:
    assert online.online_payment_available(building)
    building.accepted_methods = ["acss_debit"]
    assert online.online_payment_available(building)
    building.accepted_methods = ["cheque", "interac"]
    assert not online.online_payment_available(building)
    building.accepted_methods = ["card"]
    building.payments_enabled = False
    assert not online.online_payment_available(building)


def test_without_stripe_keys_online_payment_is_a_demo_unless_turned_off(building: Property, settings) -> None:  # type: ignore[no-untyped-def]
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_DEMO = True
    assert online.demo_mode() and online.online_payment_available(building)
    settings.STRIPE_DEMO = False
    assert not online.demo_mode() and not online.online_payment_available(building)
    settings.STRIPE_SECRET_KEY = "sk_live_real"
    assert not online.demo_mode() and online.online_payment_available(building)


# --- Opening a Checkout Session ---------------------------------------------------------------------


def test_start_checkout_opens_a_session_for_the_balance_due_in_cents(
    building: Property, stripe_fake: RunningFake
) -> None:
    p = payer(building, amount=Decimal("125.50"))
    p.invoice.amount_paid = Decimal("25.25")
    p.invoice.save()
    url = _checkout(p)
    session = stripe_fake.fake.sessions[_session_id(url)]
    assert url == f"{stripe_fake.url}/pay/{session['id']}"
    assert session["amount_total"] == 10025  # 125.50 - 25.25
    assert session["currency"] == "cad"
    assert session["mode"] == "payment"
    assert session["payment_method_types"] == ["card"]
    assert session["metadata"] == {
        "invoice_id": str(p.invoice.pk),
        "property_id": str(building.pk),
        "unit": p.invoice.unit.number,
    }
    assert session["client_reference_id"] == str(p.invoice.pk)
    row = CheckoutSession.objects.get(session_id=session["id"])
    assert (row.invoice, row.user, row.amount, row.demo) == (p.invoice, p.user, Decimal("100.25"), False)
    idempotency = [h["Idempotency-Key"] for m, path, h in stripe_fake.fake.requests if m == "POST"]
    assert idempotency and idempotency[0].startswith("logis-checkout-")


def test_pre_authorized_debit_is_offered_with_its_canadian_mandate(
    building: Property, stripe_fake: RunningFake
) -> None:
    building.accepted_methods = ["card", "acss_debit"]
    building.save()
    session = stripe_fake.fake.sessions[_session_id(_checkout(payer(building)))]
    assert session["payment_method_types"] == ["card", "acss_debit"]
    assert session["payment_method_options"] == {
        "acss_debit": {
            "currency": "cad",
            "mandate_options": {"payment_schedule": "sporadic", "transaction_type": "personal"},
        }
    }


def test_clicking_pay_twice_opens_one_session(building: Property, stripe_fake: RunningFake) -> None:
    p = payer(building)
    assert _checkout(p) == _checkout(p)
    assert len(stripe_fake.fake.sessions) == 1
    assert CheckoutSession.objects.count() == 1


def test_only_a_resident_of_the_invoice_unit_may_pay_it(building: Property, stripe_fake: RunningFake) -> None:
    p = payer(building)
    other = payer(building, number=2, email="other@example.com")
    stranger = UserFactory()
    for user in (other.user, stranger):
        with pytest.raises(NotFound):
            online.start_checkout(invoice_id=p.invoice.pk, user=user, success_url=SUCCESS, cancel_url=CANCEL)
    with pytest.raises(NotFound):
        online.start_checkout(invoice_id=999999, user=p.user, success_url=SUCCESS, cancel_url=CANCEL)
    assert stripe_fake.fake.sessions == {}


def test_drafts_paid_and_void_invoices_cannot_be_paid_online(
    building: Property, stripe_fake: RunningFake
) -> None:
    p = payer(building)
    draft = InvoiceFactory(property=building, unit=p.invoice.unit)
    with pytest.raises(NotFound):
        _checkout(p, draft.pk)
    for status in (InvoiceStatus.PAID, InvoiceStatus.VOID):
        p.invoice.status = status
        p.invoice.amount_paid = p.invoice.amount if status == InvoiceStatus.PAID else Decimal("0")
        p.invoice.save()
        with pytest.raises(InvalidTransition):
            _checkout(p)
    assert stripe_fake.fake.sessions == {}


def test_no_online_payment_when_payments_are_disabled(building: Property, stripe_fake: RunningFake) -> None:
    p = payer(building)
    building.payments_enabled = False
    building.save()
    with pytest.raises(PermissionDenied):
        _checkout(p)


def test_stripe_unreachable_is_a_clear_error_and_nothing_is_recorded(
    building: Property, stripe_fake: RunningFake, settings
) -> None:  # type: ignore[no-untyped-def]
    settings.STRIPE_API_BASE = "http://127.0.0.1:9"  # discard port: connection refused
    with pytest.raises(online.PaymentProviderUnavailable):
        _checkout(payer(building))
    assert not CheckoutSession.objects.exists()


# --- Recording on return (sync) ---------------------------------------------------------------------


def test_returning_after_paying_records_one_payment_marks_the_invoice_paid_and_queues_the_receipt(
    building: Property, stripe_fake: RunningFake
) -> None:
    p = payer(building, amount=Decimal("125.50"))
    session_id = _session_id(_checkout(p))
    stripe_fake.fake.complete_session(session_id)
    online.sync_checkout_session(session_id=session_id)
    online.sync_checkout_session(session_id=session_id)  # reloading the page
    payment = Payment.objects.get()
    assert (payment.kind, payment.status, payment.method) == ("payment", "succeeded", "card")
    assert payment.amount == Decimal("125.50")
    assert payment.provider_session_id == session_id
    assert payment.provider_payment_id == stripe_fake.fake.sessions[session_id]["payment_intent"]
    p.invoice.refresh_from_db()
    assert p.invoice.status == InvoiceStatus.PAID and p.invoice.amount_paid == Decimal("125.50")
    receipt = EmailMessage.objects.get(kind="payment_receipt")
    assert receipt.to_email == "marie@example.com"


def test_returning_from_an_unpaid_session_records_nothing(
    building: Property, stripe_fake: RunningFake
) -> None:
    p = payer(building)
    online.sync_checkout_session(session_id=_session_id(_checkout(p)))
    online.sync_checkout_session(session_id="cs_test_not_ours")
    assert not Payment.objects.exists()
    p.invoice.refresh_from_db()
    assert p.invoice.status == InvoiceStatus.OPEN


def test_a_pre_authorized_debit_is_pending_until_it_clears(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    building.accepted_methods = ["acss_debit"]
    building.save()
    p = payer(building, amount=Decimal("80.00"))
    session_id = _session_id(_checkout(p))
    stripe_fake.fake.complete_session(session_id, method="acss_debit")
    online.sync_checkout_session(session_id=session_id)
    payment = Payment.objects.get()
    assert (payment.status, payment.method) == (PaymentStatus.PENDING, "acss_debit")
    p.invoice.refresh_from_db()
    assert p.invoice.status == InvoiceStatus.OPEN and p.invoice.amount_paid == 0
    assert not EmailMessage.objects.filter(kind="payment_receipt").exists()
    with pytest.raises(InvalidTransition):
        _checkout(p)  # no second payment while the first clears

    response = post_event(client, stripe_fake.fake.settle_debit(session_id, succeeded=True))
    assert response.status_code == 200
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.SUCCEEDED
    p.invoice.refresh_from_db()
    assert p.invoice.status == InvoiceStatus.PAID and p.invoice.amount_paid == Decimal("80.00")
    assert EmailMessage.objects.filter(kind="payment_receipt").count() == 1
    assert Payment.objects.count() == 1


def test_a_failed_debit_is_recorded_as_failed_and_the_invoice_stays_open(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    building.accepted_methods = ["acss_debit"]
    building.save()
    member(building, Role.MANAGER, email="gestion@example.com", language="en")
    member(building, Role.BOARD, email="conseil@example.com")
    p = payer(building)
    session_id = _session_id(_checkout(p))
    post_event(client, stripe_fake.fake.complete_session(session_id, method="acss_debit"))
    assert not EmailMessage.objects.filter(kind__startswith="checkout_debit_failed").exists()
    failed = stripe_fake.fake.settle_debit(session_id, succeeded=False)
    post_event(client, failed)
    post_event(client, failed)  # redelivered: told once
    # Both sides are told, each once, in their language (the board records no payment: not told).
    resident = EmailMessage.objects.get(kind="checkout_debit_failed")
    assert resident.to_email == "marie@example.com" and "refusé" in resident.subject
    assert "Frais de condo" in resident.body_text and "125,50" in resident.body_text
    staff = EmailMessage.objects.get(kind="checkout_debit_failed_staff")
    assert staff.to_email == "gestion@example.com" and "refused" in staff.subject
    payment = Payment.objects.get()
    assert payment.status == PaymentStatus.FAILED
    p.invoice.refresh_from_db()
    assert p.invoice.status == InvoiceStatus.OPEN and p.invoice.amount_paid == 0
    assert _checkout(p) != ""  # the person may try again: a new session
    assert len(stripe_fake.fake.sessions) == 2


def test_an_online_payment_above_the_balance_now_due_keeps_the_excess_as_unit_credit(
    building: Property, stripe_fake: RunningFake
) -> None:
    manager = member(building, Role.MANAGER)
    p = payer(building, amount=Decimal("100.00"))
    session_id = _session_id(_checkout(p))
    services.record_payment(
        property=building,
        invoice_id=p.invoice.pk,
        actor=manager,
        amount=Decimal("30.00"),
        paid_on=dt.date.today() - dt.timedelta(days=1),
        method="cheque",
    )
    stripe_fake.fake.complete_session(session_id)
    online.sync_checkout_session(session_id=session_id)
    p.invoice.refresh_from_db()
    assert p.invoice.status == InvoiceStatus.PAID and p.invoice.amount_paid == Decimal("100.00")
    assert Payment.objects.get(method="card").amount == Decimal("100.00")
    assert credit_balance(unit=p.invoice.unit) == Decimal("30.00")


def test_an_online_payment_of_an_invoice_voided_meanwhile_becomes_unit_credit(
    building: Property, stripe_fake: RunningFake
) -> None:
    manager = member(building, Role.MANAGER)
    p = payer(building, amount=Decimal("60.00"))
    session_id = _session_id(_checkout(p))
    invoicing.void_invoice(actor=manager, invoice_id=p.invoice.pk, reason="Erreur de montant")
    stripe_fake.fake.complete_session(session_id)
    online.sync_checkout_session(session_id=session_id)
    p.invoice.refresh_from_db()
    assert p.invoice.status == InvoiceStatus.VOID and p.invoice.amount_paid == 0
    assert Payment.objects.get().status == PaymentStatus.SUCCEEDED
    assert credit_balance(unit=p.invoice.unit) == Decimal("60.00")


# --- Refunds ----------------------------------------------------------------------------------------


def _paid(
    building: Property, stripe_fake: RunningFake, amount: str = "120.00"
) -> tuple[object, Payment, str]:
    p = payer(building, amount=Decimal(amount))
    session_id = _session_id(_checkout(p))
    stripe_fake.fake.complete_session(session_id)
    online.sync_checkout_session(session_id=session_id)
    return p, Payment.objects.get(kind=PaymentKind.PAYMENT), session_id


def test_refunding_an_online_payment_goes_through_stripe_and_reopens_the_invoice(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    manager = member(building, Role.MANAGER)
    p, payment, _ = _paid(building, stripe_fake)
    refund = online.refund_online_payment(
        property=building, payment_id=payment.pk, actor=manager, amount=Decimal("20.00"), reason="Trop perçu"
    )
    (stripe_refund,) = stripe_fake.fake.refunds.values()
    assert stripe_refund["amount"] == 2000
    assert stripe_refund["payment_intent"] == payment.provider_payment_id
    assert (refund.kind, refund.amount, refund.reverses, refund.provider_payment_id) == (
        "refund",
        Decimal("20.00"),
        payment,
        stripe_refund["id"],
    )
    invoice = p.invoice  # type: ignore[attr-defined]
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN and invoice.amount_paid == Decimal("100.00")
    # Stripe then sends charge.refunded: the refund Logis made is found, not recorded twice.
    response = post_event(client, stripe_fake.fake.last_event("charge.refunded"))
    assert response.status_code == 200
    assert Payment.objects.filter(kind=PaymentKind.REFUND).count() == 1
    # The rest, all of it (no amount given).
    online.refund_online_payment(property=building, payment_id=payment.pk, actor=manager, reason="Départ")
    invoice.refresh_from_db()
    assert invoice.amount_paid == 0
    with pytest.raises(ValidationError):
        online.refund_online_payment(property=building, payment_id=payment.pk, actor=manager, reason="Encore")


def test_a_refund_made_in_the_stripe_dashboard_is_recorded_once_from_the_webhook(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    p, payment, _ = _paid(building, stripe_fake, "50.00")
    stripe_fake.fake.create_refund({"payment_intent": payment.provider_payment_id})
    event = stripe_fake.fake.last_event("charge.refunded")
    assert post_event(client, event).status_code == 200
    assert post_event(client, {**event, "id": event["id"] + "_again"}).status_code == 200
    refund = Payment.objects.get(kind=PaymentKind.REFUND)
    assert refund.amount == Decimal("50.00") and refund.reverses == payment and refund.recorded_by is None
    invoice = p.invoice  # type: ignore[attr-defined]
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN and invoice.amount_paid == 0


def test_refund_checks_role_amount_and_reason_and_refuses_manual_payments(
    building: Property, stripe_fake: RunningFake
) -> None:
    manager = member(building, Role.MANAGER)
    board = member(building, Role.BOARD)
    _p, payment, _ = _paid(building, stripe_fake, "40.00")
    with pytest.raises(PermissionDenied):
        online.refund_online_payment(property=building, payment_id=payment.pk, actor=board, reason="x")
    with pytest.raises(ValidationError) as exc:
        online.refund_online_payment(
            property=building, payment_id=payment.pk, actor=manager, amount=Decimal("40.01"), reason=" "
        )
    assert set(exc.value.errors) == {"amount", "reason"}
    other = PropertyFactory()
    with pytest.raises(NotFound):
        online.refund_online_payment(property=other, payment_id=payment.pk, actor=member(other), reason="x")
    assert stripe_fake.fake.refunds == {}


def test_manager_refunds_an_online_payment_from_the_invoice_page(
    building: Property, stripe_fake: RunningFake
) -> None:
    manager = member(building, Role.MANAGER, language="fr")
    p, payment, _ = _paid(building, stripe_fake, "75.00")
    client = Client()
    client.force_login(manager)
    invoice = p.invoice  # type: ignore[attr-defined]
    detail = client.get(reverse("invoicing:detail", args=[building.pk, invoice.pk]))
    refund_url = reverse("payments:refund_online", args=[building.pk, payment.pk])
    assert refund_url in detail.content.decode()
    assert "Rembourser" in detail.content.decode()
    page = client.get(refund_url)
    assert page.status_code == 200 and "Rembourser" in page.content.decode()
    bad = client.post(refund_url, {"amount": "80,00", "reason": "Trop"})
    assert bad.status_code == 200 and stripe_fake.fake.refunds == {}
    assert "80,00" in bad.content.decode()  # what was typed is kept
    response = client.post(refund_url, {"amount": "75,00", "reason": "Déménagement"})
    assert response.status_code == 302
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN and invoice.amount_paid == 0
    assert len(stripe_fake.fake.refunds) == 1


# --- Demo mode --------------------------------------------------------------------------------------


def test_the_demo_fake_is_served_only_without_a_real_stripe_key(db: None, settings, client: Client) -> None:  # type: ignore[no-untyped-def]
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_DEMO = True
    assert client.post("/demo-stripe/v1/checkout/sessions").status_code == 401  # the fake answers
    settings.STRIPE_SECRET_KEY = "sk_live_real"
    assert client.post("/demo-stripe/v1/checkout/sessions").status_code == 404
    assert client.get("/demo-stripe/pay/cs_test_x").status_code == 404
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_DEMO = False
    assert client.get("/demo-stripe/pay/cs_test_x").status_code == 404


def test_unknown_webhook_events_and_sessions_leave_no_payment(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    response = post_event(client, {"id": "evt_1", "type": "customer.created", "data": {"object": {}}})
    assert response.status_code == 200 and response.json()["outcome"] == "ignored"
    assert WebhookEvent.objects.get().outcome == "ignored"
    assert not Payment.objects.exists()


def test_the_hosted_demo_page_pays_by_debit_and_lets_the_person_see_it_clear(
    building: Property, stripe_fake: RunningFake
) -> None:
    import urllib.error
    import urllib.parse
    import urllib.request

    class _NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: object, **kwargs: object) -> None:
            return None

    opener = urllib.request.build_opener(_NoRedirect)

    def post(url: str, data: dict[str, str]) -> tuple[int, str]:
        try:
            with opener.open(url, data=urllib.parse.urlencode(data).encode()) as response:
                return response.status, response.headers.get("Location", "")
        except urllib.error.HTTPError as exc:
            return exc.code, exc.headers.get("Location", "")

    building.accepted_methods = ["card", "acss_debit"]
    building.save()
    p = payer(building)
    url = _checkout(p)
    with urllib.request.urlopen(url) as response:  # noqa: S310 - the fake on 127.0.0.1
        page = response.read().decode()
    assert "Demo mode — no real payment" in page or "Mode démonstration" in page
    assert 'value="acss_debit"' in page
    status, location = post(url, {"method": "acss_debit"})
    assert (status, location) == (303, url)  # stays on the fake: the debit is pending
    with urllib.request.urlopen(url) as response:  # noqa: S310
        assert 'name="outcome" value="succeeded"' in response.read().decode()
    status, location = post(url, {"action": "settle", "outcome": "succeeded"})
    assert status == 303 and location.startswith("http://testserver/portal/invoices/1/?checkout=success")
    assert post(url, {"method": "card"}) == (303, url)  # paying again (back button): the page as it is
    assert post(url, {"action": "settle", "outcome": "failed"}) == (303, url)
    assert len([e for e in stripe_fake.fake.events if e["type"].startswith("checkout.session")]) == 2
    assert stripe_fake.fake.last_event("checkout.session.async_payment_succeeded")
    online.sync_checkout_session(session_id=_session_id(url))
    p.invoice.refresh_from_db()
    assert p.invoice.status == InvoiceStatus.PAID


def test_refunding_an_overpaid_online_payment_gives_back_its_credit_first_then_the_invoice(
    building: Property, stripe_fake: RunningFake
) -> None:
    manager = member(building, Role.MANAGER)
    p = payer(building, amount=Decimal("100.00"))
    session_id = _session_id(_checkout(p))
    services.record_payment(
        property=building,
        invoice_id=p.invoice.pk,
        actor=manager,
        amount=Decimal("30.00"),
        paid_on=dt.date.today() - dt.timedelta(days=1),
        method="cheque",
    )
    stripe_fake.fake.complete_session(session_id)
    online.sync_checkout_session(session_id=session_id)
    card = Payment.objects.get(method="card")
    assert credit_balance(unit=p.invoice.unit) == Decimal("30.00")
    online.refund_online_payment(
        property=building, payment_id=card.pk, actor=manager, amount=Decimal("40.00"), reason="Trop perçu"
    )
    p.invoice.refresh_from_db()
    assert credit_balance(unit=p.invoice.unit) == 0  # the 30 $ of excess first
    assert p.invoice.amount_paid == Decimal("90.00") and p.invoice.status == InvoiceStatus.OPEN
    online.refund_online_payment(property=building, payment_id=card.pk, actor=manager, reason="Le reste")
    p.invoice.refresh_from_db()
    assert p.invoice.amount_paid == Decimal("30.00")  # only the cheque is left on the invoice
    assert credit_balance(unit=p.invoice.unit) == 0


def test_a_dashboard_refund_of_a_voided_invoice_payment_comes_off_the_unit_credit(
    building: Property, stripe_fake: RunningFake, client: Client
) -> None:
    manager = member(building, Role.MANAGER)
    p = payer(building, amount=Decimal("60.00"))
    session_id = _session_id(_checkout(p))
    invoicing.void_invoice(actor=manager, invoice_id=p.invoice.pk, reason="Erreur")
    stripe_fake.fake.complete_session(session_id)
    online.sync_checkout_session(session_id=session_id)
    assert credit_balance(unit=p.invoice.unit) == Decimal("60.00")
    stripe_fake.fake.create_refund({"payment_intent": Payment.objects.get().provider_payment_id})
    assert post_event(client, stripe_fake.fake.last_event("charge.refunded")).status_code == 200
    assert credit_balance(unit=p.invoice.unit) == 0
    p.invoice.refresh_from_db()
    assert p.invoice.status == InvoiceStatus.VOID and p.invoice.amount_paid == 0


def test_the_online_refund_page_of_a_cheque_says_so_instead_of_failing(building: Property) -> None:
    """Found by tests/test_fuzz_forms.py: GET or POST on the online refund of a manual payment was a 500."""
    from django.test import Client
    from django.urls import reverse

    manager = member(building, Role.MANAGER)
    p = payer(building, amount=Decimal("100.00"))
    cheque = services.record_payment(
        property=building,
        invoice_id=p.invoice.pk,
        actor=manager,
        amount=Decimal("30.00"),
        paid_on=dt.date.today(),
        method="cheque",
    )
    client = Client()
    client.force_login(manager)
    url = reverse("payments:refund_online", args=[building.pk, cheque.pk])
    for response in (client.get(url), client.post(url, {"amount": "30,00", "reason": "x"})):
        assert response.status_code == 200
        assert "Seul un paiement en ligne reçu peut être remboursé par Stripe." in response.content.decode()

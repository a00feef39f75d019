"""The demo's automatic payments (``manage.py load_demo``), made offline with the fake of Stripe's own
objects (no HTTP: the server is not running while the demo loads): unit 101 (Marie, French) enrolled with
Stripe's test account that clears, unit 102 (Jean, English) with the one that fails, and one failed debit
of 102 — its invoice open again, the NSF fee billed, both sides emailed (docs/decisions/0031)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.conf import settings

from logis.accounts.models import User
from logis.core.dates import today_in
from logis.core.permissions import SYSTEM
from logis.invoicing.services import create_invoice, publish_invoice
from logis.payments import autopay, autopay_debits, stripe_gateway
from logis.payments.checkout import CURRENCY, cents
from logis.payments.fake_stripe_autopay import PAD_ACCOUNT_FAILS, PAD_ACCOUNT_SUCCEEDS
from logis.payments.fake_stripe_demo import DEMO
from logis.payments.models import AutopayDebit, AutopayDebitStatus, AutopayEnrolment
from logis.properties.models import PaymentMethod, Property, Unit


def _enrol(unit: Unit, user: User, account: str) -> AutopayEnrolment:
    customer = DEMO.create_customer({"email": user.email, "metadata": {"logis_unit": str(unit.pk)}})
    session = DEMO.create_setup_session(
        {
            "mode": "setup",
            "customer": customer["id"],
            "payment_method_types": [PaymentMethod.PAD.value],
            "payment_method_options": {
                "acss_debit": {
                    "currency": CURRENCY,
                    "mandate_options": {"payment_schedule": "sporadic", "transaction_type": "personal"},
                }
            },
            "success_url": f"{settings.SITE_URL}/portal/autopay/",
            "cancel_url": f"{settings.SITE_URL}/portal/autopay/",
            "metadata": {"logis_autopay": "1", "unit_id": str(unit.pk), "user_id": str(user.pk)},
        },
        base_url=f"{settings.SITE_URL}{stripe_gateway.DEMO_PREFIX}",
    )
    DEMO.complete_setup(session["id"], method=PaymentMethod.PAD.value, account_number=account)
    setup_intent = DEMO.get_setup_intent(str(DEMO.sessions[session["id"]]["setup_intent"]))
    return AutopayEnrolment.objects.create(
        property=unit.property,
        unit=unit,
        user=user,
        customer_id=customer["id"],
        payment_method_id=setup_intent["payment_method"],
        mandate_id=setup_intent["mandate"],
        setup_session_id=session["id"],
        method=PaymentMethod.PAD,
        method_label=f"•••• {account[-4:]}",
    )


def ensure_demo_autopay(jardins: Property) -> None:
    if AutopayEnrolment.objects.filter(property=jardins).exists():
        return
    if jardins.nsf_fee == 0:
        jardins.nsf_fee = Decimal("45.00")
        jardins.save(update_fields=["nsf_fee"])
    for number, account in (("101", PAD_ACCOUNT_SUCCEEDS), ("102", PAD_ACCOUNT_FAILS)):
        unit = Unit.objects.get(property=jardins, number=number)
        user = User.objects.get(
            residencies__occupancies__unit=unit, residencies__occupancies__is_primary=True
        )
        enrolment = _enrol(unit, user, account)
    # 102's parking for November: announced 10 days ago, debited today, refused by the bank.
    today = today_in(jardins.timezone)
    invoice = create_invoice(
        actor=SYSTEM,
        property=jardins,
        unit_id=enrolment.unit_id,
        title="Frais de stationnement — Novembre 2026",
        amount=Decimal("45.00"),
        due_date=today,
        description="Demo invoice.",
    )
    publish_invoice(actor=SYSTEM, invoice_id=invoice.pk)
    debit = AutopayDebit.objects.create(
        property=jardins,
        enrolment=enrolment,
        invoice=invoice,
        amount=Decimal("45.00"),
        notice_sent_on=today - dt.timedelta(days=autopay.NOTICE_DAYS),
        debit_on=today,
        status=AutopayDebitStatus.SUBMITTING,
    )
    DEMO.auto_settle = True
    answer, events = DEMO.create_payment_intent(
        {
            "amount": str(cents(debit.amount)),
            "currency": CURRENCY,
            "customer": enrolment.customer_id,
            "payment_method": enrolment.payment_method_id,
            "mandate": enrolment.mandate_id,
            "confirm": "true",
            "off_session": "true",
            "metadata": {"logis_autopay_debit": str(debit.pk), "invoice_id": str(invoice.pk)},
        }
    )
    autopay_debits.record_intent(answer)  # pending
    failed = DEMO.store.get("event", events[-1])
    assert failed is not None
    autopay_debits.record_intent(failed["data"]["object"])  # refused: invoice due, fee billed, emails queued

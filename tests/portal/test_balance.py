"""« Payer le solde » in the resident portal (decision 0036): the button beside each unit's balance, the
page of the unit's open invoices (all ticked), one Checkout for the ticked ones, the one receipt listing
each invoice paid; French and English (French first on a Quebec property's receipt, s. 57)."""

from __future__ import annotations

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from logis.accounts.models import User
from logis.core.dates import today_in
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.payments.models import CheckoutSession, Remittance
from logis.properties.models import Property, Unit
from tests.factories import UnitFactory, UserFactory, open_invoice, outside_quebec
from tests.payments.stripe_fake import RunningFake
from tests.portal.conftest import link

NBSP = "\u00a0"


def _days(n: int) -> dt.date:
    return today_in("America/Toronto") + dt.timedelta(days=n)


def _html(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.status_code
    return html.unescape(response.content.decode())


@pytest.fixture
def card(prop: Property) -> Property:
    prop.accepted_methods = ["card"]
    prop.save(update_fields=["accepted_methods"])
    return prop


def two(prop: Property, unit: Unit) -> tuple[Invoice, Invoice]:
    older = open_invoice(
        prop, number=1, unit=unit, amount=Decimal("100.00"), title="Frais de condo", due_date=_days(2)
    )
    newer = open_invoice(
        prop, number=2, unit=unit, amount=Decimal("50.00"), title="Cotisation spéciale", due_date=_days(20)
    )
    return older, newer


def test_the_home_shows_pay_the_balance_beside_each_units_balance(
    resident_user: User, resident_client: Client, card: Property, unit: Unit
) -> None:
    two(card, unit)
    second = UnitFactory(property=card, number="102")
    link(resident_user, second, primary=False)
    open_invoice(card, number=3, unit=second, amount=Decimal("20.00"))
    page = _html(resident_client.get(reverse("portal:home")))
    assert page.count(">Payer le solde</a>") == 2
    assert f'Unité 101 · <span class="portal-amount fw-semibold">150,00{NBSP}$</span>' in page
    assert reverse("portal:balance", args=[unit.pk]) in page
    assert reverse("portal:balance", args=[second.pk]) in page


def test_no_pay_the_balance_without_online_payment_or_without_a_balance(
    resident_client: Client, card: Property, unit: Unit
) -> None:
    assert "Payer le solde" not in _html(resident_client.get(reverse("portal:home")))
    two(card, unit)
    card.accepted_methods = ["cheque"]
    card.save(update_fields=["accepted_methods"])
    assert "Payer le solde" not in _html(resident_client.get(reverse("portal:home")))


def test_the_balance_page_lists_the_open_invoices_ticked_with_the_total(
    resident_client: Client, card: Property, unit: Unit
) -> None:
    older, newer = two(card, unit)
    page = _html(resident_client.get(reverse("portal:balance", args=[unit.pk])))
    assert "Payer le solde de l'unité 101" in page
    for invoice in (older, newer):
        assert re.search(rf'value="{invoice.pk}" id="invoice-{invoice.pk}"[^>]* checked', page)
    assert f"150,00{NBSP}$" in page
    assert page.index("Frais de condo") < page.index("Cotisation spéciale")  # oldest due first


def test_another_units_balance_page_does_not_exist(resident_client: Client, card: Property) -> None:
    stranger = UnitFactory(property=card, number="999")
    open_invoice(card, number=7, unit=stranger)
    assert resident_client.get(reverse("portal:balance", args=[stranger.pk])).status_code == 404
    assert resident_client.post(reverse("portal:pay_balance", args=[stranger.pk]), {}).status_code == 404


def test_the_balance_page_is_a_constant_number_of_queries(
    resident_client: Client, card: Property, unit: Unit
) -> None:
    two(card, unit)
    url = reverse("portal:balance", args=[unit.pk])
    with CaptureQueriesContext(connection) as few:
        _html(resident_client.get(url))
    for n in range(3, 12):
        open_invoice(card, number=n, unit=unit)
    with CaptureQueriesContext(connection) as many:
        _html(resident_client.get(url))
    # session, user, the unit, its open invoices, the debits clearing, the payments pending
    assert len(few.captured_queries) == len(many.captured_queries) == 6


def test_nothing_ticked_is_refused_beside_the_list_and_keeps_the_choice(
    resident_client: Client, card: Property, unit: Unit
) -> None:
    older, _newer = two(card, unit)
    response = resident_client.post(reverse("portal:pay_balance", args=[unit.pk]), {})
    assert response.status_code == 400
    page = html.unescape(response.content.decode())
    assert "Choisissez au moins une facture à payer." in page
    assert 'aria-describedby="invoices-error"' in page
    assert not re.search(rf'id="invoice-{older.pk}"[^>]* checked', page)
    assert not CheckoutSession.objects.exists()


def test_paying_the_ticked_invoices_opens_one_checkout_and_comes_back_to_the_receipt(
    resident_client: Client, card: Property, unit: Unit, stripe_fake: RunningFake
) -> None:
    older, newer = two(card, unit)
    response = resident_client.post(
        reverse("portal:pay_balance", args=[unit.pk]), {"invoices": [str(older.pk), str(newer.pk)]}
    )
    assert response.status_code == 302 and response["Location"].startswith(stripe_fake.url)
    [session] = stripe_fake.fake.sessions.values()
    assert session["amount_total"] == 15000
    stripe_fake.fake.complete_session(session["id"])
    here = reverse("portal:balance", args=[unit.pk])
    back = resident_client.get(f"{here}?checkout=success&session_id={session['id']}", follow=True)
    remittance = Remittance.objects.get()
    assert back.redirect_chain[-1][0] == reverse("portal:remittance", args=[remittance.pk])
    page = _html(back)
    assert "Paiement reçu. Merci" in page
    assert "Frais de condo" in page and "Cotisation spéciale" in page
    assert "Imputé d'abord aux frais de retard et intérêts, puis aux montants les plus anciens." in page
    for invoice in (older, newer):
        invoice.refresh_from_db()
        assert invoice.status == InvoiceStatus.PAID
    pdf = resident_client.get(reverse("portal:remittance_pdf", args=[remittance.pk]))
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"


def test_the_receipt_of_another_person_does_not_exist(
    resident_client: Client, card: Property, unit: Unit, stripe_fake: RunningFake
) -> None:
    two(card, unit)
    other_user = UserFactory(email="paul@example.com")
    other_unit = UnitFactory(property=card, number="500")
    link(other_user, other_unit, name="Paul")
    open_invoice(card, number=9, unit=other_unit)
    other = Client()
    other.force_login(other_user)
    other.post(
        reverse("portal:pay_balance", args=[other_unit.pk]),
        {"invoices": [str(i.pk) for i in other_unit.invoices.all()]},
    )
    [session] = stripe_fake.fake.sessions.values()
    stripe_fake.fake.complete_session(session["id"])
    other.get(
        f"{reverse('portal:balance', args=[other_unit.pk])}?checkout=success&session_id={session['id']}"
    )
    remittance = Remittance.objects.get()
    assert resident_client.get(reverse("portal:remittance", args=[remittance.pk])).status_code == 404
    assert resident_client.get(reverse("portal:remittance_pdf", args=[remittance.pk])).status_code == 404


def _paid_remittance(client: Client, prop: Property, unit: Unit, fake: RunningFake) -> Remittance:
    older, newer = two(prop, unit)
    client.post(reverse("portal:pay_balance", args=[unit.pk]), {"invoices": [str(older.pk), str(newer.pk)]})
    [session] = fake.fake.sessions.values()
    fake.fake.complete_session(session["id"])
    client.get(f"{reverse('portal:balance', args=[unit.pk])}?checkout=success&session_id={session['id']}")
    return Remittance.objects.get()


def test_an_english_reader_of_a_quebec_property_reads_the_receipt_french_first(
    resident_client: Client, card: Property, unit: Unit, stripe_fake: RunningFake
) -> None:
    remittance = _paid_remittance(resident_client, card, unit, stripe_fake)
    resident_client.post(reverse("switch_language"), {"language": "en", "next": "/portal/"})
    page = _html(resident_client.get(reverse("portal:remittance", args=[remittance.pk])))
    assert "Montant reçu / Amount received" in page
    assert "Imputé d'abord aux frais de retard et intérêts, puis aux montants les plus anciens." in page
    assert "Applied first to late fees and interest, then to the oldest amounts." in page
    assert page.index("Imputé d'abord") < page.index("Applied first")


def test_outside_quebec_an_english_reader_reads_the_receipt_in_english_only(
    resident_client: Client, card: Property, unit: Unit, stripe_fake: RunningFake
) -> None:
    outside_quebec(card)
    remittance = _paid_remittance(resident_client, card, unit, stripe_fake)
    resident_client.post(reverse("switch_language"), {"language": "en", "next": "/portal/"})
    page = _html(resident_client.get(reverse("portal:remittance", args=[remittance.pk])))
    assert "Amount received" in page and "Montant reçu" not in page
    assert "Imputé" not in page


def test_the_receipt_page_is_a_constant_number_of_queries(
    resident_user: User, resident_client: Client, card: Property, unit: Unit, stripe_fake: RunningFake
) -> None:
    small = _paid_remittance(resident_client, card, unit, stripe_fake)
    second = UnitFactory(property=card, number="102")
    link(resident_user, second, primary=False)
    invoices = [open_invoice(card, number=10 + n, unit=second, amount=Decimal("10.00")) for n in range(6)]
    resident_client.post(
        reverse("portal:pay_balance", args=[second.pk]), {"invoices": [str(i.pk) for i in invoices]}
    )
    session = next(s for s in stripe_fake.fake.sessions.values() if s["status"] == "open")
    stripe_fake.fake.complete_session(session["id"])
    resident_client.get(
        f"{reverse('portal:balance', args=[second.pk])}?checkout=success&session_id={session['id']}"
    )
    large = Remittance.objects.get(unit_id=second.pk)
    assert large.payments.count() == 6
    resident_client.get(reverse("portal:home"))  # shows (and clears) the « Payment received » messages
    counts = []
    for remittance in (small, large):
        with CaptureQueriesContext(connection) as queries:
            _html(resident_client.get(reverse("portal:remittance", args=[remittance.pk])))
        counts.append(len(queries.captured_queries))
    # session, user, the person's units, the receipt's document (four queries)
    assert counts[0] == counts[1] == 7

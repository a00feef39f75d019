"""The resident portal: only the person's own units' published invoices (never a draft, never another
unit's: guessing ids answers 404), to pay first, then paid and void; the balance due; paying online
when the property accepts it; receipts; French and English."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from logis.accounts.models import User
from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.payments.credits import apply_credit
from logis.payments.models import Payment, PaymentKind, PaymentStatus
from logis.payments.services import record_payment
from logis.properties.models import Property, Unit
from tests.factories import (
    InvoiceFactory,
    PropertyFactory,
    UnitFactory,
    UserFactory,
    add_unit_credit,
    member,
    open_invoice,
)
from tests.payments.stripe_fake import RunningFake
from tests.portal.conftest import link

NBSP = "\u00a0"
TZ = "America/Toronto"


def _today() -> dt.date:
    return today_in(TZ)


def _days(n: int) -> dt.date:
    return _today() + dt.timedelta(days=n)


def _html(response) -> str:  # type: ignore[no-untyped-def]
    assert response.status_code == 200, response.status_code
    return response.content.decode()


def _titles(html: str) -> list[str]:
    return re.findall(r'<div class="fw-semibold text-break">([^<]+)</div>', html)


def _void(prop: Property, unit: Unit, number: int, title: str) -> Invoice:
    return InvoiceFactory(property=prop, unit=unit, number=number, title=title, status=InvoiceStatus.VOID)


# --- What the resident sees ----------------------------------------------------------------------


def test_portal_never_shows_a_draft(resident_client: Client, prop: Property, unit: Unit) -> None:
    open_invoice(prop, number=1, unit=unit, title="Cotisation de janvier")
    draft = InvoiceFactory(property=prop, unit=unit, title="Brouillon secret")
    voided_draft = InvoiceFactory(
        property=prop, unit=unit, title="Brouillon annulé", status=InvoiceStatus.VOID
    )

    html = _html(resident_client.get(reverse("portal:home")))
    assert "Cotisation de janvier" in html
    assert "Brouillon secret" not in html
    assert "Brouillon annulé" not in html
    assert resident_client.get(reverse("portal:invoice", args=[draft.pk])).status_code == 404
    assert resident_client.get(reverse("portal:invoice", args=[voided_draft.pk])).status_code == 404
    assert resident_client.post(reverse("portal:pay", args=[draft.pk])).status_code == 404


def test_portal_never_shows_another_units_invoice_and_guessing_ids_answers_404(
    resident_client: Client, prop: Property, unit: Unit
) -> None:
    mine = open_invoice(prop, number=1, unit=unit, title="La mienne")
    neighbour = open_invoice(prop, number=2, unit=UnitFactory(property=prop, number="102"), title="Du voisin")
    elsewhere_prop = PropertyFactory(name="Ailleurs")
    elsewhere = open_invoice(elsewhere_prop, number=1, title="D'ailleurs")
    manager = member(prop, Role.MANAGER)
    payment = record_payment(
        property=prop,
        invoice_id=neighbour.pk,
        actor=manager,
        amount=Decimal("10.00"),
        paid_on=_today(),
        method="cheque",
    )

    html = _html(resident_client.get(reverse("portal:home")))
    assert "La mienne" in html
    assert "Du voisin" not in html
    assert "ailleurs" not in html.lower()
    assert resident_client.get(reverse("portal:invoice", args=[mine.pk])).status_code == 200
    for other in (neighbour, elsewhere):
        assert resident_client.get(reverse("portal:invoice", args=[other.pk])).status_code == 404
        assert resident_client.post(reverse("portal:pay", args=[other.pk])).status_code == 404
    assert resident_client.get(reverse("portal:invoice", args=[999_999])).status_code == 404
    assert resident_client.get(reverse("portal:receipt", args=[payment.pk])).status_code == 404


def test_portal_requires_signing_in(client: Client, db: None) -> None:
    response = client.get(reverse("portal:home"))
    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_a_resident_of_several_units_sees_all_of_them(
    resident_user: User, resident_client: Client, prop: Property, unit: Unit
) -> None:
    second = UnitFactory(property=prop, number="PH-2")
    link(resident_user, second, primary=False)
    open_invoice(prop, number=1, unit=unit, title="Unité 101")
    open_invoice(prop, number=2, unit=second, title="Penthouse")

    html = _html(resident_client.get(reverse("portal:home")))
    assert "Unité 101" in html and "Penthouse" in html
    assert "Unité PH-2" in html


def test_a_resident_of_units_in_two_properties_sees_both(
    resident_user: User, resident_client: Client, prop: Property, unit: Unit
) -> None:
    other = PropertyFactory(name="Tour Horizon", timezone="America/Vancouver")
    link(resident_user, UnitFactory(property=other, number="7"))
    open_invoice(prop, number=1, unit=unit, title="Jardins", amount=Decimal("100.00"))
    open_invoice(other, number=1, unit=other.units.get(), title="Horizon", amount=Decimal("50.00"))

    html = _html(resident_client.get(reverse("portal:home")))
    assert "Jardins" in html and "Horizon" in html
    assert "Tour Horizon" in html and "Les Jardins du Parc" in html
    assert f'id="balance-due">150,00{NBSP}$<' in html


def test_invoices_to_pay_come_first_by_due_date_then_paid_then_void(
    resident_client: Client, prop: Property, unit: Unit
) -> None:
    open_invoice(
        prop, number=1, unit=unit, title="Payée ancienne", amount_paid=Decimal("100.00"), due_date=_days(-60)
    )
    open_invoice(
        prop, number=2, unit=unit, title="Payée récente", amount_paid=Decimal("100.00"), due_date=_days(-5)
    )
    _void(prop, unit, 3, "Annulée")
    open_invoice(prop, number=4, unit=unit, title="Ouverte plus tard", due_date=_days(40))
    open_invoice(prop, number=5, unit=unit, title="En retard", due_date=_days(-10))
    open_invoice(prop, number=6, unit=unit, title="Ouverte bientôt", due_date=_days(3))

    html = _html(resident_client.get(reverse("portal:home")))
    assert _titles(html) == [
        "En retard",
        "Ouverte bientôt",
        "Ouverte plus tard",
        "Payée récente",
        "Payée ancienne",
        "Annulée",
    ]
    to_pay = html[html.index('id="invoices-to-pay"') : html.index('id="invoices-history"')]
    assert "badge-status-overdue" in to_pay and ">En retard</span>" in to_pay
    assert ">Ouverte</span>" in to_pay
    history = html[html.index('id="invoices-history"') :]
    assert ">Payée</span>" in history and ">Annulée</span>" in history


def test_balance_due_adds_what_is_left_on_open_and_overdue_invoices(
    resident_client: Client, prop: Property, unit: Unit
) -> None:
    open_invoice(prop, number=1, unit=unit, amount=Decimal("1200.00"), amount_paid=Decimal("200.00"))
    open_invoice(prop, number=2, unit=unit, amount=Decimal("234.56"), due_date=_days(-1))
    open_invoice(prop, number=3, unit=unit, amount=Decimal("500.00"), amount_paid=Decimal("500.00"))
    _void(prop, unit, 4, "Annulée")

    html = _html(resident_client.get(reverse("portal:home")))
    assert f'id="balance-due">1{NBSP}234,56{NBSP}$<' in html
    assert f"1 facture en retard : 234,56{NBSP}$" in html


def test_portal_list_query_count_does_not_grow_with_invoices_or_units(
    resident_user: User, resident_client: Client, prop: Property, unit: Unit
) -> None:
    open_invoice(prop, number=1, unit=unit)
    url = reverse("portal:home")
    resident_client.get(url)
    with CaptureQueriesContext(connection) as few:
        _html(resident_client.get(url))

    for n in range(2, 5):
        extra = UnitFactory(property=prop, number=f"2{n}")
        link(resident_user, extra, primary=False)
        for k in range(5):
            open_invoice(
                prop, number=n * 10 + k, unit=extra, amount_paid=Decimal("100.00") if k % 2 else Decimal(0)
            )
        _void(prop, extra, n * 10 + 9, "Annulée")
    with CaptureQueriesContext(connection) as many:
        html = _html(resident_client.get(url))
    assert len(_titles(html)) == 1 + 3 * 6
    assert len(many.captured_queries) == len(few.captured_queries)


def test_portal_list_is_a_few_queries(
    resident_client: Client, prop: Property, unit: Unit, django_assert_num_queries
) -> None:  # type: ignore[no-untyped-def]
    for n in range(1, 6):
        open_invoice(prop, number=n, unit=unit)
    # session, user, units, invoices (one time zone), the units' credit
    with django_assert_num_queries(5):
        resident_client.get(reverse("portal:home"))


def test_the_units_credit_shows_on_the_portal_with_what_the_manager_does_with_it(
    resident_user: User, resident_client: Client, prop: Property, unit: Unit
) -> None:
    second = UnitFactory(property=prop, number="102")
    link(resident_user, second, primary=False)
    add_unit_credit(unit=unit, amount=Decimal("20.00"), reason="Payé en trop")
    add_unit_credit(unit=second, amount=Decimal("5.00"), reason="Payé en trop")
    other = UnitFactory(property=prop, number="104")  # not hers: its credit is not counted
    add_unit_credit(unit=other, amount=Decimal("900.00"), reason="Autre unité")

    html = _html(resident_client.get(reverse("portal:home")))
    assert f"Crédit à votre compte : 25,00{NBSP}$" in html
    assert "Votre gestionnaire l'applique à l'une de vos factures." in html

    resident_client.post(reverse("switch_language"), {"language": "en", "next": reverse("portal:home")})
    html = _html(resident_client.get(reverse("portal:home")))
    assert "Credit on your account: $25.00" in html
    assert "Your manager applies it to one of your invoices." in html


def test_credit_applied_by_the_manager_is_no_longer_shown_and_nothing_shows_at_zero(
    resident_client: Client, prop: Property, unit: Unit
) -> None:
    assert 'id="unit-credit"' not in _html(resident_client.get(reverse("portal:home")))
    invoice = open_invoice(prop, number=1, unit=unit, amount=Decimal("100.00"))
    add_unit_credit(unit=unit, amount=Decimal("30.00"), reason="Payé en trop")
    manager = member(prop, Role.MANAGER)
    apply_credit(
        property=prop, unit_id=unit.pk, invoice_id=invoice.pk, amount=Decimal("10.00"), actor=manager
    )
    assert f"Crédit à votre compte : 20,00{NBSP}$" in _html(resident_client.get(reverse("portal:home")))
    apply_credit(
        property=prop, unit_id=unit.pk, invoice_id=invoice.pk, amount=Decimal("20.00"), actor=manager
    )
    html = _html(resident_client.get(reverse("portal:home")))
    assert 'id="unit-credit"' not in html and "Crédit à votre compte" not in html


def test_invoice_detail_shows_description_payments_and_receipts(
    resident_client: Client, prop: Property, unit: Unit
) -> None:
    invoice = open_invoice(
        prop,
        number=7,
        unit=unit,
        title="Cotisation spéciale",
        amount=Decimal("1234.56"),
        description="Réfection du toit.\nTravaux en mai.",
    )
    manager = member(prop, Role.MANAGER)
    payment = record_payment(
        property=prop,
        invoice_id=invoice.pk,
        actor=manager,
        amount=Decimal("234.56"),
        paid_on=_today(),
        method="cheque",
        reference="Chèque 118",
    )

    html = _html(resident_client.get(reverse("portal:invoice", args=[invoice.pk])))
    assert "Cotisation spéciale" in html
    assert "Facture nº 7" in html
    assert "Réfection du toit.\nTravaux en mai." in html
    assert f'id="invoice-balance">1{NBSP}000,00{NBSP}$<' in html
    assert "Chèque 118" in html
    receipt_url = reverse("portal:receipt", args=[payment.pk])
    assert f'href="{receipt_url}"' in html

    receipt = _html(resident_client.get(receipt_url))
    # The same number as the receipt's PDF: the property's id and the payment's.
    assert f"Reçu de paiement nº {prop.pk}-{payment.pk:06d}" in receipt
    assert f"234,56{NBSP}$" in receipt
    assert "Cotisation spéciale" in receipt


# --- Paying ----------------------------------------------------------------------------------------


def test_pay_button_shows_when_the_property_accepts_online_payment(
    resident_client: Client, prop: Property, unit: Unit
) -> None:
    invoice = open_invoice(prop, number=1, unit=unit, amount=Decimal("250.00"))
    html = _html(resident_client.get(reverse("portal:invoice", args=[invoice.pk])))
    assert "Payer en ligne</button>" in html and 'value="250,00"' in html
    assert f'action="{reverse("portal:pay", args=[invoice.pk])}"' in html


def test_no_pay_button_when_payments_are_disabled(
    resident_client: Client, prop: Property, unit: Unit
) -> None:
    Property.objects.filter(pk=prop.pk).update(payments_enabled=False)
    invoice = open_invoice(prop, number=1, unit=unit)
    html = _html(resident_client.get(reverse("portal:invoice", args=[invoice.pk])))
    assert "Payer " not in html
    assert reverse("portal:pay", args=[invoice.pk]) not in html
    assert (
        "Le paiement en ligne n&#x27;est pas offert" in html
        or "Le paiement en ligne n'est pas offert" in html
    )


def test_no_pay_button_when_no_online_method_is_accepted(
    resident_client: Client, prop: Property, unit: Unit
) -> None:
    Property.objects.filter(pk=prop.pk).update(accepted_methods=["cheque", "interac"])
    invoice = open_invoice(prop, number=1, unit=unit)
    html = _html(resident_client.get(reverse("portal:invoice", args=[invoice.pk])))
    assert reverse("portal:pay", args=[invoice.pk]) not in html


def test_no_pay_button_on_a_paid_or_void_invoice(resident_client: Client, prop: Property, unit: Unit) -> None:
    paid = open_invoice(prop, number=1, unit=unit, amount_paid=Decimal("100.00"))
    void = _void(prop, unit, 2, "Annulée")
    for invoice in (paid, void):
        html = _html(resident_client.get(reverse("portal:invoice", args=[invoice.pk])))
        assert reverse("portal:pay", args=[invoice.pk]) not in html
    assert "Cette facture est entièrement payée" in _html(
        resident_client.get(reverse("portal:invoice", args=[paid.pk]))
    )


def test_a_pending_payment_shows_it_is_being_confirmed_and_hides_the_pay_button(
    resident_client: Client, prop: Property, unit: Unit
) -> None:
    invoice = open_invoice(prop, number=1, unit=unit)
    Payment.objects.create(
        property=prop,
        unit=unit,
        invoice=invoice,
        kind=PaymentKind.PAYMENT,
        status=PaymentStatus.PENDING,
        amount=Decimal("100.00"),
        paid_on=_today(),
        method="acss_debit",
        provider_payment_id="pi_pending",
    )
    html = _html(resident_client.get(reverse("portal:invoice", args=[invoice.pk])))
    assert "Paiement en cours de confirmation" in html
    assert reverse("portal:pay", args=[invoice.pk]) not in html
    assert "En cours de confirmation" in html


def test_pay_opens_checkout_for_the_balance_due_and_comes_back_paid(
    resident_client: Client, prop: Property, unit: Unit, stripe_fake: RunningFake
) -> None:
    invoice = open_invoice(prop, number=1, unit=unit, amount=Decimal("300.00"), amount_paid=Decimal("100.00"))
    detail = reverse("portal:invoice", args=[invoice.pk])

    response = resident_client.post(reverse("portal:pay", args=[invoice.pk]))
    assert response.status_code == 302
    [session] = stripe_fake.fake.sessions.values()
    assert response["Location"] == session["url"]
    assert session["amount_total"] == 20000
    assert session["success_url"] == (
        f"http://testserver{detail}?checkout=success&session_id={{CHECKOUT_SESSION_ID}}"
    )
    assert session["cancel_url"] == f"http://testserver{detail}?checkout=cancelled"

    stripe_fake.fake.complete_session(session["id"])
    back = resident_client.get(f"{detail}?checkout=success&session_id={session['id']}", follow=True)
    html = _html(back)
    assert back.redirect_chain[-1][0] == detail
    assert "Paiement reçu. Merci !" in html
    assert ">Payée</span>" in html
    assert Invoice.objects.get(pk=invoice.pk).status == InvoiceStatus.PAID


def test_back_from_a_debit_still_clearing_shows_the_pending_state(
    resident_client: Client, prop: Property, unit: Unit, stripe_fake: RunningFake
) -> None:
    Property.objects.filter(pk=prop.pk).update(accepted_methods=["acss_debit"])
    invoice = open_invoice(prop, number=1, unit=unit)
    detail = reverse("portal:invoice", args=[invoice.pk])
    resident_client.post(reverse("portal:pay", args=[invoice.pk]))
    [session] = stripe_fake.fake.sessions.values()
    stripe_fake.fake.complete_session(session["id"], method="acss_debit")

    html = _html(resident_client.get(f"{detail}?checkout=success&session_id={session['id']}", follow=True))
    assert "Paiement en cours de confirmation" in html
    assert reverse("portal:pay", args=[invoice.pk]) not in html
    # Reloaded later (no query string): still pending, from the payment recorded as pending.
    assert "Paiement en cours de confirmation" in _html(resident_client.get(detail))


def test_back_from_checkout_while_confirming_the_page_rechecks_by_itself_only_then(
    resident_client: Client, prop: Property, unit: Unit
) -> None:
    invoice = open_invoice(prop, number=1, unit=unit)
    Payment.objects.create(
        property=prop,
        unit=unit,
        invoice=invoice,
        kind=PaymentKind.PAYMENT,
        status=PaymentStatus.PENDING,
        amount=Decimal("100.00"),
        paid_on=_today(),
        method="acss_debit",
        provider_payment_id="pi_pending",
    )
    url = reverse("portal:invoice", args=[invoice.pk])
    back = _html(resident_client.get(f"{url}?checkout=pending"))
    assert 'data-recheck-delays="3 6 12"' in back
    assert "logis/portal-recheck.js" in back
    assert "Cette page vérifie de nouveau d'elle-même" in back
    assert ">Actualiser</a>" in back
    # Opened later (not right after Checkout): still pending, no automatic reloads.
    later = _html(resident_client.get(url))
    assert "Paiement en cours de confirmation" in later
    assert "portal-recheck.js" not in later and "data-recheck-delays" not in later


def test_a_recheck_that_finds_the_payment_confirmed_says_so(
    resident_client: Client, prop: Property, unit: Unit
) -> None:
    invoice = open_invoice(prop, number=1, unit=unit, amount_paid=Decimal("100.00"))
    url = reverse("portal:invoice", args=[invoice.pk])
    response = resident_client.get(f"{url}?checkout=pending&recheck=2", follow=True)
    html = _html(response)
    assert response.redirect_chain[-1][0] == url
    assert "Paiement reçu. Merci !" in html
    assert "portal-recheck.js" not in html


def test_pay_when_payments_are_disabled_says_so(resident_client: Client, prop: Property, unit: Unit) -> None:
    invoice = open_invoice(prop, number=1, unit=unit)
    Property.objects.filter(pk=prop.pk).update(payments_enabled=False)
    response = resident_client.post(reverse("portal:pay", args=[invoice.pk]), follow=True)
    assert response.redirect_chain[-1][0] == reverse("portal:invoice", args=[invoice.pk])
    assert "alert-danger" in response.content.decode()


def test_back_from_checkout_cancelled_says_nothing_was_charged(
    resident_client: Client, prop: Property, unit: Unit
) -> None:
    invoice = open_invoice(prop, number=1, unit=unit)
    url = reverse("portal:invoice", args=[invoice.pk])
    response = resident_client.get(f"{url}?checkout=cancelled", follow=True)
    html = _html(response)
    assert response.redirect_chain[-1][0] == url
    assert "Paiement annulé : aucun montant n&#x27;a été prélevé." in html
    assert ">Ouverte</span>" in html


def test_back_from_checkout_before_confirmation_shows_the_pending_state(
    resident_client: Client, prop: Property, unit: Unit
) -> None:
    invoice = open_invoice(prop, number=1, unit=unit)
    url = reverse("portal:invoice", args=[invoice.pk])
    response = resident_client.get(f"{url}?checkout=success&session_id=cs_unknown", follow=True)
    html = _html(response)
    assert response.redirect_chain[-1][0] == f"{url}?checkout=pending"
    assert "Paiement en cours de confirmation" in html
    assert reverse("portal:pay", args=[invoice.pk]) not in html


def test_back_from_checkout_when_paid_shows_payment_received(
    resident_client: Client, prop: Property, unit: Unit
) -> None:
    invoice = open_invoice(prop, number=1, unit=unit, amount_paid=Decimal("100.00"))
    url = reverse("portal:invoice", args=[invoice.pk])
    response = resident_client.get(f"{url}?checkout=success&session_id=cs_done", follow=True)
    html = _html(response)
    assert response.redirect_chain[-1][0] == url
    assert "Paiement reçu. Merci !" in html
    assert ">Payée</span>" in html


# --- Who gets in -----------------------------------------------------------------------------------


def test_a_resident_signing_in_lands_in_the_portal(resident_user: User, client: Client) -> None:
    response = client.post(
        reverse("account_login"), {"login": resident_user.email, "password": "pw-123456"}, follow=True
    )
    assert response.redirect_chain[-1][0] == reverse("portal:home")
    assert "Mes factures" in response.content.decode()


def test_a_resident_cannot_open_management_pages(resident_client: Client, prop: Property, unit: Unit) -> None:
    invoice = open_invoice(prop, number=1, unit=unit)
    for url in (
        reverse("properties:dashboard", args=[prop.pk]),
        reverse("properties:residents", args=[prop.pk]),
        reverse("properties:unit_detail", args=[prop.pk, unit.pk]),
        reverse("invoicing:list", args=[prop.pk]),
        reverse("invoicing:detail", args=[prop.pk, invoice.pk]),
        reverse("payments:list", args=[prop.pk]),
        reverse("properties:payment_settings", args=[prop.pk]),
    ):
        assert resident_client.get(url).status_code == 404, url


def test_someone_without_units_sees_an_empty_portal(db: None) -> None:
    client = Client()
    client.force_login(UserFactory())
    html = _html(client.get(reverse("portal:home")))
    assert (
        "Aucune unité n&#x27;est encore liée à votre compte." in html
        or "Aucune unité n'est encore liée" in html
    )


# --- Languages -----------------------------------------------------------------------------------


def test_portal_speaks_french_by_default(resident_client: Client, prop: Property, unit: Unit) -> None:
    open_invoice(prop, number=1, unit=unit, amount=Decimal("1234.56"), due_date=_days(-2))
    html = _html(resident_client.get(reverse("portal:home")))
    assert '<html lang="fr">' in html
    assert "Solde dû" in html
    assert f"1{NBSP}234,56{NBSP}$" in html
    assert ">English</button>" in html


def test_portal_speaks_english_when_the_resident_chooses_it(
    resident_user: User, resident_client: Client, prop: Property, unit: Unit
) -> None:
    invoice = open_invoice(prop, number=1, unit=unit, amount=Decimal("1234.56"), due_date=_days(-2))
    resident_client.post(reverse("switch_language"), {"language": "en", "next": reverse("portal:home")})
    resident_user.refresh_from_db()
    assert resident_user.language == "en"

    html = _html(resident_client.get(reverse("portal:home")))
    assert '<html lang="en">' in html
    assert "Balance due" in html and "To pay" in html
    assert "$1,234.56" in html
    assert ">Overdue</span>" in html
    detail = _html(resident_client.get(reverse("portal:invoice", args=[invoice.pk])))
    assert "Pay online</button>" in detail and 'value="1,234.56"' in detail
    assert "Invoice no. 1" in detail


def test_the_history_is_paginated_and_what_is_to_pay_stays_on_every_page(
    resident_client: Client, prop: Property, unit: Unit
) -> None:
    open_invoice(prop, number=1, unit=unit, title="À payer")
    for n in range(2, 27):
        open_invoice(
            prop, number=n, unit=unit, title=f"Payée {n}", amount_paid=Decimal("100.00"), due_date=_days(-n)
        )

    first = _html(resident_client.get(reverse("portal:home")))
    second = _html(resident_client.get(reverse("portal:home") + "?page=2"))
    assert len(_titles(first)) == 1 + 20
    assert _titles(second)[0] == "À payer"
    assert len(_titles(second)) == 1 + 5
    assert "Page 2 sur 2" in second or "Page 2 de 2" in second

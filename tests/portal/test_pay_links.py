"""« Voir et payer » links (issue 13, decision 0025): the « new invoice » and reminder emails carry a link
that opens that one invoice without signing in; another invoice's number, an expired or a revoked link
shows the same neutral page; a manager revokes them (audited); requests are limited per address."""

from __future__ import annotations

import datetime as dt
import re
from decimal import Decimal

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from logis.accounts.models import User
from logis.core.audit import AuditEvent
from logis.core.errors import InvalidTransition, PermissionDenied
from logis.core.permissions import Role
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.invoicing.services import create_invoice, publish_invoice
from logis.notifications.models import EmailMessage
from logis.payments import paylinks
from logis.payments.models import PayLink
from logis.properties.audit_display import VERBS
from logis.properties.models import Property, Unit
from tests.factories import InvoiceFactory, member, open_invoice

LINK_RE = re.compile(r"http://[^/\s]+(/portal/link/(\d+)/([A-Za-z0-9_\-]+)/)")
NEUTRAL_FR = "Lien invalide ou expiré"


@pytest.fixture(autouse=True)
def _fresh_rate_limit() -> None:
    cache.clear()


def _published_with_email(prop: Property, unit: Unit, manager: User, *, amount: str = "250.00") -> Invoice:
    invoice = create_invoice(
        actor=manager,
        property=prop,
        unit_id=unit.pk,
        title="Cotisation de mars",
        amount=Decimal(amount),
        due_date=timezone.localdate() + dt.timedelta(days=20),
        notify_resident=True,
    )
    publish_invoice(actor=manager, invoice_id=invoice.pk)
    return Invoice.objects.get(pk=invoice.pk)


def _link_in(message: EmailMessage) -> str:
    found = LINK_RE.search(message.body_text)
    assert found, message.body_text
    assert found.group(0) in message.body_html
    return found.group(1)


@pytest.fixture
def emailed(prop: Property, unit: Unit, manager: User, resident_user: User) -> tuple[Invoice, str]:
    invoice = _published_with_email(prop, unit, manager)
    message = EmailMessage.objects.get(invoice=invoice, kind="invoice_published")
    return invoice, _link_in(message)


def test_new_invoice_email_carries_a_view_and_pay_link_stored_hashed(emailed: tuple[Invoice, str]) -> None:
    invoice, path = emailed
    token = path.rstrip("/").rsplit("/", 1)[1]
    message = EmailMessage.objects.get(invoice=invoice, kind="invoice_published")
    assert "Voir et payer" in message.body_html
    assert "sans vous connecter" in message.body_text
    [stored] = PayLink.objects.filter(invoice=invoice)
    assert stored.token_hash != token and token not in stored.token_hash
    assert stored.sent_to == "marie@example.com"
    assert abs(stored.expires_at - stored.created_at - dt.timedelta(days=30)) < dt.timedelta(seconds=5)


def test_the_link_opens_that_invoice_without_signing_in_and_nothing_else(
    emailed: tuple[Invoice, str], prop: Property, unit: Unit
) -> None:
    invoice, path = emailed
    other = open_invoice(prop, number=99, unit=unit, title="Autre facture du même logement")
    response = Client().get(path)
    assert response.status_code == 200
    html = response.content.decode()
    assert "Cotisation de mars" in html
    assert "250,00" in html
    assert "Autre facture du même logement" not in html
    assert "marie@example.com" not in html  # nobody's address, no account
    assert reverse("portal:pay_link_pdf", args=[invoice.pk, path.rstrip("/").rsplit("/", 1)[1]]) in html
    assert 'name="amount"' in html and 'value="250,00"' in html
    assert response["Referrer-Policy"] == "same-origin"
    assert "no-store" in response["Cache-Control"]
    # Signing in stays needed for everything else.
    assert Client().get(reverse("portal:invoice", args=[other.pk])).status_code == 302
    assert Client().get(reverse("portal:home")).status_code == 302
    assert PayLink.objects.get(invoice=invoice).last_used_at is not None


def test_the_link_gives_the_pdf_of_that_invoice(emailed: tuple[Invoice, str]) -> None:
    _invoice, path = emailed
    response = Client().get(f"{path}pdf/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"


def test_the_same_token_with_another_invoice_number_shows_the_neutral_page(
    emailed: tuple[Invoice, str], prop: Property, unit: Unit
) -> None:
    invoice, path = emailed
    other = open_invoice(prop, number=99, unit=unit, title="Autre facture")
    token = path.rstrip("/").rsplit("/", 1)[1]
    for url in (
        reverse("portal:pay_link", args=[other.pk, token]),
        reverse("portal:pay_link_pdf", args=[other.pk, token]),
        reverse("portal:pay_link", args=[invoice.pk, token[:-1] + ("A" if token[-1] != "A" else "B")]),
        reverse("portal:pay_link", args=[invoice.pk + 1000, token]),
    ):
        response = Client().get(url)
        assert response.status_code == 404
        html = response.content.decode()
        assert NEUTRAL_FR in html
        assert "Autre facture" not in html and "Cotisation de mars" not in html


def test_an_expired_link_shows_the_neutral_page(emailed: tuple[Invoice, str]) -> None:
    invoice, path = emailed
    PayLink.objects.filter(invoice=invoice).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = Client().get(path)
    assert response.status_code == 404
    assert NEUTRAL_FR in response.content.decode()
    assert "Cotisation de mars" not in response.content.decode()


def test_the_expiry_is_a_setting(settings, prop: Property, unit: Unit) -> None:  # type: ignore[no-untyped-def]
    settings.PAY_LINK_DAYS = 7
    invoice = open_invoice(prop, number=5, unit=unit)
    paylinks.create_pay_link(invoice=invoice)
    stored = PayLink.objects.get(invoice=invoice)
    assert abs(stored.expires_at - stored.created_at - dt.timedelta(days=7)) < dt.timedelta(seconds=5)


def test_a_manager_revokes_the_links_of_an_invoice_audited(
    emailed: tuple[Invoice, str], prop: Property, manager: User
) -> None:
    invoice, path = emailed
    manager_client = Client()
    manager_client.force_login(manager)
    detail = manager_client.get(reverse("invoicing:detail", args=[prop.pk, invoice.pk])).content.decode()
    assert "Révoquer les liens de paiement" in detail
    confirm = manager_client.get(reverse("payments:revoke_pay_links", args=[prop.pk, invoice.pk]))
    assert "cesseront de fonctionner" in confirm.content.decode() or "cessera de fonctionner" in (
        confirm.content.decode()
    )
    assert Client().get(path).status_code == 200  # asking is not revoking
    done = manager_client.post(reverse("payments:revoke_pay_links", args=[prop.pk, invoice.pk]), follow=True)
    assert "1 lien de paiement révoqué" in done.content.decode()
    response = Client().get(path)
    assert response.status_code == 404
    assert NEUTRAL_FR in response.content.decode()
    event = AuditEvent.objects.get(verb="invoice.pay_links_revoked")
    assert event.actor == manager and event.object_id == str(invoice.pk) and event.after == {"links": 1}
    assert "invoice.pay_links_revoked" in VERBS
    # Nothing left to revoke: said, not a 500.
    with pytest.raises(InvalidTransition):
        paylinks.revoke_pay_links(actor=manager, property=prop, invoice_id=invoice.pk)


def test_a_board_member_cannot_revoke_and_another_property_answers_404(
    emailed: tuple[Invoice, str], prop: Property
) -> None:
    invoice, path = emailed
    board = member(prop, Role.BOARD)
    with pytest.raises(PermissionDenied):
        paylinks.revoke_pay_links(actor=board, property=prop, invoice_id=invoice.pk)
    board_client = Client()
    board_client.force_login(board)
    assert (
        board_client.post(reverse("payments:revoke_pay_links", args=[prop.pk, invoice.pk])).status_code == 403
    )
    from tests.factories import PropertyFactory

    elsewhere = PropertyFactory(name="Ailleurs")
    stranger = member(elsewhere, Role.MANAGER)
    stranger_client = Client()
    stranger_client.force_login(stranger)
    assert (
        stranger_client.post(reverse("payments:revoke_pay_links", args=[prop.pk, invoice.pk])).status_code
        == 404
    )
    assert Client().get(path).status_code == 200


def test_a_draft_never_opens_even_with_a_link(prop: Property, unit: Unit) -> None:
    draft = InvoiceFactory(property=prop, unit=unit, title="Brouillon")
    url = paylinks.create_pay_link(invoice=draft)
    response = Client().get(_path(url))
    assert response.status_code == 404
    assert NEUTRAL_FR in response.content.decode()


def test_requests_to_pay_links_are_limited_per_address(settings, emailed: tuple[Invoice, str]) -> None:  # type: ignore[no-untyped-def]
    settings.PAY_LINK_RATE_LIMIT_PER_MINUTE = 3
    invoice, path = emailed
    client = Client()
    wrong = reverse("portal:pay_link", args=[invoice.pk, "x" * 43])
    assert [client.get(wrong).status_code for _ in range(3)] == [404, 404, 404]
    limited = client.get(path)
    assert limited.status_code == 429
    assert int(limited["Retry-After"]) >= 1
    assert "Cotisation de mars" not in limited.content.decode()
    # Another address is counted apart.
    assert Client(REMOTE_ADDR="10.0.0.9").get(path).status_code == 200


def test_a_paid_invoice_is_shown_paid_and_a_void_one_with_nothing_to_pay(
    prop: Property, unit: Unit, resident_user: User
) -> None:
    paid = open_invoice(prop, number=7, unit=unit, title="Payée", amount_paid=Decimal("100.00"))
    path = _path(paylinks.create_pay_link(invoice=paid))
    html = Client().get(path).content.decode()
    assert "Cette facture est entièrement payée" in html and 'name="amount"' not in html
    Invoice.objects.filter(pk=paid.pk).update(status=InvoiceStatus.VOID)
    html = Client().get(path).content.decode()
    assert "annulée" in html and 'name="amount"' not in html


def test_reminder_email_carries_a_fresh_link(
    prop: Property, unit: Unit, manager: User, resident_user: User
) -> None:
    from logis.collections.reminders import send_manual_reminder

    invoice = open_invoice(prop, number=3, unit=unit, title="Rappel")
    send_manual_reminder(actor=manager, invoice_id=invoice.pk, property=prop)
    message = EmailMessage.objects.get(invoice=invoice, kind__contains="reminder")
    path = _link_in(message)
    assert Client().get(path).status_code == 200


def test_no_link_in_an_email_when_nothing_is_to_pay(prop: Property, unit: Unit) -> None:
    paid = open_invoice(prop, number=8, unit=unit, amount_paid=Decimal("100.00"))
    assert paylinks.email_pay_link(invoice=paid, sent_to="x@example.com") == ""
    assert not PayLink.objects.filter(invoice=paid).exists()


def _path(url: str) -> str:
    return "/" + url.split("://", 1)[1].split("/", 1)[1]


# --- Paying through the link, all or part of it -------------------------------------------------


def test_paying_part_through_the_link_leaves_the_rest_due(emailed: tuple[Invoice, str], stripe_fake) -> None:  # type: ignore[no-untyped-def]
    from logis.payments.models import Payment

    invoice, path = emailed
    browser = Client()
    response = browser.post(path, {"amount": "100,00"})
    assert response.status_code == 302
    [session] = stripe_fake.fake.sessions.values()
    assert response["Location"] == session["url"]
    assert session["amount_total"] == 10000
    assert session["customer_email"] == "marie@example.com"
    stripe_fake.fake.complete_session(session["id"])
    back = browser.get(f"{path}?checkout=success&session_id={session['id']}", follow=True)
    html = back.content.decode()
    assert "Paiement reçu" in html
    invoice.refresh_from_db()
    assert invoice.status == InvoiceStatus.OPEN
    assert invoice.amount_paid == Decimal("100.00")
    assert 'value="150,00"' in html  # the rest, pre-filled
    [payment] = Payment.objects.filter(invoice=invoice)
    assert payment.amount == Decimal("100.00")
    assert EmailMessage.objects.filter(key=f"payment-receipt:{payment.pk}").exists()


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("0,50", "Le montant minimal"),
        ("300", "plus que le solde dû"),
    ],
)
def test_an_amount_out_of_bounds_is_refused_beside_the_field_and_kept(
    emailed: tuple[Invoice, str], stripe_fake, typed: str, message: str
) -> None:  # type: ignore[no-untyped-def]
    _invoice, path = emailed
    response = Client().post(path, {"amount": typed})
    assert response.status_code == 200
    html = response.content.decode()
    assert message in html
    assert f'value="{typed}"' in html
    assert 'aria-invalid="true"' in html or "is-invalid" in html
    assert not stripe_fake.fake.sessions


def test_a_signed_in_resident_pays_part_of_an_invoice(
    resident_client: Client, prop: Property, unit: Unit, stripe_fake
) -> None:  # type: ignore[no-untyped-def]
    invoice = open_invoice(prop, number=4, unit=unit, amount=Decimal("300.00"))
    response = resident_client.post(reverse("portal:pay", args=[invoice.pk]), {"amount": "45,50"})
    assert response.status_code == 302
    [session] = stripe_fake.fake.sessions.values()
    assert session["amount_total"] == 4550
    refused = resident_client.post(reverse("portal:pay", args=[invoice.pk]), {"amount": "0"})
    assert "Le montant minimal" in refused.content.decode()


def test_paying_part_adds_no_fee_and_the_page_points_out_the_cheaper_debit(
    resident_client: Client, prop: Property, unit: Unit, stripe_fake
) -> None:  # type: ignore[no-untyped-def]
    """Issue 13: no processing fee for the payer (no card surcharge to consumers in Quebec), and the page
    says that the pre-authorized debit costs the syndicate less — only where the debit is offered."""
    cheaper = "Payer par débit préautorisé (compte bancaire) coûte moins cher à votre syndicat"
    invoice = open_invoice(prop, number=5, unit=unit, amount=Decimal("300.00"))
    prop.accepted_methods = ["card", "acss_debit"]
    prop.save()
    page = resident_client.get(reverse("portal:invoice", args=[invoice.pk])).content.decode()
    assert cheaper in page
    resident_client.post(reverse("portal:pay", args=[invoice.pk]), {"amount": "1,00"})  # the least
    [session] = stripe_fake.fake.sessions.values()
    assert session["amount_total"] == 100  # 1,00 $ asked, 1,00 $ charged: nothing added
    prop.accepted_methods = ["card"]
    prop.save()
    page = resident_client.get(reverse("portal:invoice", args=[invoice.pk])).content.decode()
    assert cheaper not in page

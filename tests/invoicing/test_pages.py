"""The Factures pages as a manager, board member or stranger sees them (Django test client)."""

from __future__ import annotations

import datetime as dt
import json
import re
import uuid
from decimal import Decimal
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse

from logis.accounts.models import User
from logis.core.permissions import Role
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.properties.models import Property, Unit
from tests.factories import InvoiceFactory, PropertyFactory, UnitFactory, member, open_invoice
from tests.invoicing.conftest import client_for

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


def list_url(prop: Property, query: str = "") -> str:
    return reverse("invoicing:list", args=[prop.pk]) + (f"?{query}" if query else "")


def create_url(prop: Property) -> str:
    return reverse("invoicing:create", args=[prop.pk])


def form_data(unit: Unit, today: dt.date, **overrides: object) -> dict[str, object]:
    data: dict[str, object] = {
        "unit": str(unit.pk),
        "title": "Cotisation spéciale — Réparation du toit",
        "amount": "1 234,50",
        "due_date": (today + dt.timedelta(days=5)).isoformat(),
        "description": "",
        "token": str(uuid.uuid4()),
    }
    data.update(overrides)
    return data


# --- The Factures page ----------------------------------------------------------------------


def test_empty_property_shows_the_empty_state_inviting_to_create(
    manager_client: Client, prop: Property
) -> None:
    html = manager_client.get(list_url(prop)).content.decode()
    assert "Factures" in html
    assert 'id="invoices-empty"' in html
    assert "Créer votre première facture" in html
    assert ">Créer une facture</button>" in html
    for card in ("Total", "Ouvertes", "En retard", "Payées"):
        assert card in html


def test_filled_list_shows_rows_with_status_badges(
    manager_client: Client, prop: Property, draft: Invoice, today: dt.date
) -> None:
    open_invoice(prop, number=1, due_date=today - dt.timedelta(days=1), title="Frais en retard")
    html = manager_client.get(list_url(prop)).content.decode()
    assert draft.title in html
    assert "Brouillon" in html
    assert "En retard" in html
    assert 'id="invoices-empty"' not in html


def test_filters_matching_nothing_show_clear_filters(
    manager_client: Client, prop: Property, draft: Invoice
) -> None:
    html = manager_client.get(list_url(prop, "q=introuvable")).content.decode()
    assert 'id="invoices-no-match"' in html
    assert "Effacer les filtres" in html


def test_htmx_list_request_returns_only_cards_and_list(
    manager_client: Client, prop: Property, draft: Invoice
) -> None:
    response = manager_client.get(list_url(prop, "status=draft"), HTTP_HX_TARGET="invoice-results", **HTMX)
    html = response.content.decode()
    assert html.lstrip().startswith('<div id="invoice-results"')
    assert "<html" not in html
    assert draft.title in html


def test_create_dialog_has_the_seed_labels_in_order(
    manager_client: Client, prop: Property, unit: Unit
) -> None:
    html = manager_client.get(create_url(prop), **HTMX).content.decode()
    labels = [
        "Unité",
        "Titre",
        "Montant",
        "Date d&#x27;échéance",
        "Description",
        "Envoyer une notification par courriel au résident",
    ]
    positions = [html.index(f">{label}</label>") for label in labels]
    assert positions == sorted(positions)
    assert "Créer une facture</button>" in html
    assert "Fermer</button>" in html
    assert 'type="checkbox" name="notify_resident"' in html and "checked" not in html


def test_create_button_top_right_only_with_payments_and_role(
    prop: Property, manager_client: Client, admin_client_: Client
) -> None:
    assert ">Créer une facture</button>" in manager_client.get(list_url(prop)).content.decode()
    board = client_for(member(prop, Role.BOARD))
    html = board.get(list_url(prop)).content.decode()
    assert ">Créer une facture</button>" not in html
    assert "Votre rôle sur cette propriété vous permet de consulter les factures" in html


def test_payments_disabled_hides_the_button_and_tells_the_admin_where_to_enable_them(
    prop: Property, manager_client: Client, admin_client_: Client
) -> None:
    Property.objects.filter(pk=prop.pk).update(payments_enabled=False)
    admin_html = admin_client_.get(list_url(prop)).content.decode()
    assert ">Créer une facture</button>" not in admin_html
    assert "Les paiements ne sont pas activés pour cette propriété" in admin_html
    assert "Activez-les dans Paramètres > Paiements" in admin_html
    assert f'href="/p/{prop.pk}/settings/' in admin_html
    manager_html = manager_client.get(list_url(prop)).content.decode()
    assert ">Créer une facture</button>" not in manager_html
    assert "Demandez à un administrateur de les activer." in manager_html


def test_payments_disabled_refuses_creation_by_url(
    prop: Property, manager_client: Client, unit: Unit, today: dt.date
) -> None:
    Property.objects.filter(pk=prop.pk).update(payments_enabled=False)
    assert manager_client.get(create_url(prop)).status_code == 403
    assert manager_client.post(create_url(prop), form_data(unit, today)).status_code == 403
    assert Invoice.objects.count() == 0


def test_card_click_filters_the_list_and_marks_the_card_active(
    manager_client: Client, prop: Property, draft: Invoice, today: dt.date
) -> None:
    open_invoice(prop, number=1, title="En souffrance", due_date=today - dt.timedelta(days=3))
    html = manager_client.get(list_url(prop, "status=overdue")).content.decode()
    assert "En souffrance" in html
    assert draft.title not in html
    assert 'summary-card h-100 active" href="/p/' in html and 'id="card-overdue"' in html
    assert html.index(' active"') < html.index('id="card-overdue"')


def test_invalid_filter_values_never_fail(manager_client: Client, prop: Property, draft: Invoice) -> None:
    response = manager_client.get(list_url(prop, "status=nope&unit=abc&due_from=2026-13-45&sort=zzz&page=-4"))
    assert response.status_code == 200
    assert draft.title in response.content.decode()


def test_pagination_keeps_the_filters(manager_client: Client, prop: Property, unit: Unit) -> None:
    for i in range(30):
        InvoiceFactory(property=prop, unit=unit, title=f"Brouillon {i}")
    html = manager_client.get(list_url(prop, "status=draft&q=Brouillon")).content.decode()
    next_link = re.search(r'href="\?([^"]*)"[^>]*rel="next"', html)
    assert next_link is not None
    query = unescape(next_link.group(1))
    assert "after=" in query and "status=draft" in query and "q=Brouillon" in query
    second = manager_client.get(list_url(prop, query)).content.decode()
    assert second.count('<tr id="invoice-') == 5
    assert 'rel="next"' not in second and 'rel="prev"' in second and "Première page" in second


# --- The Créer une facture dialog ------------------------------------------------------------


def test_due_date_picker_disables_past_dates_in_the_property_zone(
    manager_client: Client, prop: Property, unit: Unit, today: dt.date
) -> None:
    html = manager_client.get(create_url(prop), **HTMX).content.decode()
    assert 'type="date" name="due_date"' in html
    assert f'min="{today.isoformat()}"' in html


def test_units_are_listed_in_natural_order_with_or_without_resident(
    manager_client: Client, prop: Property, unit: Unit, lonely_unit: Unit
) -> None:
    UnitFactory(property=prop, number="2")
    UnitFactory(property=prop, number="PH-1")
    html = manager_client.get(create_url(prop), **HTMX).content.decode()
    positions = [html.index(f">{n}</option>") for n in ("2", "101", "112", "PH-1")]
    assert positions == sorted(positions)


def test_unit_without_primary_resident_shows_the_seed_warning_at_once(
    manager_client: Client, prop: Property, lonely_unit: Unit, unit: Unit
) -> None:
    url = reverse("invoicing:unit_warning", args=[prop.pk])
    html = manager_client.get(url, {"unit": lonely_unit.pk}, **HTMX).content.decode()
    assert 'role="alert"' in html
    assert (
        "Cette unité n&#x27;a pas de résident principal assigné. La facture sera quand même créée, mais les "
        "notifications par courriel ne pourront pas être envoyées. "
        "Assignez d&#x27;abord un résident à l&#x27;unité si vous devez le notifier."
    ) in html
    assert manager_client.get(url, {"unit": unit.pk}, **HTMX).content.decode().strip() == ""


def test_unit_whose_primary_resident_has_no_email_shows_a_warning(
    manager_client: Client, prop: Property, unit: Unit
) -> None:
    unit.occupancies.get().resident.__class__.objects.update(email="")
    url = reverse("invoicing:unit_warning", args=[prop.pk])
    html = manager_client.get(url, {"unit": unit.pk}).content.decode()
    assert "n&#x27;a pas d&#x27;adresse courriel valide" in html


def test_unit_warning_in_english(prop: Property, lonely_unit: Unit) -> None:
    english = client_for(member(prop, Role.MANAGER, language="en"))
    html = english.get(
        reverse("invoicing:unit_warning", args=[prop.pk]), {"unit": lonely_unit.pk}
    ).content.decode()
    assert "This unit has no primary resident assigned." in html


def test_create_with_htmx_saves_a_draft_closes_the_dialog_and_confirms(
    manager_client: Client, prop: Property, unit: Unit, today: dt.date
) -> None:
    response = manager_client.post(create_url(prop), form_data(unit, today), **HTMX)
    assert response.status_code == 200
    trigger = json.loads(response["HX-Trigger"])
    assert trigger["closeDialog"] is True and "invoicesChanged" in trigger
    assert response["HX-Retarget"] == "#messages"
    assert "La facture a été créée." in response.content.decode()
    invoice = Invoice.objects.get()
    assert invoice.status == InvoiceStatus.DRAFT
    assert invoice.amount == Decimal("1234.50")
    assert invoice.notify_resident is False


def test_create_without_javascript_redirects_to_the_list_with_the_message(
    manager_client: Client, prop: Property, unit: Unit, today: dt.date
) -> None:
    response = manager_client.post(
        create_url(prop), form_data(unit, today, notify_resident="on"), follow=True
    )
    html = response.content.decode()
    assert "La facture a été créée." in html
    assert "Cotisation spéciale — Réparation du toit" in html and "Brouillon" in html
    assert Invoice.objects.get().notify_resident is True


def test_create_full_page_works_without_javascript(
    manager_client: Client, prop: Property, unit: Unit
) -> None:
    html = manager_client.get(create_url(prop)).content.decode()
    assert "<html" in html and 'name="token"' in html and ">Fermer</a>" in html


def test_double_submission_creates_one_invoice(
    manager_client: Client, prop: Property, unit: Unit, today: dt.date
) -> None:
    data = form_data(unit, today)
    manager_client.post(create_url(prop), data, **HTMX)
    second = manager_client.post(create_url(prop), data, **HTMX)
    assert second.status_code == 200
    assert Invoice.objects.count() == 1


def test_each_rendered_form_has_its_own_token(manager_client: Client, prop: Property, unit: Unit) -> None:
    a = manager_client.get(create_url(prop), **HTMX).content.decode()
    b = manager_client.get(create_url(prop), **HTMX).content.decode()
    token = 'name="token" value="'
    assert a.split(token)[1][:36] != b.split(token)[1][:36]


def test_submit_button_is_disabled_while_the_request_runs(
    manager_client: Client, prop: Property, unit: Unit
) -> None:
    html = manager_client.get(create_url(prop), **HTMX).content.decode()
    assert "hx-disabled-elt=\"find button[type='submit']\"" in html


def test_errors_show_beside_each_field_in_french_keeping_what_was_typed(
    manager_client: Client, prop: Property, unit: Unit, today: dt.date
) -> None:
    data = form_data(
        unit, today, title="", amount="12,345", due_date=(today - dt.timedelta(days=1)).isoformat()
    )
    response = manager_client.post(create_url(prop), data, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert Invoice.objects.count() == 0
    assert 'id="id_title_error"' in html and "Ce champ est obligatoire." in html
    assert 'aria-describedby="id_title_error"' in html and "is-invalid" in html
    assert "Entrez un montant en dollars" in html
    assert 'value="12,345"' in html  # what was typed stays
    assert "La date d&#x27;échéance doit être aujourd&#x27;hui ou une date ultérieure." in html


def test_errors_are_in_english_for_an_english_user(prop: Property, unit: Unit, today: dt.date) -> None:
    english = client_for(member(prop, Role.MANAGER, language="en"))
    data = form_data(unit, today, title="", amount="0")
    html = english.post(create_url(prop), data, **HTMX).content.decode()
    assert "This field is required." in html
    assert "The amount must be greater than $0." in html
    assert ">Create invoice</button>" in html and ">Close</button>" in html


def test_amount_with_three_decimals_is_refused_not_rounded(
    manager_client: Client, prop: Property, unit: Unit, today: dt.date
) -> None:
    html = manager_client.post(
        create_url(prop), form_data(unit, today, amount="10,005"), **HTMX
    ).content.decode()
    assert "id_amount_error" in html
    assert Invoice.objects.count() == 0


def test_script_in_title_is_shown_escaped(
    manager_client: Client, prop: Property, unit: Unit, today: dt.date
) -> None:
    manager_client.post(create_url(prop), form_data(unit, today, title="<script>alert(1)</script>"))
    invoice = Invoice.objects.get()
    for url in (list_url(prop), reverse("invoicing:detail", args=[prop.pk, invoice.pk])):
        html = manager_client.get(url).content.decode()
        assert "<script>alert(1)</script>" not in html
        assert "&lt;script&gt;alert(1)&lt;/script&gt;" in html


# --- Detail, publish, void, edit -------------------------------------------------------------


def detail_url(invoice: Invoice) -> str:
    return reverse("invoicing:detail", args=[invoice.property_id, invoice.pk])


def test_detail_shows_fields_amounts_history_and_draft_actions(
    manager_client: Client, draft: Invoice
) -> None:
    html = manager_client.get(detail_url(draft)).content.decode()
    for text in (
        draft.title,
        "250,00",
        "Brouillon",
        "Modifier",
        "Publier",
        "Annuler la facture",
        "Historique",
    ):
        assert text in html
    assert "Solde dû" in html


def test_publish_confirmation_says_to_whom_the_email_goes(manager_client: Client, draft: Invoice) -> None:
    Invoice.objects.filter(pk=draft.pk).update(notify_resident=True)
    html = manager_client.get(
        reverse("invoicing:publish", args=[draft.property_id, draft.pk]), **HTMX
    ).content.decode()
    assert "Un courriel sera envoyé à marie@example.com." in html


def test_publish_confirmation_says_why_no_email_can_be_sent(
    manager_client: Client, prop: Property, lonely_unit: Unit
) -> None:
    invoice = InvoiceFactory(property=prop, unit=lonely_unit, notify_resident=True)
    html = manager_client.get(reverse("invoicing:publish", args=[prop.pk, invoice.pk])).content.decode()
    assert "Aucun courriel ne sera envoyé" in html and "112" in html


def test_publishing_tells_the_number_and_the_email_queued(manager_client: Client, draft: Invoice) -> None:
    Invoice.objects.filter(pk=draft.pk).update(notify_resident=True)
    response = manager_client.post(
        reverse("invoicing:publish", args=[draft.property_id, draft.pk]), follow=True
    )
    html = response.content.decode()
    assert "La facture nº 1 a été publiée." in html
    assert "Courriel mis en file d&#x27;attente pour marie@example.com." in html
    assert "Ouverte" in html


def test_publishing_a_past_due_draft_shows_the_reason(
    manager_client: Client, draft: Invoice, today: dt.date
) -> None:
    Invoice.objects.filter(pk=draft.pk).update(due_date=today - dt.timedelta(days=1))
    html = manager_client.post(reverse("invoicing:publish", args=[draft.property_id, draft.pk]), follow=True)
    assert "La date d&#x27;échéance est passée" in html.content.decode()
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.DRAFT


def test_void_requires_a_reason_beside_the_field(manager_client: Client, draft: Invoice) -> None:
    url = reverse("invoicing:void", args=[draft.property_id, draft.pk])
    html = manager_client.post(url, {"reason": ""}, **HTMX).content.decode()
    assert "Motif" in html and "id_reason_error" in html
    assert "Confirmer l'annulation" in html
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.DRAFT


def test_void_with_a_reason_keeps_the_invoice_visible_as_void(
    manager_client: Client, draft: Invoice, prop: Property
) -> None:
    url = reverse("invoicing:void", args=[draft.property_id, draft.pk])
    response = manager_client.post(url, {"reason": "Erreur de montant"}, **HTMX)
    assert response.status_code == 204 and response["HX-Redirect"] == detail_url(draft)
    html = manager_client.get(list_url(prop)).content.decode()
    assert draft.title in html and "Annulée" in html


def test_edit_a_draft(manager_client: Client, draft: Invoice, unit: Unit, today: dt.date) -> None:
    url = reverse("invoicing:edit", args=[draft.property_id, draft.pk])
    assert 'value="250,00"' in manager_client.get(url).content.decode()
    data = form_data(unit, today, title="Titre corrigé", amount="260")
    response = manager_client.post(url, data, follow=True)
    assert "La facture a été enregistrée." in response.content.decode()
    draft.refresh_from_db()
    assert (draft.title, draft.amount) == ("Titre corrigé", Decimal("260.00"))


def test_edit_is_refused_once_published(manager_client: Client, manager: User, draft: Invoice) -> None:
    from logis.invoicing.services import publish_invoice

    publish_invoice(actor=manager, invoice_id=draft.pk)
    url = reverse("invoicing:edit", args=[draft.property_id, draft.pk])
    response = manager_client.get(url, follow=True)
    assert (
        "Seules les factures en brouillon sans paiement peuvent être modifiées." in response.content.decode()
    )
    html = manager_client.get(detail_url(draft)).content.decode()
    assert ">Modifier</a>" not in html


def test_bulk_publish_selected_drafts_with_a_summary(
    manager_client: Client, prop: Property, unit: Unit, lonely_unit: Unit
) -> None:
    a = InvoiceFactory(property=prop, unit=unit, notify_resident=True)
    b = InvoiceFactory(property=prop, unit=lonely_unit, notify_resident=True)
    response = manager_client.post(
        reverse("invoicing:bulk_publish", args=[prop.pk]), {"invoice": [a.pk, b.pk]}, follow=True
    )
    html = response.content.decode()
    assert "2 factures ont été publiées (nºs 1 à 2)." in html
    assert "1 courriel mis en file d&#x27;attente." in html
    assert "112" in html
    assert ">Publier la sélection</button>" in html


def test_bulk_publish_with_nothing_selected_says_so(manager_client: Client, prop: Property) -> None:
    response = manager_client.post(reverse("invoicing:bulk_publish", args=[prop.pk]), {}, follow=True)
    assert "Sélectionnez au moins une facture en brouillon à publier." in response.content.decode()


# --- Roles and properties --------------------------------------------------------------------

ENDPOINTS = {
    "list": ("GET", "invoicing:list", False),
    "detail": ("GET", "invoicing:detail", True),
    "create_form": ("GET", "invoicing:create", False),
    "create": ("POST", "invoicing:create", False),
    "edit": ("POST", "invoicing:edit", True),
    "publish": ("POST", "invoicing:publish", True),
    "void": ("POST", "invoicing:void", True),
    "bulk_publish": ("POST", "invoicing:bulk_publish", False),
}


@pytest.mark.parametrize("endpoint", list(ENDPOINTS))
def test_invoices_of_another_property_answer_404(
    prop: Property, unit: Unit, today: dt.date, endpoint: str
) -> None:
    other = PropertyFactory()
    outsider = member(other, Role.ADMIN)  # administrator elsewhere, nothing here
    invoice = InvoiceFactory(property=prop, unit=unit)
    method, name, per_invoice = ENDPOINTS[endpoint]
    url = reverse(name, args=[prop.pk, invoice.pk] if per_invoice else [prop.pk])
    client = client_for(outsider)
    response = client.get(url) if method == "GET" else client.post(url, form_data(unit, today))
    assert response.status_code == 404
    # and an invoice of this property through the other property's address: 404 too
    if per_invoice:
        url = reverse(name, args=[other.pk, invoice.pk])
        response = client.get(url) if method == "GET" else client.post(url, form_data(unit, today))
        assert response.status_code == 404


def test_anonymous_visitor_is_sent_to_login(prop: Property) -> None:
    response = Client().get(list_url(prop))
    assert response.status_code == 302 and "login" in response["Location"]


# --- Query counts ----------------------------------------------------------------------------


def count_queries(client: Client, url: str) -> int:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize(
    "query",
    [
        "",
        "status=open",
        "q=Facture&sort=-unit",
        "q=h%C3%A9l%C3%A8ne",
        "status=overdue&unit=1&due_from=2020-01-01",
    ],
)
def test_list_query_count_is_constant_whatever_the_row_count(
    manager_client: Client, prop: Property, unit: Unit, query: str
) -> None:
    def add(n: int, start: int) -> None:
        for i in range(n):
            u = UnitFactory(property=prop, number=f"Z{start + i}")
            if i % 2:
                InvoiceFactory(property=prop, unit=u)
            else:
                open_invoice(prop, number=start + i, unit=u)

    add(5, 1)
    few = count_queries(manager_client, list_url(prop, query))
    add(55, 100)
    many = count_queries(manager_client, list_url(prop, query))
    assert few == many
    assert many <= 9


def test_unfiltered_list_needs_no_separate_count_query(
    manager_client: Client, prop: Property, unit: Unit
) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    InvoiceFactory(property=prop, unit=unit)
    with CaptureQueriesContext(connection) as ctx:
        manager_client.get(list_url(prop, "status=draft"))
    counts = [q["sql"] for q in ctx.captured_queries if q["sql"].startswith("SELECT COUNT(*)")]
    assert counts == []


def test_detail_query_count_is_constant(
    manager_client: Client, manager: User, prop: Property, unit: Unit
) -> None:
    from logis.invoicing import services

    a = InvoiceFactory(property=prop, unit=unit, notify_resident=True)
    services.publish_invoice(actor=manager, invoice_id=a.pk)
    few = count_queries(manager_client, detail_url(a))
    b = InvoiceFactory(property=prop, unit=unit, notify_resident=True)
    for i in range(5):
        services.update_invoice(
            actor=manager,
            invoice_id=b.pk,
            unit_id=unit.pk,
            title=f"v{i}",
            amount=Decimal(10 + i),
            due_date=b.due_date,
        )
    services.publish_invoice(actor=manager, invoice_id=b.pk)
    many = count_queries(manager_client, detail_url(b))
    assert few == many


def test_factures_page_in_english(prop: Property, draft: Invoice) -> None:
    english = client_for(member(prop, Role.MANAGER, language="en"))
    html = english.get(list_url(prop)).content.decode()
    for text in (
        "Invoices",
        "Total",
        "Open",
        "Overdue",
        "Paid",
        ">Create invoice</button>",
        "Draft",
        "Publish selected",
    ):
        assert text in html
    assert "$250.00" in html


def test_amounts_are_formatted_for_the_users_locale(
    manager_client: Client, prop: Property, unit: Unit
) -> None:
    open_invoice(prop, number=1, unit=unit, amount=Decimal("1234.56"))
    html = manager_client.get(list_url(prop)).content.decode()
    assert "1\u00a0234,56\u00a0$" in html


def test_unit_numbers_are_escaped_in_the_unit_selects(
    manager_client: Client, prop: Property, draft: Invoice
) -> None:
    UnitFactory(property=prop, number='<b>"X"</b>')
    for html in (
        manager_client.get(create_url(prop), **HTMX).content.decode(),
        manager_client.get(list_url(prop)).content.decode(),
    ):
        assert "<b>" not in html
        assert "&lt;b&gt;&quot;X&quot;&lt;/b&gt;" in html


def test_chosen_unit_stays_selected_after_an_error(
    manager_client: Client, prop: Property, unit: Unit, today: dt.date
) -> None:
    html = manager_client.post(create_url(prop), form_data(unit, today, title=""), **HTMX).content.decode()
    assert f'<option value="{unit.pk}" selected>101</option>' in html


def test_detail_query_count_does_not_grow_with_payments(
    manager_client: Client, prop: Property, unit: Unit, today: dt.date
) -> None:
    from logis.payments.models import Payment
    from logis.properties.models import PaymentMethod

    def with_payments(n: int, number: int) -> Invoice:
        invoice = open_invoice(
            prop, number=number, unit=unit, amount=Decimal("100.00"), amount_paid=Decimal(n), due_date=today
        )
        for _ in range(n):
            Payment.objects.create(
                property=prop,
                unit=unit,
                invoice=invoice,
                amount=Decimal(1),
                paid_on=today,
                method=PaymentMethod.CASH,
            )
        return invoice

    one = count_queries(manager_client, detail_url(with_payments(1, 1)))
    many = count_queries(manager_client, detail_url(with_payments(6, 2)))
    assert one == many


def test_detail_offers_recording_a_payment_on_an_open_invoice(
    manager_client: Client, prop: Property, unit: Unit, today: dt.date
) -> None:
    invoice = open_invoice(prop, number=1, unit=unit, due_date=today)
    html = manager_client.get(detail_url(invoice)).content.decode()
    assert reverse("payments:record", args=[prop.pk, invoice.pk]) in html
    assert "Enregistrer un paiement" in html


def test_list_and_cards_refresh_when_an_invoice_is_created(manager_client: Client, prop: Property) -> None:
    html = manager_client.get(list_url(prop, "status=draft")).content.decode()
    assert 'hx-trigger="invoicesChanged from:body"' in html
    assert f'hx-get="{list_url(prop, "status=draft")}"' in html


def test_history_restore_gets_the_whole_page(manager_client: Client, prop: Property) -> None:
    response = manager_client.get(
        list_url(prop), HTTP_HX_TARGET="invoice-results", HTTP_HX_HISTORY_RESTORE_REQUEST="true", **HTMX
    )
    assert "<html" in response.content.decode()
    assert "HX-Request" in response["Vary"]


def test_publishing_a_void_invoice_by_address_is_refused_with_a_message(
    manager_client: Client, manager: User, draft: Invoice
) -> None:
    from logis.invoicing.services import void_invoice

    void_invoice(actor=manager, invoice_id=draft.pk, reason="Erreur")
    response = manager_client.post(
        reverse("invoicing:publish", args=[draft.property_id, draft.pk]), follow=True
    )
    assert "Seules les factures en brouillon peuvent être publiées." in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == InvoiceStatus.VOID and draft.number is None

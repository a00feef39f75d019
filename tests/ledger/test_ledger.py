"""The ledger's rules: one writer, balanced entries, nothing changed; every money event posts; the
backfill of existing data; the trial balance and journal pages and API."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import cast

import pytest
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.invoicing import services as invoicing
from logis.invoicing.models import Invoice, InvoiceLine, InvoiceStatus
from logis.ledger import posting
from logis.ledger.models import AccountKind, EntryKind, JournalEntry, JournalLine, LedgerImmutable
from logis.ledger.posting import Leg, UnbalancedEntry, account
from logis.ledger.selectors import fund_revenue, trial_balance, unbalanced_entries
from logis.payments.credits import apply_credit, refund_credit
from logis.payments.models import CreditKind, Payment, PaymentKind, PaymentStatus, UnitCredit
from logis.payments.services import record_payment, reverse_payment
from logis.properties.models import Property, Unit
from logis.reports.ledger_rebuild import backfill_property, ledger_mismatches
from tests.api.conftest import ApiClient, token_for
from tests.factories import InvoiceFactory, PropertyFactory, UnitFactory, member

D = Decimal


@pytest.fixture
def treasurer(prop: Property):  # type: ignore[no-untyped-def]
    return member(prop, Role.TREASURER, email="tresorier@example.com")


def published(prop: Property, actor, amount: str = "300.00", unit=None) -> Invoice:  # type: ignore[no-untyped-def]
    unit = unit or UnitFactory(property=prop)
    invoice = invoicing.create_invoice(
        actor=actor, property=prop, unit_id=unit.pk, title="Cotisation", amount=D(amount),
        due_date=today_in(prop.timezone) + dt.timedelta(days=10),
    )  # fmt: skip
    invoicing.publish_invoice(actor=actor, invoice_id=invoice.pk)
    invoice.refresh_from_db()
    return invoice


def lines_of(entry: JournalEntry) -> list[tuple[str, Decimal, Decimal]]:
    return [(line.account.kind, line.debit, line.credit) for line in entry.lines.order_by("id")]


def test_post_refuses_an_unbalanced_entry(prop: Property) -> None:
    bank = account(prop.pk, AccountKind.BANK)
    equity = account(prop.pk, AccountKind.OPENING_EQUITY)
    with pytest.raises(UnbalancedEntry):
        posting.post(
            property_id=prop.pk, date=dt.date(2026, 1, 1), kind=EntryKind.PAYMENT, source_type="test",
            source_id=None, legs=[Leg(bank, D("10.00")), Leg(equity, D("-9.99"))],
        )  # fmt: skip
    assert not JournalEntry.objects.exists()


def test_journal_rows_cannot_be_written_changed_or_deleted_outside_post(prop: Property) -> None:
    bank = account(prop.pk, AccountKind.BANK)
    equity = account(prop.pk, AccountKind.OPENING_EQUITY)
    entry = posting.post(
        property_id=prop.pk, date=dt.date(2026, 1, 1), kind=EntryKind.PAYMENT, source_type="test",
        source_id=None, legs=[Leg(bank, D("10.00")), Leg(equity, D("-10.00"))],
    )  # fmt: skip
    with pytest.raises(LedgerImmutable):
        JournalLine(entry=entry, account=bank, debit=D("1.00")).save()
    with pytest.raises(LedgerImmutable):
        JournalLine.objects.bulk_create([JournalLine(entry=entry, account=bank, debit=D("1.00"))])
    with pytest.raises(LedgerImmutable):
        JournalLine.objects.filter(entry=entry).update(debit=D("5.00"))
    with pytest.raises(LedgerImmutable):
        entry.delete()
    with pytest.raises(LedgerImmutable):
        entry.save()
    assert [(d, c) for _k, d, c in lines_of(entry)] == [(D("10.00"), D("0.00")), (D("0.00"), D("10.00"))]


def test_the_database_refuses_an_update_of_the_journal(prop: Property) -> None:
    bank = account(prop.pk, AccountKind.BANK)
    equity = account(prop.pk, AccountKind.OPENING_EQUITY)
    entry = posting.post(
        property_id=prop.pk, date=dt.date(2026, 1, 1), kind=EntryKind.PAYMENT, source_type="test",
        source_id=None, legs=[Leg(bank, D("10.00")), Leg(equity, D("-10.00"))],
    )  # fmt: skip
    with pytest.raises(Exception, match="never changed"), transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE ledger_journalline SET debit = 99 WHERE entry_id = %s AND debit > 0", [entry.pk])


@pytest.mark.postgres
def test_postgresql_refuses_an_unbalanced_entry_at_commit(prop: Property) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("the deferred constraint trigger is PostgreSQL's")
    bank = account(prop.pk, AccountKind.BANK)
    equity = account(prop.pk, AccountKind.OPENING_EQUITY)
    entry = posting.post(
        property_id=prop.pk, date=dt.date(2026, 1, 1), kind=EntryKind.PAYMENT, source_type="test",
        source_id=None, legs=[Leg(bank, D("10.00")), Leg(equity, D("-10.00"))],
    )  # fmt: skip
    with pytest.raises(Exception, match="does not balance"), transaction.atomic(), connection.cursor() as cur:
        cur.execute(
            "INSERT INTO ledger_journalline (entry_id, account_id, debit, credit) VALUES (%s, %s, 5, 0)",
            [entry.pk, bank.pk],
        )
        cur.execute("SET CONSTRAINTS ledger_line_balanced IMMEDIATE")


def test_publishing_posts_receivable_against_revenue_of_the_lines_fund(prop: Property, treasurer) -> None:  # type: ignore[no-untyped-def]
    invoice = published(prop, treasurer, "300.00")
    entry = JournalEntry.objects.get(kind=EntryKind.INVOICE_PUBLISHED, source_id=invoice.pk)
    line = InvoiceLine.objects.get(invoice=invoice)
    assert lines_of(entry) == [
        (AccountKind.REVENUE, D("0"), D("300.00")),
        (AccountKind.RECEIVABLE, D("300.00"), D("0")),
    ]
    revenue = entry.lines.get(account__kind=AccountKind.REVENUE)
    assert revenue.fund_id == line.category.fund_id and revenue.account.category_id == line.category_id
    assert entry.lines.get(account__kind=AccountKind.RECEIVABLE).unit_id == invoice.unit_id


def test_voiding_with_payments_reverses_publishing_and_moves_the_money_to_unit_credit(
    prop: Property, treasurer
) -> None:  # type: ignore[no-untyped-def]
    invoice = published(prop, treasurer, "300.00")
    record_payment(property=prop, invoice_id=invoice.pk, actor=treasurer, amount=D("120.00"),
                   paid_on=today_in(prop.timezone), method="cheque")  # fmt: skip
    invoicing.void_invoice(actor=treasurer, invoice_id=invoice.pk, reason="Erreur", property=prop)
    void = JournalEntry.objects.get(kind=EntryKind.INVOICE_VOIDED)
    assert void.reverses == JournalEntry.objects.get(kind=EntryKind.INVOICE_PUBLISHED)
    balance = {
        r.account.kind: (r.debit, r.credit)
        for r in trial_balance(property=prop, as_of=void.date).rows
        if r.debit or r.credit
    }
    assert balance == {
        AccountKind.BANK: (D("120.00"), D("0")),
        AccountKind.UNIT_CREDIT: (D("0"), D("120.00")),
    }
    assert ledger_mismatches(prop) == []


def test_credit_applied_then_refunded_and_a_reversal_post_their_entries(prop: Property, treasurer) -> None:  # type: ignore[no-untyped-def]
    unit = UnitFactory(property=prop)
    first = published(prop, treasurer, "100.00", unit)
    payment = record_payment(property=prop, invoice_id=first.pk, actor=treasurer, amount=D("60.00"),
                             paid_on=today_in(prop.timezone), method="cheque")  # fmt: skip
    invoicing.void_invoice(actor=treasurer, invoice_id=first.pk, reason="Erreur", property=prop)
    second = published(prop, treasurer, "50.00", unit)
    credit_payment = apply_credit(
        property=prop, unit_id=unit.pk, invoice_id=second.pk, amount=D("20.00"), actor=treasurer
    )
    reverse_payment(property=prop, payment_id=credit_payment.pk, actor=treasurer, reason="Erreur")
    refund_credit(
        property=prop, unit_id=unit.pk, amount=D("60.00"), method="cheque", reason="Départ", actor=treasurer
    )
    kinds = list(JournalEntry.objects.order_by("id").values_list("kind", flat=True))
    assert kinds == [
        EntryKind.INVOICE_PUBLISHED, EntryKind.PAYMENT, EntryKind.INVOICE_VOIDED, EntryKind.INVOICE_PUBLISHED,
        EntryKind.CREDIT_APPLIED, EntryKind.PAYMENT_REVERSED, EntryKind.CREDIT_REFUNDED,
    ]  # fmt: skip
    assert payment.pk and ledger_mismatches(prop) == [] and unbalanced_entries(property=prop) == []
    rows = {
        r.account.kind: (r.debit, r.credit)
        for r in trial_balance(property=prop, as_of=today_in(prop.timezone)).rows
    }
    assert (
        rows[AccountKind.BANK] == (D("0"), D("0"))
        or AccountKind.BANK not in rows
        or rows[AccountKind.BANK] == (D("0.00"), D("0.00"))
    )
    assert rows[AccountKind.RECEIVABLE] == (D("50.00"), D("0"))


def test_backfill_posts_existing_records_so_the_ledger_agrees_with_them(db: None) -> None:
    """Data made before the ledger (here by factories, which post nothing) gets its entries."""
    prop = cast(Property, PropertyFactory())
    unit = cast(Unit, UnitFactory(property=prop))
    from logis.finances.models import ChargeCategory
    from logis.finances.selectors import ensure_finance_defaults

    ensure_finance_defaults(prop)
    category = ChargeCategory.objects.get(property=prop, is_default=True)
    now = dt.datetime(2026, 3, 1, 15, tzinfo=dt.UTC)
    paid = cast(Invoice, InvoiceFactory(property=prop, unit=unit, amount=D("200.00"), amount_paid=D("200.00"),
                          status=InvoiceStatus.PAID, number=1, published_at=now))  # fmt: skip
    part = cast(Invoice, InvoiceFactory(property=prop, unit=unit, amount=D("80.00"), amount_paid=D("30.00"),
                          status=InvoiceStatus.OPEN, number=2, published_at=now))  # fmt: skip
    for invoice in (paid, part):
        InvoiceLine.objects.filter(invoice=invoice).delete()
        InvoiceLine.objects.create(
            invoice=invoice, position=1, description="x", category=category, amount=invoice.amount
        )
    common = {
        "property": prop,
        "unit": unit,
        "status": PaymentStatus.SUCCEEDED,
        "paid_on": dt.date(2026, 3, 2),
    }
    Payment.objects.create(
        invoice=paid, kind=PaymentKind.PAYMENT, amount=D("200.00"), method="cheque", **common
    )
    online = Payment.objects.create(
        invoice=part, kind=PaymentKind.PAYMENT, amount=D("45.00"), method="card", **common
    )
    UnitCredit.objects.create(
        property=prop, unit=unit, kind=CreditKind.OVERPAYMENT, amount=D("15.00"), payment=online, invoice=part
    )
    assert ledger_mismatches(prop) != []
    assert backfill_property(prop) == 4
    assert ledger_mismatches(prop) == []
    assert backfill_property(prop) == 0, "a property with a journal is left alone"
    balance = trial_balance(property=prop, as_of=dt.date(2026, 3, 2))
    assert balance.total_debit == balance.total_credit == D("295.00")  # bank 200 + Stripe 45 + owed 50


def test_trial_balance_page_for_the_treasurer(prop: Property, treasurer) -> None:  # type: ignore[no-untyped-def]
    invoice = published(prop, treasurer, "300.00")
    record_payment(property=prop, invoice_id=invoice.pk, actor=treasurer, amount=D("100.00"),
                   paid_on=today_in(prop.timezone), method="cheque")  # fmt: skip
    client = Client()
    client.force_login(treasurer)
    url = reverse("reports:trial_balance", args=[prop.pk])
    page = client.get(url).content.decode()
    assert "Balance de vérification" in page and "1100" in page and "1010" in page
    assert page.count("300,00") >= 2  # the two totals
    assert "Revenus par fonds" in page and "Fonds d&#x27;exploitation" in page
    funds = fund_revenue(property=prop, as_of=today_in(prop.timezone))
    assert [(f.name, f.revenue) for f in funds] == [("Fonds d'exploitation", D("300.00"))]
    invoicing.void_invoice(
        actor=treasurer, invoice_id=published(prop, treasurer, "50.00").pk, reason="x", property=prop
    )
    assert fund_revenue(property=prop, as_of=today_in(prop.timezone))[0].revenue == D("300.00"), (
        "net of voids"
    )
    bad = client.get(url, {"as_of": "2026-02-31"})
    assert bad.status_code == 400 and "2026-02-31" in bad.content.decode()
    earlier = client.get(url, {"as_of": "2000-01-01"}).content.decode()
    assert "Aucune écriture" in earlier
    journal = client.get(reverse("reports:journal", args=[prop.pk])).content.decode()
    assert "Facture publiée" in journal and "Paiement reçu" in journal


def test_ledger_pages_answer_404_to_someone_without_a_role(prop: Property) -> None:
    stranger = member(PropertyFactory())
    client = Client()
    client.force_login(stranger)
    assert client.get(reverse("reports:trial_balance", args=[prop.pk])).status_code == 404
    assert client.get(reverse("reports:journal", args=[prop.pk])).status_code == 404


def test_api_trial_balance_and_entries(prop: Property, treasurer) -> None:  # type: ignore[no-untyped-def]
    invoice = published(prop, treasurer, "300.00")
    record_payment(property=prop, invoice_id=invoice.pk, actor=treasurer, amount=D("100.00"),
                   paid_on=today_in(prop.timezone), method="cheque")  # fmt: skip
    api = ApiClient(token_for(treasurer), "en")
    body = api.get(f"/properties/{prop.pk}/ledger/trial-balance").json()
    assert body["total_debit"] == body["total_credit"] == "300.00"
    assert {(r["account"]["code"], r["debit"], r["credit"]) for r in body["rows"]} >= {
        ("1010", "100.00", "0.00"), ("1100", "200.00", "0.00"),
    }  # fmt: skip
    before = api.get(f"/properties/{prop.pk}/ledger/trial-balance", {"as_of": "2001-01-01"}).json()
    assert before["rows"] == [] and before["total_debit"] == "0.00"
    assert api.get(f"/properties/{prop.pk}/ledger/trial-balance", {"as_of": "soon"}).status_code == 422
    entries = api.get(f"/properties/{prop.pk}/ledger/entries", {"limit": 1}).json()
    assert entries["count"] == 2 and len(entries["items"]) == 1
    newest = entries["items"][0]
    assert newest["kind"] == "payment" and newest["source_type"] == "payment"
    assert {(x["account"], x["debit"], x["credit"]) for x in newest["lines"]} == {
        ("1010", "100.00", "0.00"), ("1100", "0.00", "100.00"),
    }  # fmt: skip
    other = ApiClient(token_for(member(PropertyFactory(), Role.TREASURER)))
    assert other.get(f"/properties/{prop.pk}/ledger/entries").status_code == 404


def test_api_journal_entries_page_by_offset_and_by_cursor_without_gaps_or_repeats(  # type: ignore[no-untyped-def]
    prop: Property, treasurer
) -> None:
    """Issue 11: `.../ledger/entries` is paged; walking it by offset or by cursor gives every entry once,
    newest first, and each entry balances."""
    for amount in ("100.00", "200.00", "300.00"):
        invoice = published(prop, treasurer, amount)
        record_payment(property=prop, invoice_id=invoice.pk, actor=treasurer, amount=D("50.00"),
                       paid_on=today_in(prop.timezone), method="cheque")  # fmt: skip
    api = ApiClient(token_for(treasurer), "en")
    url = f"/properties/{prop.pk}/ledger/entries"
    first = api.get(url, {"limit": 4}).json()
    assert first["count"] == 6 and len(first["items"]) == 4 and first["next_cursor"]
    second = api.get(url, {"limit": 4, "offset": 4}).json()
    assert len(second["items"]) == 2 and second["next_cursor"] is None
    by_offset = [e["id"] for e in first["items"] + second["items"]]
    assert len(set(by_offset)) == 6
    assert [e["date"] for e in first["items"] + second["items"]] == sorted(
        (e["date"] for e in first["items"] + second["items"]), reverse=True
    )
    after = api.get(url, {"limit": 4, "cursor": first["next_cursor"]}).json()
    assert [e["id"] for e in after["items"]] == [e["id"] for e in second["items"]]
    for entry in first["items"] + second["items"]:
        assert sum(D(x["debit"]) for x in entry["lines"]) == sum(D(x["credit"]) for x in entry["lines"]) > 0
    assert api.get(url, {"limit": 0}).status_code == 422

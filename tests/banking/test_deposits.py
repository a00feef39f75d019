"""Bank deposits matched to invoices: each bank's real export format, accents, duplicates, amounts that
match two invoices. Never a double payment, never a 500."""

from __future__ import annotations

import contextlib
import datetime as dt
from decimal import Decimal

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logis.banking import parsing, selectors, services
from logis.banking.models import BankCsvMapping, BankLine, BankStatement
from logis.core.errors import PermissionDenied, ValidationError
from logis.core.models import AuditEvent
from logis.core.permissions import Role
from logis.invoicing.models import InvoiceStatus
from logis.payments.models import Payment
from tests.banking.scenario import BANK_FILES, Syndicate, read, syndicate
from tests.factories import member

pytestmark = pytest.mark.django_db


def upload(s: Syndicate, name: str, bank: str | None = None) -> BankStatement:
    return services.import_statement(
        property=s.prop,
        actor=s.manager,
        name=name,
        data=read(name),
        bank=BANK_FILES.get(name, "") if bank is None else bank,
    )


def by_amount(statement: BankStatement) -> dict[str, list[selectors.Proposal]]:
    lines = list(selectors.statement_lines(statement))
    found: dict[str, list[selectors.Proposal]] = {}
    for proposal in selectors.propose(statement.property, lines):
        found.setdefault(str(proposal.line.amount), []).append(proposal)
    return found


@pytest.mark.parametrize("name", list(BANK_FILES))
def test_each_banks_export_gives_its_deposits_with_accents(name: str) -> None:
    s = syndicate()
    statement = upload(s, name)
    lines = list(BankLine.objects.filter(statement=statement))
    # Seven deposits; the withdrawal to Hydro-Québec is not a deposit.
    assert statement.lines_read == 8
    assert [str(line.amount) for line in lines] == [
        "300.00",
        "300.00",
        "450.00",
        "125.50",
        "50.00",
        "50.00",
        "999.99",
    ]
    assert lines[0].posted_on == dt.date(2026, 11, 2)
    assert "MARIE DUBÉ" in f"{lines[0].name} {lines[0].description}"
    assert not any("HYDRO" in line.description for line in lines)


@pytest.mark.parametrize("name", list(BANK_FILES))
def test_proposals_say_why_and_amounts_matching_two_invoices_are_ambiguous(name: str) -> None:
    s = syndicate()
    found = by_amount(upload(s, name))
    sender, counter = found["300.00"]
    # 300.00 from MARIE DUBÉ: the balance of #1 and #3, but only #1 is her unit's.
    assert sender.status == "proposed"
    assert sender.proposed is not None and sender.proposed.invoice == s.invoices[1]
    assert set(sender.proposed.reasons) == {selectors.AMOUNT, selectors.SENDER}
    assert any("Marie Dubé" in label for label in sender.proposed.labels)
    # 300.00 over the counter: #1 or #3, the manager chooses.
    assert counter.status == "ambiguous"
    assert {c.invoice for c in counter.best} == {s.invoices[1], s.invoices[3]}
    # Jean Tremblay's e-Transfer: #2 (his unit has #4 too, but only #2's balance is 450.00).
    assert found["450.00"][0].proposed is not None
    assert found["450.00"][0].proposed.invoice == s.invoices[2]
    # « facture 4 » in the memo.
    cheque = found["125.50"][0]
    assert cheque.proposed is not None and cheque.proposed.invoice == s.invoices[4]
    assert selectors.INVOICE_NUMBER in cheque.proposed.reasons
    # The two equal e-Transfers of the same day are two deposits, both proposed for unit 205 by email.
    assert [p.proposed.invoice if p.proposed else None for p in found["50.00"]] == [s.invoices[3]] * 2
    # No invoice can take 999.99: unmatched, and still listed with its amount.
    assert found["999.99"][0].status == "unmatched"
    assert selectors.unmatched_total(s.prop) == Decimal("2275.49")


@pytest.mark.parametrize("name", list(BANK_FILES))
def test_the_same_file_twice_records_nothing_twice(name: str) -> None:
    s = syndicate()
    first = upload(s, name)
    second = upload(s, name)
    assert (first.deposits_new, first.deposits_known) == (7, 0)
    assert (second.deposits_new, second.deposits_known) == (0, 7)
    assert BankLine.objects.filter(property=s.prop).count() == 7


def test_an_overlapping_qfx_adds_only_what_is_new_and_its_confirmed_lines_stay_paid_once() -> None:
    s = syndicate()
    overlap = upload(s, "desjardins-overlap.qfx")
    assert overlap.deposits_new == 4
    line = BankLine.objects.get(statement=overlap, amount=Decimal("450.00"))
    services.confirm_matches(property=s.prop, actor=s.manager, pairs=[(line.pk, s.invoices[2].pk)])
    full = upload(s, "desjardins.ofx")
    assert (full.deposits_new, full.deposits_known) == (3, 4)
    assert Payment.objects.filter(invoice=s.invoices[2]).count() == 1


def test_confirming_records_one_payment_each_with_the_bank_line_as_reference() -> None:
    s = syndicate()
    statement = upload(s, "desjardins.ofx")
    found = by_amount(statement)
    pairs = [(found["300.00"][0].line.pk, s.invoices[1].pk), (found["125.50"][0].line.pk, s.invoices[4].pk)]
    result = services.confirm_matches(property=s.prop, actor=s.manager, pairs=pairs)
    assert len(result.recorded) == 2 and not result.errors
    payment = Payment.objects.get(invoice=s.invoices[1])
    assert payment.amount == Decimal("300.00")
    assert payment.paid_on == dt.date(2026, 11, 2)
    assert payment.method == "interac"
    assert "20261101" in payment.reference  # the FITID
    s.invoices[1].refresh_from_db()
    assert s.invoices[1].status == InvoiceStatus.PAID
    assert Payment.objects.get(invoice=s.invoices[4]).method == "cheque"
    assert AuditEvent.objects.filter(verb="bank_line.matched").count() == 2
    assert AuditEvent.objects.filter(verb="bank_statement.imported").count() == 1


def test_confirming_twice_or_the_same_line_twice_never_pays_twice() -> None:
    s = syndicate()
    found = by_amount(upload(s, "td.csv"))
    line = found["50.00"][0].line
    pairs = [(line.pk, s.invoices[3].pk), (line.pk, s.invoices[3].pk)]
    first = services.confirm_matches(property=s.prop, actor=s.manager, pairs=pairs)
    again = services.confirm_matches(property=s.prop, actor=s.manager, pairs=pairs)
    assert len(first.recorded) == 1 and len(again.already) == 1 and not again.recorded
    assert Payment.objects.filter(invoice=s.invoices[3]).count() == 1
    s.invoices[3].refresh_from_db()
    assert s.invoices[3].amount_paid == Decimal("50.00")


def test_both_300_deposits_on_one_invoice_pay_it_once_and_say_why_the_second_is_refused() -> None:
    s = syndicate()
    found = by_amount(upload(s, "rbc.csv"))
    a, b = (p.line.pk for p in found["300.00"])
    result = services.confirm_matches(
        property=s.prop, actor=s.manager, pairs=[(a, s.invoices[1].pk), (b, s.invoices[1].pk)]
    )
    assert len(result.recorded) == 1
    assert b in result.errors
    assert Payment.objects.filter(invoice=s.invoices[1]).count() == 1
    assert BankLine.objects.get(pk=b).payment is None  # stays visible, unmatched


def test_a_deposit_of_another_property_or_statement_is_not_found() -> None:
    s = syndicate()
    other = syndicate("Ailleurs")
    found = by_amount(upload(other, "td.csv"))
    line = found["450.00"][0].line
    result = services.confirm_matches(property=s.prop, actor=s.manager, pairs=[(line.pk, s.invoices[2].pk)])
    assert line.pk in result.errors and not result.recorded
    assert not Payment.objects.exists()


def test_a_board_member_may_not_import_nor_confirm() -> None:
    s = syndicate()
    board = member(s.prop, Role.BOARD)
    with pytest.raises(PermissionDenied):
        services.import_statement(property=s.prop, actor=board, name="td.csv", data=read("td.csv"), bank="td")
    with pytest.raises(PermissionDenied):
        services.confirm_matches(property=s.prop, actor=board, pairs=[])


def test_a_mapping_typed_for_a_bank_is_remembered_for_that_bank() -> None:
    s = syndicate()
    # A TD file exported with a header line and the deposit in a signed amount column.
    data = "Date,Description,Amount\n2026-11-02,Virement Interac MARIE DUBÉ,300.00\n".encode()
    mapping = parsing.ColumnMapping(date=1, description=2, amount=3, date_format="ymd", header_rows=1)
    services.import_statement(
        property=s.prop, actor=s.manager, name="x.csv", data=data, bank="td", mapping=mapping
    )
    assert BankCsvMapping.objects.get(property=s.prop, bank="td").amount_column == 3
    assert services.mapping_for(s.prop, "td") == mapping
    again = b"Date,Description,Amount\n2026-11-03,Autre,20.00\n"
    statement = services.import_statement(
        property=s.prop, actor=s.manager, name="y.csv", data=again, bank="td"
    )
    assert statement.deposits_new == 1


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "vide"),
        (b"\x00\x01\x02garbage", ""),
        (b"OFXHEADER:100\nDATA:OFXSGML\n<OFX><BROKEN", "OFX"),
        (b"11/02/2026,Depot,,abc,1\n", "montant"),
        (b"11/02/2026,Depot,,10.00,1\n2026-13-45,Depot,,10.00,1\n", "date"),
    ],
)
def test_a_bad_file_is_refused_with_a_message_for_the_file_field(data: bytes, message: str) -> None:
    s = syndicate()
    from django.utils import translation

    with translation.override("fr"), pytest.raises(ValidationError) as caught:
        services.import_statement(property=s.prop, actor=s.manager, name="f.csv", data=data, bank="td")
    assert caught.value.errors["file"][0]
    if message:
        assert message in str(caught.value.errors["file"][0])
    assert not BankStatement.objects.exists()


@settings(max_examples=40, deadline=None, derandomize=True, suppress_health_check=list(HealthCheck))
@given(st.binary(max_size=400), st.sampled_from(["", "desjardins", "bnc", "rbc", "td"]))
def test_any_bytes_are_read_or_refused_never_an_error(data: bytes, bank: str) -> None:
    mapping = parsing.PRESETS[bank].mapping if bank else None
    with contextlib.suppress(parsing.StatementError):
        parsing.parse_statement(name="f.csv", data=data, mapping=mapping)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("1 234,56", "1234.56"),
        ("1,234.56", "1234.56"),
        ("-12.00", "-12.00"),
        ("(12.00)", "-12.00"),
        ("12.00-", "-12.00"),
        ("300", "300.00"),
        ("5\u00a0300,00 $", "5300.00"),
    ],
)
def test_bank_amounts_in_french_and_english_notation(text: str, value: str) -> None:
    assert parsing.parse_bank_amount(text) == Decimal(value)


# --- Pages -----------------------------------------------------------------------------------------


def _client(s: Syndicate, language: str = "fr") -> Client:
    client = Client(HTTP_ACCEPT_LANGUAGE=language)
    client.force_login(s.manager)
    return client


def test_upload_review_confirm_through_the_pages() -> None:
    s = syndicate()
    client = _client(s)
    home = f"/p/{s.prop.pk}/bank/"
    assert client.get(home).status_code == 200
    with (FILES_DIR / "banque-nationale.csv").open("rb") as f:
        response = client.post(home, {"file": f, "bank": "bnc"})
    assert response.status_code == 302
    statement = BankStatement.objects.get()
    page = client.get(response["Location"])
    assert page.status_code == 200
    body = page.content.decode()
    assert "Ambigu" in body and "Marie Dubé" in body
    lines = {str(line.amount): line for line in BankLine.objects.filter(statement=statement)}
    review = client.post(
        response["Location"],
        {"line": [lines["450.00"].pk], f"invoice-{lines['450.00'].pk}": s.invoices[2].pk},
    )
    assert review.status_code == 200 and "Enregistrer 1 paiement" in review.content.decode()
    assert not Payment.objects.exists()  # nothing before the confirmation
    done = client.post(
        f"/p/{s.prop.pk}/bank/statements/{statement.pk}/confirm/",
        {"pair": [f"{lines['450.00'].pk}:{s.invoices[2].pk}"]},
    )
    assert done.status_code == 302
    assert Payment.objects.get().invoice == s.invoices[2]


def test_a_checked_deposit_without_an_invoice_is_refused_beside_it() -> None:
    s = syndicate()
    client = _client(s, "en")
    statement = upload(s, "td.csv")
    counter = by_amount(statement)["300.00"][1].line
    response = client.post(f"/p/{s.prop.pk}/bank/statements/{statement.pk}/", {"line": [counter.pk]})
    assert response.status_code == 400
    assert "Choisissez la facture que ce dépôt paie." in response.content.decode()


def test_a_bad_file_through_the_page_is_a_message_beside_the_field() -> None:
    s = syndicate()
    client = _client(s, "en")
    from django.core.files.uploadedfile import SimpleUploadedFile

    response = client.post(
        f"/p/{s.prop.pk}/bank/", {"file": SimpleUploadedFile("x.csv", b"nope,nope\n"), "bank": "td"}
    )
    assert response.status_code == 400
    assert "aucune opération" in response.content.decode()


FILES_DIR = __import__("tests.banking.scenario", fromlist=["FILES"]).FILES

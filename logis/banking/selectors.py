"""Reads: a statement's deposits with the invoices each may pay, and why; deposit batches.

Proposals are computed when read, never stored, so they follow the invoices' balances as payments land.
A deposit's candidates are the property's open invoices whose balance is at least its amount (a payment
is never more than the balance due). Each candidate gets reasons:
- its balance due equals the amount;
- its number is written in the memo (« facture 12 », « #12 », « inv 12 »);
- its unit's number is written in the memo (« unité 101 », « app. 101 », « condo 101 », « #101 »);
- the Interac e-Transfer sender (the memo) names one of the unit's residents, or gives their email,
  whatever the accents or case.
The invoices with the most reasons are proposed: one alone is the proposal; two or more are ambiguous and
the manager chooses."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import F, QuerySet
from django.utils.translation import gettext as _

from logis.banking.models import BankLine, BankStatement, DepositBatch
from logis.core.money import format_amount
from logis.core.search import fold
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.properties.models import Occupancy, Property

AMOUNT = "amount"
INVOICE_NUMBER = "invoice_number"
UNIT_NUMBER = "unit_number"
SENDER = "sender"

_INVOICE_NUMBER = re.compile(r"(?:facture|fact|invoice|inv|fac)\s*(?:no|n°|nº|#|:|-)?\s*(\d{1,9})\b")
_HASH_NUMBER = re.compile(r"#\s*([a-z0-9][a-z0-9-]{0,19})\b")
_UNIT_NUMBER = re.compile(
    r"\b(?:unite|unit|app|appt|apt|appartement|condo|suite|logement|porte|u)\s*(?:no|n°|#|:|-|\.)?\s*"
    r"([a-z0-9][a-z0-9-]{0,19})\b"
)
_EMAIL = re.compile(r"[a-z0-9._%+-]+@[a-z0-9.-]+\.[a-z]{2,}")


@dataclass
class Candidate:
    invoice: Invoice
    reasons: list[str] = field(default_factory=list)
    labels: list[str] = field(default_factory=list)

    @property
    def score(self) -> int:
        # An amount equal to the balance says less than a number written by the payer.
        weights = {AMOUNT: 2, INVOICE_NUMBER: 3, UNIT_NUMBER: 2, SENDER: 2}
        return sum(weights[r] for r in self.reasons)


@dataclass
class Proposal:
    line: BankLine
    candidates: list[Candidate]  # best first
    best: list[Candidate]  # the candidates with the top score

    @property
    def status(self) -> str:
        if self.line.payment_id:
            return "matched"
        if not self.best:
            return "unmatched"
        return "proposed" if len(self.best) == 1 else "ambiguous"

    @property
    def proposed(self) -> Candidate | None:
        return self.best[0] if len(self.best) == 1 else None

    @property
    def other_invoices(self) -> list[Invoice]:
        return [c.invoice for c in self.candidates]


def open_invoices(property: Property) -> list[Invoice]:
    """The invoices a deposit may pay, oldest due first, each with its ``balance_due``."""
    invoices = list(
        Invoice.objects.filter(property=property, status=InvoiceStatus.OPEN, amount_paid__lt=F("amount"))
        .select_related("unit")
        .order_by("due_date", "number", "id")
    )
    for invoice in invoices:
        invoice.balance_due = invoice.amount - invoice.amount_paid  # type: ignore[attr-defined]
    return invoices


def _residents_by_unit(property: Property) -> dict[int, list[tuple[str, str, str]]]:
    """Per unit: (folded name, email, name) of each resident linked to it."""
    found: dict[int, list[tuple[str, str, str]]] = defaultdict(list)
    for occ in Occupancy.objects.filter(unit__property=property).select_related("resident"):
        found[occ.unit_id].append(
            (fold(occ.resident.name).strip(), (occ.resident.email or "").lower(), occ.resident.name)
        )
    return found


def _names_in(memo: str, folded_name: str) -> bool:
    if len(folded_name) < 3:
        return False
    words = folded_name.split()
    if re.search(r"\b" + re.escape(folded_name) + r"\b", memo):
        return True
    # « DUBE, MARIE » or « MARIE DUBE » in the bank's memo, whichever order.
    return len(words) >= 2 and all(re.search(r"\b" + re.escape(w) + r"\b", memo) for w in words)


def propose(property: Property, lines: list[BankLine]) -> list[Proposal]:
    """The candidate invoices of each line, with their reasons; three queries whatever the lines."""
    invoices = open_invoices(property)
    residents = _residents_by_unit(property)
    by_number = {str(inv.number): inv for inv in invoices if inv.number is not None}
    units: dict[str, list[Invoice]] = defaultdict(list)
    by_unit_id: dict[int, list[Invoice]] = defaultdict(list)
    for inv in invoices:
        units[fold(inv.unit.number)].append(inv)
        by_unit_id[inv.unit_id].append(inv)
    proposals = []
    for line in lines:
        if line.payment_id:
            proposals.append(Proposal(line=line, candidates=[], best=[]))
            continue
        memo = fold(f"{line.name} {line.description} {line.reference}")
        found: dict[int, Candidate] = {}

        def add(
            invoice: Invoice,
            reason: str,
            label: str,
            *,
            found: dict[int, Candidate] = found,
            line: BankLine = line,
        ) -> None:
            if invoice.amount - invoice.amount_paid < line.amount:
                return  # a payment is never more than the balance due
            candidate = found.setdefault(invoice.pk, Candidate(invoice=invoice))
            if reason not in candidate.reasons:
                candidate.reasons.append(reason)
                candidate.labels.append(label)

        for inv in invoices:
            if inv.amount - inv.amount_paid == line.amount:
                add(inv, AMOUNT, _("Balance due equals the amount"))
        for number in _INVOICE_NUMBER.findall(memo):
            numbered = by_number.get(number.lstrip("0") or "0")
            if numbered is not None:
                inv = numbered
                add(inv, INVOICE_NUMBER, _("Invoice number %(number)s in the memo") % {"number": inv.number})
        for unit_number in {*_UNIT_NUMBER.findall(memo), *_HASH_NUMBER.findall(memo)}:
            for inv in units.get(unit_number, []):
                add(inv, UNIT_NUMBER, _("Unit %(unit)s in the memo") % {"unit": inv.unit.number})
        emails = set(_EMAIL.findall(memo.lower()))
        for unit_id, people in residents.items():
            for folded_name, email, name in people:
                if (email and email in emails) or _names_in(memo, folded_name):
                    for inv in by_unit_id.get(unit_id, []):
                        add(
                            inv,
                            SENDER,
                            _("Sender is %(name)s, resident of unit %(unit)s")
                            % {"name": name, "unit": inv.unit.number},
                        )
        candidates = sorted(found.values(), key=lambda c: (-c.score, c.invoice.due_date, c.invoice.pk))
        top = candidates[0].score if candidates else 0
        best = [c for c in candidates if c.score == top]
        proposals.append(Proposal(line=line, candidates=candidates, best=best))
    return proposals


def statement_lines(statement: BankStatement) -> QuerySet[BankLine]:
    return BankLine.objects.filter(statement=statement).select_related(
        "payment", "payment__invoice", "payment__unit"
    )


def unmatched_lines(property: Property) -> QuerySet[BankLine]:
    """Deposits of every statement not yet confirmed as a payment: they stay visible until they are."""
    return BankLine.objects.filter(property=property, payment__isnull=True).order_by("posted_on", "id")


def unmatched_total(property: Property) -> Decimal:
    return sum((line.amount for line in unmatched_lines(property)), Decimal("0.00"))


def statements(property: Property) -> QuerySet[BankStatement]:
    return BankStatement.objects.filter(property=property)


def deposit_batches(property: Property) -> QuerySet[DepositBatch]:
    return DepositBatch.objects.filter(property=property).prefetch_related("items__payment")


def candidate_label(invoice: Invoice) -> str:
    return _("Unit %(unit)s · invoice %(number)s · %(title)s · balance %(balance)s") % {
        "unit": invoice.unit.number,
        "number": invoice.number,
        "title": invoice.title,
        "balance": format_amount(invoice.amount - invoice.amount_paid),
    }

"""Writing the ledger: ``post`` is the one function that writes journal entries, and ``event`` gathers
the lines of one money event from the services that take part in it (decision 0029).

How a service posts (inside its own transaction, after its checks):

    with ledger.event(property_id=..., date=..., kind=EntryKind.PAYMENT, source=("payment", None)) as ev:
        payment = Payment.objects.create(...)
        ev.source_id = payment.pk
        ledger.money(ev, method=payment.method, amount=payment.amount)   # Dr bank
        settle(invoice, amount)                                          # Cr receivable of the unit

``settle`` (the receivable of the unit) and every ``UnitCredit`` written (the unit's credit) add their
own line to the event open at that moment, and refuse to run when none is: money cannot move on an
invoice or a unit's credit without its entry. When the block ends without an error, ``post`` writes the
entry, refusing it unless debits equal credits. A pending payment (status PENDING) settles nothing and
posts nothing until it succeeds.
"""

from __future__ import annotations

import contextvars
import datetime as dt
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from decimal import Decimal
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction

from logis.ledger.models import (
    DEFAULT_CODES,
    POSTING,
    Account,
    AccountKind,
    EntryKind,
    JournalEntry,
    JournalLine,
)
from logis.properties.models import ONLINE_METHODS

if TYPE_CHECKING:
    from logis.invoicing.models import Invoice

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


class UnbalancedEntry(ValueError):
    """An entry whose debits and credits differ (a bug in a posting rule, never a person's mistake)."""


class NoLedgerEvent(RuntimeError):
    """Money moved on an invoice or a unit's credit with no ledger event open: a path forgot its entry."""


@dataclass(frozen=True)
class Leg:
    """One line to post: ``amount`` > 0 is a debit, < 0 a credit."""

    account: Account
    amount: Decimal
    unit_id: int | None = None
    fund_id: int | None = None


def account(property_id: int, kind: str, *, category_id: int | None = None) -> Account:
    """The property's account of ``kind`` (a revenue account: of the category), opened when first needed."""
    if kind == AccountKind.REVENUE:
        if category_id is None:
            raise ValueError("A revenue account belongs to a charge category.")
        lookup: dict[str, object] = {"property_id": property_id, "category_id": category_id}
        defaults = {"kind": kind, "code": f"4{category_id:03d}"}
    else:
        lookup = {"property_id": property_id, "kind": kind}
        defaults = {"code": DEFAULT_CODES[AccountKind(kind)]}
    current_batch = _BATCH.get()
    cache_key = (property_id, kind, category_id)
    if current_batch is not None and cache_key in current_batch.accounts:
        return current_batch.accounts[cache_key]
    found = Account.objects.filter(**lookup).first()
    if found is None:
        # The treasurer may have given another account the default code (Rapports > Plan comptable):
        # the new account then takes the first free code after it rather than failing the money event.
        defaults["code"] = free_code(property_id, str(defaults["code"]))
        try:
            with transaction.atomic():  # a savepoint: two first entries at once open it once
                found = Account.objects.create(**lookup, **defaults)  # type: ignore[arg-type]
        except IntegrityError:
            found = Account.objects.filter(**lookup).first()
            if found is None:  # its code was taken meanwhile: the next free one
                defaults["code"] = free_code(property_id, str(defaults["code"]))
                found = Account.objects.create(**lookup, **defaults)  # type: ignore[arg-type]
    if current_batch is not None:
        current_batch.accounts[cache_key] = found
    return found


def free_code(property_id: int, wanted: str) -> str:
    """``wanted`` if no account of the property has it, else ``wanted-2``, ``wanted-3``… (one query)."""
    taken = set(
        Account.objects.filter(property_id=property_id, code__startswith=wanted).values_list(
            "code", flat=True
        )
    )
    if wanted not in taken:
        return wanted
    suffix = 2
    while f"{wanted}-{suffix}" in taken:
        suffix += 1
    return f"{wanted}-{suffix}"


@dataclass
class Batch:
    """Entries posted inside ``batch()``: accounts looked up once, rows written together at its end."""

    accounts: dict[tuple[int, str, int | None], Account] = field(default_factory=dict)
    entries: list[tuple[JournalEntry, list[JournalLine]]] = field(default_factory=list)


_BATCH: contextvars.ContextVar[Batch | None] = contextvars.ContextVar("ledger_batch", default=None)


@contextmanager
def batch() -> Iterator[Batch]:
    """Post many entries at once (publishing a hundred invoices): each is checked as ``post`` always
    checks it, and all are written with two INSERTs when the block ends without error, in the caller's
    transaction. Nothing inside the block may read the entries it posted."""
    if _BATCH.get() is not None:
        yield _BATCH.get()  # type: ignore[misc]
        return
    pending = Batch()
    token = _BATCH.set(pending)
    try:
        yield pending
    finally:
        _BATCH.reset(token)
    _write(pending.entries)


def _write(entries: list[tuple[JournalEntry, list[JournalLine]]]) -> None:
    if not entries:
        return
    token = POSTING.set(True)
    try:
        with transaction.atomic(savepoint=False):
            JournalEntry.objects.bulk_create([entry for entry, _lines in entries])
            for entry, lines in entries:
                for line in lines:
                    line.entry = entry
            JournalLine.objects.bulk_create([line for _entry, lines in entries for line in lines])
    finally:
        POSTING.reset(token)


def post(
    *,
    property_id: int,
    date: dt.date,
    kind: str,
    legs: Iterable[Leg],
    source_type: str,
    source_id: int | None,
    memo: str = "",
    reverses: JournalEntry | None = None,
) -> JournalEntry:
    """Write one journal entry and its lines, refusing it unless its debits equal its credits.

    The only writer of the journal: lines on one account, unit and fund are added up, zero lines dropped.
    """
    merged: dict[tuple[int, int | None, int | None], Decimal] = {}
    accounts: dict[int, Account] = {}
    for leg in legs:
        if leg.account.property_id != property_id:
            raise UnbalancedEntry(f"Account {leg.account.pk} belongs to another property.")
        key = (leg.account.pk, leg.unit_id, leg.fund_id)
        accounts[leg.account.pk] = leg.account
        merged[key] = merged.get(key, ZERO) + leg.amount.quantize(CENT)
    lines = [(k, v) for k, v in merged.items() if v != 0]
    debits = sum((v for _k, v in lines if v > 0), ZERO)
    credits = -sum((v for _k, v in lines if v < 0), ZERO)
    if debits != credits:
        raise UnbalancedEntry(f"{kind} {source_type} {source_id}: debits {debits} ≠ credits {credits}")
    if debits == 0:
        raise UnbalancedEntry(f"{kind} {source_type} {source_id}: an entry moves some money.")
    entry = JournalEntry(
        property_id=property_id,
        date=date,
        kind=kind,
        memo=memo[:200],
        source_type=source_type,
        source_id=source_id,
        reverses=reverses,
    )
    rows = [
        JournalLine(
            account=accounts[account_id],
            unit_id=unit_id,
            fund_id=fund_id,
            debit=value if value > 0 else ZERO,
            credit=-value if value < 0 else ZERO,
        )
        for (account_id, unit_id, fund_id), value in lines
    ]
    current_batch = _BATCH.get()
    if current_batch is not None:
        current_batch.entries.append((entry, rows))
        return entry  # saved when the batch ends
    _write([(entry, rows)])
    return entry


# --- Events: the lines of one money event, gathered from the services taking part ---------------------


@dataclass
class Event:
    property_id: int
    date: dt.date
    kind: str
    source_type: str
    source_id: int | None
    memo: str = ""
    reverses: JournalEntry | None = None
    legs: list[Leg] = field(default_factory=list)

    def add(
        self,
        kind: str,
        amount: Decimal,
        *,
        unit_id: int | None = None,
        fund_id: int | None = None,
        category_id: int | None = None,
    ) -> None:
        """A debit (``amount`` > 0) or credit (< 0) on the property's account of ``kind``."""
        if amount:
            self.legs.append(
                Leg(account(self.property_id, kind, category_id=category_id), amount, unit_id, fund_id)
            )


_EVENTS: contextvars.ContextVar[tuple[Event, ...]] = contextvars.ContextVar("ledger_events", default=())


@contextmanager
def event(
    *,
    property_id: int,
    date: dt.date,
    kind: str,
    source: tuple[str, int | None],
    memo: str = "",
    reverses: JournalEntry | None = None,
) -> Iterator[Event]:
    """Gather the lines of one money event; posts them as one entry when the block ends without error.

    Runs inside the caller's transaction (the entry commits or rolls back with the event). An event
    with no line (nothing moved) posts nothing."""
    ev = Event(property_id, date, kind, source[0], source[1], memo, reverses)
    token = _EVENTS.set((*_EVENTS.get(), ev))
    try:
        yield ev
    finally:
        _EVENTS.reset(token)
    if ev.legs:
        post(
            property_id=ev.property_id,
            date=ev.date,
            kind=ev.kind,
            legs=ev.legs,
            source_type=ev.source_type,
            source_id=ev.source_id,
            memo=ev.memo,
            reverses=ev.reverses,
        )


def current(what: str) -> Event:
    """The innermost open event; ``what`` names the move, for the error when there is none."""
    events = _EVENTS.get()
    if not events:
        raise NoLedgerEvent(
            f"{what} with no ledger event open: wrap the service in logis.ledger.posting.event."
        )
    return events[-1]


def receivable_moved(*, unit_id: int, received: Decimal) -> None:
    """What an invoice of the unit received moved by ``received`` (``settle``): Cr (or Dr) its receivable."""
    if received:
        current("An invoice was settled").add(AccountKind.RECEIVABLE, -received, unit_id=unit_id)


def credit_moved(*, unit_id: int, amount: Decimal) -> None:
    """The unit's credit moved by ``amount`` (a ``UnitCredit`` entry): Cr (or Dr) its unit credit."""
    if amount:
        current("A unit credit entry was written").add(AccountKind.UNIT_CREDIT, -amount, unit_id=unit_id)


def money_account(method: str) -> str:
    """Where money received by ``method`` lands: Stripe's clearing account online, else the bank."""
    return AccountKind.STRIPE_CLEARING if method in ONLINE_METHODS else AccountKind.BANK


def money(ev: Event, *, method: str, amount: Decimal) -> None:
    """Money came in (``amount`` > 0: Dr bank or Stripe clearing) or went out (< 0: Cr)."""
    ev.add(money_account(method), amount)


# --- Invoices -------------------------------------------------------------------------------------------


def invoice_legs(ev: Event, invoice: Invoice) -> None:
    """Publishing: Dr the unit's receivable the invoice's amount; Cr each line's revenue (the account of
    its category, tagged with its fund — an opening balance: opening balance equity) and the taxes."""
    from logis.finances.models import CategoryCode  # finances is below the ledger

    total = ZERO
    prefetched = getattr(invoice, "_prefetched_objects_cache", {}).get("lines")
    lines = prefetched if prefetched is not None else invoice.lines.select_related("category")
    for line in lines:
        category = line.category
        if category.code == CategoryCode.OPENING_BALANCE:
            ev.add(AccountKind.OPENING_EQUITY, -line.amount, fund_id=category.fund_id)
        else:
            ev.add(AccountKind.REVENUE, -line.amount, fund_id=category.fund_id, category_id=category.pk)
        ev.add(AccountKind.GST_PAYABLE, -line.gst_amount)
        ev.add(AccountKind.QST_PAYABLE, -line.qst_amount)
        total += line.amount + line.gst_amount + line.qst_amount
    if total != invoice.amount:
        raise UnbalancedEntry(f"Invoice {invoice.pk}: lines {total} ≠ amount {invoice.amount}.")
    ev.add(AccountKind.RECEIVABLE, invoice.amount, unit_id=invoice.unit_id)


def post_invoice_published(invoice: Invoice, *, date: dt.date) -> None:
    """The entry of a published invoice (in the publishing transaction)."""
    with event(
        property_id=invoice.property_id,
        date=date,
        kind=EntryKind.INVOICE_PUBLISHED,
        source=("invoice", invoice.pk),
        memo=f"#{invoice.number} {invoice.title}",
    ) as ev:
        invoice_legs(ev, invoice)


@contextmanager
def invoice_voided(invoice: Invoice, *, date: dt.date) -> Iterator[Event]:
    """The event of a void: the publishing entry reversed; the payments it had become the unit's
    credit (Dr receivable here; the credit entry written in the block adds Cr unit credit)."""
    published = (
        JournalEntry.objects.filter(
            source_type="invoice", source_id=invoice.pk, kind=EntryKind.INVOICE_PUBLISHED
        )
        .order_by("id")
        .first()
    )
    with event(
        property_id=invoice.property_id,
        date=date,
        kind=EntryKind.INVOICE_VOIDED,
        source=("invoice", invoice.pk),
        memo=f"#{invoice.number} {invoice.title}" if invoice.number else invoice.title,
        reverses=published,
    ) as ev:
        if published is not None:  # a draft was never in the ledger
            for line in published.lines.select_related("account"):
                ev.legs.append(Leg(line.account, line.credit - line.debit, line.unit_id, line.fund_id))
        ev.add(AccountKind.RECEIVABLE, invoice.amount_paid, unit_id=invoice.unit_id)
        yield ev


def entry_of(source_type: str, source_id: int) -> JournalEntry | None:
    """The first entry posted for a source (what a reversing entry names in ``reverses``)."""
    return JournalEntry.objects.filter(source_type=source_type, source_id=source_id).order_by("id").first()

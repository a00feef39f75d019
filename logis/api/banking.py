"""API v1 operations of bank deposits: upload a statement (answers its deposits and the proposed
invoices), confirm which deposits pay which invoices. Thin, over the banking services and selectors."""

from __future__ import annotations

import datetime as dt
from enum import StrEnum
from typing import Any

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import File, Path, Query, Router, Schema, Status, UploadedFile
from pydantic import Field

from logis.api.auth import property_for
from logis.api.common import WRITE_ERRORS, PropertyId
from logis.api.schemas import StrictSchema
from logis.api.types import MAX_ID, BodyId, MoneyOut
from logis.banking import parsing, selectors, services
from logis.banking.models import BankStatement
from logis.core.errors import NotFound, ValidationError
from logis.core.permissions import Action

router = Router()

StatementId = Path(..., ge=1, le=MAX_ID, description="A bank statement's id.")
MAX_MATCHES = 500


class BankCode(StrEnum):
    desjardins = "desjardins"
    bnc = "bnc"
    rbc = "rbc"
    td = "td"
    other = "other"


class CandidateOut(Schema):
    invoice: int = Field(description="The invoice's id.")
    number: int | None = Field(description="The invoice's number.")
    unit: str = Field(description="The unit's number.")
    balance_due: MoneyOut
    reasons: list[str] = Field(
        description="Why it is proposed: amount (the balance due equals the deposit), invoice_number or "
        "unit_number (written in the memo), sender (the Interac sender is one of the unit's residents)."
    )
    labels: list[str] = Field(description="The reasons in words, in the request's language.")
    best: bool = Field(description="Among the candidates with the most reasons.")


class DepositOut(Schema):
    id: int = Field(description="The bank line's id (to confirm it).")
    date: dt.date
    amount: MoneyOut
    description: str
    reference: str
    status: str = Field(
        description="matched (already a payment), proposed (one invoice), ambiguous (several: choose), "
        "unmatched (none found)."
    )
    payment: int | None = Field(description="The payment it became, once matched.")
    candidates: list[CandidateOut]


class StatementOut(Schema):
    id: int = Field(description="The statement's id.")
    file_name: str
    format: str = Field(description="ofx or csv.")
    lines_read: int
    deposits_new: int = Field(description="Deposits this property had not seen: kept for matching.")
    deposits_known: int = Field(description="Deposits already imported from another file: not added twice.")
    deposits: list[DepositOut] = Field(description="This statement's deposits and their proposed invoices.")


class MatchIn(StrictSchema):
    line: BodyId = Field(description="A deposit (bank line) of this statement.")
    invoice: BodyId = Field(description="The open invoice of this property it pays.")


class ConfirmIn(StrictSchema):
    matches: list[MatchIn] = Field(min_length=1, max_length=MAX_MATCHES)


class ConfirmedOut(Schema):
    line: int
    payment: int
    invoice: int


class LineErrorOut(Schema):
    line: int
    message: str


class ConfirmOut(Schema):
    recorded: list[ConfirmedOut] = Field(description="Deposits recorded now, one payment each.")
    already: list[ConfirmedOut] = Field(description="Deposits recorded before: nothing was recorded twice.")
    errors: list[LineErrorOut] = Field(description="Deposits refused (invoice paid meanwhile...), why.")


def _statement_body(access: Any, statement: BankStatement) -> dict[str, Any]:
    lines = list(selectors.statement_lines(statement))
    deposits = []
    for proposal in selectors.propose(access.property, lines):
        line = proposal.line
        best = {c.invoice.pk for c in proposal.best}
        deposits.append(
            {
                "id": line.pk,
                "date": line.posted_on,
                "amount": line.amount,
                "description": line.description,
                "reference": line.reference,
                "status": proposal.status,
                "payment": line.payment_id,
                "candidates": [
                    {
                        "invoice": c.invoice.pk,
                        "number": c.invoice.number,
                        "unit": c.invoice.unit.number,
                        "balance_due": c.invoice.amount - c.invoice.amount_paid,
                        "reasons": c.reasons,
                        "labels": c.labels,
                        "best": c.invoice.pk in best,
                    }
                    for c in proposal.candidates
                ],
            }
        )
    return {
        "id": statement.pk,
        "file_name": statement.file_name,
        "format": statement.format,
        "lines_read": statement.lines_read,
        "deposits_new": statement.deposits_new,
        "deposits_known": statement.deposits_known,
        "deposits": deposits,
    }


@router.post(
    "/properties/{int:property_id}/bank-statements",
    response={201: StatementOut, **WRITE_ERRORS},
    summary="Upload a bank statement",
    description=(
        "An OFX/QFX file (any bank), or a CSV export of Desjardins, Banque Nationale, RBC or TD (``bank``; "
        "the columns remembered for that bank on this property, else its usual export). At most 5 MB. "
        "Only deposits are kept; a deposit this property already has (same FITID, or same date, amount "
        "and memo in a CSV) is not added twice. Answers the statement's deposits with the invoices each "
        "may pay and why; nothing is paid until confirmed. A file that cannot be read answers 422."
    ),
    tags=["bank deposits"],
)
def upload_statement(
    request: HttpRequest,
    file: File[UploadedFile],
    property_id: int = PropertyId,
    bank: BankCode | None = Query(None, description="The bank of a CSV file (not needed for OFX/QFX)."),  # type: ignore[type-arg]  # noqa: B008
) -> Status[dict[str, Any]]:
    access = property_for(request, property_id, Action.RECORD_PAYMENT)
    if file.size is not None and file.size > parsing.MAX_BYTES:
        raise ValidationError({"file": _("The file is larger than 5 MB: export a shorter period.")})
    statement = services.import_statement(
        property=access.property,
        actor=access.user,
        name=file.name or "statement",
        data=file.read(parsing.MAX_BYTES + 1),
        bank=bank.value if bank else "",
    )
    return Status(201, _statement_body(access, statement))


@router.post(
    "/properties/{int:property_id}/bank-statements/{int:statement_id}/confirm",
    response={200: ConfirmOut, **WRITE_ERRORS},
    summary="Confirm deposits as payments",
    description=(
        "Each (deposit, invoice) becomes one payment of the deposit's amount on that open invoice, dated "
        "the deposit's date, with the bank line as its reference; the resident's receipt is queued. "
        "A deposit already confirmed records nothing again (listed in ``already``); a deposit refused "
        "(more than the balance due, invoice no longer open) is listed in ``errors`` with why, and does not "
        "hold back the others."
    ),
    tags=["bank deposits"],
)
def confirm_statement(
    request: HttpRequest, payload: ConfirmIn, property_id: int = PropertyId, statement_id: int = StatementId
) -> dict[str, Any]:
    access = property_for(request, property_id, Action.RECORD_PAYMENT)
    if not BankStatement.objects.filter(property=access.property, pk=statement_id).exists():
        raise NotFound()
    result = services.confirm_matches(
        property=access.property,
        actor=access.user,
        pairs=[(m.line, m.invoice) for m in payload.matches],
        statement_id=statement_id,
    )

    def done(lines: list[Any]) -> list[dict[str, int]]:
        return [
            {"line": line.pk, "payment": line.payment_id, "invoice": line.payment.invoice_id}
            for line in lines
        ]

    return {
        "recorded": done(result.recorded),
        "already": done(result.already),
        "errors": [{"line": pk, "message": message} for pk, message in result.errors.items()],
    }

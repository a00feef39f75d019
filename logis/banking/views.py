"""Paiements > Dépôts bancaires: upload a statement, review the proposed matches, confirm many at once;
record a deposit of cheques and print its slip. Thin views over the services and selectors."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, pgettext
from django.views.decorators.http import require_http_methods, require_POST

from logis.accounts.models import User
from logis.banking import selectors, services
from logis.banking.forms import ChequeRowForm, DepositBatchForm, StatementUploadForm
from logis.banking.models import BankLine, BankStatement, DepositBatch, DepositItem
from logis.banking.parsing import DATE_FORMAT_LABELS, PRESETS
from logis.core.dates import today_in
from logis.core.errors import NotFound, PermissionDenied, ValidationError
from logis.core.money import format_amount
from logis.core.permissions import Action
from logis.core.tabular import Cell, Column, Kind, Table, requested_format, table_response
from logis.documents.pdf_deposit_slip import DepositSlip, SlipRow, render_deposit_slip_pdf
from logis.documents.responses import pdf_response
from logis.invoicing.models import Invoice
from logis.properties.access import PropertyRequest, property_view
from logis.properties.models import PaymentMethod, Unit

UNMATCHED_SHOWN = 200
BATCH_ROWS = 5


def _actor(request: PropertyRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _may_record(request: PropertyRequest) -> None:
    if Action.RECORD_PAYMENT not in request.allowed:
        raise PermissionDenied(_("Your role on this property does not allow this action."))


def _home_context(request: PropertyRequest, form: StatementUploadForm) -> dict[str, Any]:
    prop = request.property
    unmatched = list(selectors.unmatched_lines(prop).select_related("statement")[:UNMATCHED_SHOWN])
    mappings = {m.bank: m for m in services.BankCsvMapping.objects.filter(property=prop)}
    return {
        "form": form,
        "unmatched": unmatched,
        "unmatched_count": selectors.unmatched_lines(prop).count(),
        "unmatched_total": selectors.unmatched_total(prop),
        "statements": list(selectors.statements(prop)[:20]),
        "batches": list(selectors.deposit_batches(prop)[:20]),
        "presets": [{"preset": preset, "remembered": key in mappings} for key, preset in PRESETS.items()],
        "date_formats": DATE_FORMAT_LABELS,
        "may_record": Action.RECORD_PAYMENT in request.allowed,
    }


@property_view(Action.VIEW_PROPERTY)
@require_http_methods(["GET", "POST"])
def home(request: PropertyRequest) -> HttpResponse:
    form = StatementUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST":
        _may_record(request)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            bank = form.cleaned_data.get("bank") or ""
            try:
                statement = services.import_statement(
                    property=request.property,
                    actor=_actor(request),
                    name=upload.name,
                    data=upload.read(),
                    bank=bank,
                    mapping=form.mapping(services.mapping_for(request.property, bank) if bank else None),
                )
            except ValidationError as exc:
                for field, errors in exc.errors.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, str(error))
            else:
                messages.success(request, _statement_summary(statement))
                return redirect("banking:statement", request.property.pk, statement.pk)
        return render(request, "banking/home.html", _home_context(request, form), status=400)
    return render(request, "banking/home.html", _home_context(request, form))


def _statement_summary(statement: BankStatement) -> str:
    text = ngettext(
        "%(count)d new deposit read from %(file)s.",
        "%(count)d new deposits read from %(file)s.",
        statement.deposits_new,
    ) % {"count": statement.deposits_new, "file": statement.file_name}
    if statement.deposits_known:
        text += " " + ngettext(
            "%(count)d deposit was already imported: it is not added twice.",
            "%(count)d deposits were already imported: they are not added twice.",
            statement.deposits_known,
        ) % {"count": statement.deposits_known}
    return text


def _statement(request: PropertyRequest, statement_id: int) -> BankStatement:
    statement = BankStatement.objects.filter(property=request.property, pk=statement_id).first()
    if statement is None:
        raise NotFound(_("This bank statement does not exist."))
    return statement


@dataclass
class Row:
    proposal: selectors.Proposal
    others: list[Invoice]
    checked: bool
    selected: int | None
    error: str = ""

    @property
    def line(self) -> BankLine:
        return self.proposal.line


def _rows(request: PropertyRequest, statement: BankStatement, posted: Any = None) -> list[Row]:
    lines = list(selectors.statement_lines(statement))
    proposals = selectors.propose(request.property, lines)
    open_invoices = selectors.open_invoices(request.property)
    rows = []
    checked_ids = set(posted.getlist("line")) if posted is not None else set()
    for proposal in proposals:
        line = proposal.line
        candidate_ids = {c.invoice.pk for c in proposal.candidates}
        others = [
            inv
            for inv in open_invoices
            if inv.pk not in candidate_ids and inv.amount - inv.amount_paid >= line.amount
        ]
        if posted is None:
            best = proposal.proposed
            rows.append(
                Row(proposal, others, checked=best is not None, selected=best.invoice.pk if best else None)
            )
        else:
            try:
                selected: int | None = int(posted.get(f"invoice-{line.pk}") or 0) or None
            except (TypeError, ValueError):
                selected = None
            rows.append(Row(proposal, others, checked=str(line.pk) in checked_ids, selected=selected))
    return rows


def _review(
    request: PropertyRequest, statement: BankStatement, rows: list[Row], status: int = 200
) -> HttpResponse:
    context = {
        "statement": statement,
        "rows": rows,
        "open_rows": [r for r in rows if not r.line.payment_id],
        "matched_rows": [r for r in rows if r.line.payment_id],
        "may_record": Action.RECORD_PAYMENT in request.allowed,
        "unmatched_total": sum((r.line.amount for r in rows if not r.line.payment_id), Decimal("0.00")),
    }
    return render(request, "banking/statement.html", context, status=status)


@property_view(Action.VIEW_PROPERTY)
@require_http_methods(["GET", "POST"])
def statement(request: PropertyRequest, statement_id: int) -> HttpResponse:
    """GET: the deposits and their proposed invoices. POST: the checked ones, to confirm."""
    stmt = _statement(request, statement_id)
    if request.method == "GET":
        return _review(request, stmt, _rows(request, stmt))
    _may_record(request)
    rows = _rows(request, stmt, request.POST)
    chosen = [r for r in rows if r.checked and not r.line.payment_id]
    valid_ids = {inv.pk for inv in selectors.open_invoices(request.property)}
    for row in chosen:
        if row.selected is None:
            row.error = _("Choose the invoice this deposit pays.")
        elif row.selected not in valid_ids:
            row.error = _("This invoice cannot receive this payment any more: choose another.")
    if not chosen:
        messages.error(request, _("Check at least one deposit to confirm."))
        return _review(request, stmt, rows, status=400)
    if any(r.error for r in chosen):
        return _review(request, stmt, rows, status=400)
    invoices = {
        inv.pk: inv
        for inv in Invoice.objects.filter(
            property=request.property, pk__in=[r.selected for r in chosen]
        ).select_related("unit")
    }
    pairs = [(r.line, invoices[r.selected]) for r in chosen if r.selected in invoices]
    total = sum((line.amount for line, _inv in pairs), Decimal("0.00"))
    return render(request, "banking/confirm.html", {"statement": stmt, "pairs": pairs, "total": total})


@require_POST
@property_view(Action.RECORD_PAYMENT)
def confirm(request: PropertyRequest, statement_id: int) -> HttpResponse:
    stmt = _statement(request, statement_id)
    pairs: list[tuple[int, int]] = []
    for value in request.POST.getlist("pair")[:1000]:
        line, _sep, invoice = str(value).partition(":")
        if line.isdigit() and invoice.isdigit() and len(line) < 12 and len(invoice) < 12:
            pairs.append((int(line), int(invoice)))
    if not pairs:
        messages.error(request, _("Check at least one deposit to confirm."))
        return redirect("banking:statement", request.property.pk, stmt.pk)
    result = services.confirm_matches(
        property=request.property, actor=_actor(request), pairs=pairs, statement_id=stmt.pk
    )
    if result.recorded:
        messages.success(
            request,
            ngettext(
                "%(count)d payment recorded from the bank deposits; each resident's receipt is queued.",
                "%(count)d payments recorded from the bank deposits; each resident's receipt is queued.",
                len(result.recorded),
            )
            % {"count": len(result.recorded)},
        )
    if result.already:
        messages.info(
            request,
            ngettext(
                "%(count)d deposit was already recorded: nothing was recorded twice.",
                "%(count)d deposits were already recorded: nothing was recorded twice.",
                len(result.already),
            )
            % {"count": len(result.already)},
        )
    for error in result.errors.values():
        messages.error(request, error)
    return redirect("banking:statement", request.property.pk, stmt.pk)


# --- Deposit batches -----------------------------------------------------------------------------------


def _units(request: PropertyRequest) -> list[tuple[int, str]]:
    return list(
        Unit.objects.filter(property=request.property).order_by("sort_key").values_list("pk", "number")
    )


@property_view(Action.RECORD_PAYMENT)
@require_http_methods(["GET", "POST"])
def batch_new(request: PropertyRequest) -> HttpResponse:
    units = _units(request)
    today = today_in(request.property.timezone)
    if request.method == "GET":
        form = DepositBatchForm(initial={"deposited_on": today, "rows": BATCH_ROWS})
        row_forms = [ChequeRowForm(prefix=f"rows-{i}", units=units) for i in range(BATCH_ROWS)]
        return render(request, "banking/batch_new.html", {"form": form, "row_forms": row_forms})
    form = DepositBatchForm(request.POST)
    form.is_valid()
    count = form.cleaned_data.get("rows") or BATCH_ROWS
    if "add_row" in request.POST:
        count = min(count + 1, services.MAX_BATCH_ROWS)
    row_forms = [ChequeRowForm(request.POST, prefix=f"rows-{i}", units=units) for i in range(count)]
    rows_valid = all(f.is_valid() for f in row_forms)
    context: dict[str, Any] = {"form": form, "row_forms": row_forms, "row_count": count}
    if "add_row" in request.POST:
        # Adding a row is not sending: what was typed comes back, with no error shown yet.
        form = DepositBatchForm(initial={**request.POST.dict(), "rows": count})
        form.initial["token"] = request.POST.get("token") or str(uuid.uuid4())
        row_forms = [
            ChequeRowForm(initial=_row_initial(request.POST, i), prefix=f"rows-{i}", units=units)
            for i in range(count)
        ]
        return render(request, "banking/batch_new.html", {"form": form, "row_forms": row_forms})
    if form.is_valid() and rows_valid:
        rows = [
            services.ChequeRow(
                unit_id=f.cleaned_data.get("unit"),
                cheque_number=f.cleaned_data.get("cheque_number") or "",
                amount=f.cleaned_data.get("amount"),
                method=f.cleaned_data.get("method") or PaymentMethod.CHEQUE,
            )
            for f in row_forms
        ]
        try:
            batch = services.record_deposit_batch(
                property=request.property,
                actor=_actor(request),
                deposited_on=form.cleaned_data["deposited_on"],
                rows=rows,
                request_token=form.cleaned_data["token"],
                note=form.cleaned_data.get("note") or "",
            )
        except ValidationError as exc:
            for key, errors in exc.errors.items():
                if key.startswith("rows-"):
                    _prefix, index, field = key.split("-", 2)
                    if int(index) < len(row_forms):
                        row_forms[int(index)].add_error(field, [str(e) for e in errors])
                elif key in form.fields:
                    form.add_error(key, [str(e) for e in errors])
                else:
                    form.add_error(None, [str(e) for e in errors])
        else:
            messages.success(
                request,
                ngettext(
                    "Deposit %(number)d recorded: %(count)d cheque, one receipt each.",
                    "Deposit %(number)d recorded: %(count)d cheques, one receipt each.",
                    batch.items.count(),
                )
                % {"number": batch.number, "count": batch.items.count()},
            )
            return redirect("banking:batch", request.property.pk, batch.pk)
    form.initial["token"] = request.POST.get("token")
    return render(request, "banking/batch_new.html", context, status=400)


def _row_initial(data: Any, index: int) -> dict[str, Any]:
    prefix = f"rows-{index}-"
    return {name: data.get(prefix + name, "") for name in ("unit", "method", "cheque_number", "amount")}


def _batch(request: PropertyRequest, batch_id: int) -> DepositBatch:
    batch = (
        selectors.deposit_batches(request.property)
        .prefetch_related(
            "items__payment__unit", "items__payment__invoice", "items__remittance__payments__invoice"
        )
        .filter(pk=batch_id)
        .first()
    )
    if batch is None:
        raise NotFound(_("This deposit does not exist."))
    return batch


def _batch_context(request: PropertyRequest, batch: DepositBatch) -> dict[str, Any]:
    items = list(batch.items.all())
    cash = [item for item in items if item.payment.method == PaymentMethod.CASH]
    return {
        "batch": batch,
        "items": items,
        "total": sum((item.amount for item in items), Decimal("0.00")),
        # Cheques and cash taken together: the slip gives each subtotal, as a bank's slip asks.
        "cheque_count": len(items) - len(cash),
        "cheque_total": sum((item.amount for item in items if item not in cash), Decimal("0.00")),
        "cash_total": sum((item.amount for item in cash), Decimal("0.00")),
    }


@property_view(Action.VIEW_PROPERTY)
def batch_detail(request: PropertyRequest, batch_id: int) -> HttpResponse:
    batch = _batch(request, batch_id)
    return render(request, "banking/batch_detail.html", _batch_context(request, batch))


def _invoice_name(invoice: Invoice) -> str:
    return f"#{invoice.number} {invoice.title}" if invoice.number else invoice.title


def _slip_invoices(item: DepositItem) -> str:
    """The invoice a cheque paid, or each invoice of a split cheque with its share."""
    if item.remittance is None:
        return _invoice_name(item.payment.invoice)
    return "; ".join(
        f"{_invoice_name(p.invoice)} ({format_amount(p.amount)})"
        for p in item.remittance.payments.all()
        if p.kind == "payment"
    )


@property_view(Action.VIEW_PROPERTY)
def batch_slip_pdf(request: PropertyRequest, batch_id: int) -> HttpResponse:
    """The deposit slip as a PDF (documents app, ReportLab), in the reader's language."""
    batch = _batch(request, batch_id)
    slip = DepositSlip(
        property=request.property,
        number=batch.number,
        deposited_on=batch.deposited_on,
        note=batch.note,
        rows=[
            SlipRow(
                unit_number=item.payment.unit.number,
                cheque_number=item.cheque_number,
                cash=item.payment.method == PaymentMethod.CASH,
                invoice=_slip_invoices(item),
                amount=item.amount,
            )
            for item in batch.items.all()
        ],
    )
    word = pgettext("file name", "deposit-slip")
    filename = f"{slugify(word)}-{batch.number}.pdf"
    return pdf_response(render_deposit_slip_pdf(slip), filename)


@property_view(Action.VIEW_PROPERTY)  # type: ignore[arg-type]  # may be streamed
def batch_slip_export(request: PropertyRequest, batch_id: int) -> HttpResponse | StreamingHttpResponse:
    """The deposit slip as a table (CSV, CSV for a fr-CA Excel, XLSX): one row per cheque, the invoices
    it paid, and the total deposited, for the treasurer's books."""
    batch = _batch(request, batch_id)
    items = list(batch.items.all())
    context = _batch_context(request, batch)
    rows: list[list[Cell]] = [
        [
            batch.deposited_on,
            item.payment.unit.number,
            str(item.payment.get_method_display()),
            item.cheque_number,
            _slip_invoices(item),
            item.amount,
        ]
        for item in items
    ]
    cheques = ngettext("Total, %(counter)s cheque", "Total, %(counter)s cheques", context["cheque_count"])
    if context["cash_total"]:
        rows.append(
            [None, "", "", "", cheques % {"counter": context["cheque_count"]}, context["cheque_total"]]
        )
        rows.append([None, "", "", "", pgettext("deposit slip", "Cash"), context["cash_total"]])
        rows.append([None, "", "", "", _("Total deposited"), context["total"]])
    else:
        rows.append([None, "", "", "", cheques % {"counter": len(items)}, context["total"]])
    columns = [
        Column(_("Deposit date"), Kind.DATE),
        Column(_("Unit")),
        Column(_("Method")),
        Column(_("Cheque number")),
        Column(_("Invoice"), width=50),
        Column(_("Amount"), Kind.MONEY),
    ]
    word = slugify(pgettext("file name", "deposit-slip"))
    return table_response(
        Table(title=_("Deposit slip"), columns=columns, rows=rows),
        filename=f"{word}-{batch.number}",
        fmt=requested_format(request),
    )


@property_view(Action.VIEW_PROPERTY)
def batch_slip(request: PropertyRequest, batch_id: int) -> HttpResponse:
    """The deposit slip (bordereau de dépôt), a page made to be printed."""
    batch = _batch(request, batch_id)
    return render(request, "banking/batch_slip.html", _batch_context(request, batch))

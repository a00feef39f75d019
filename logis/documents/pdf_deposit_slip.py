"""The deposit slip (bordereau de dépôt) of cheques taken to the bank together."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import pgettext
from reportlab.platypus import Flowable, Spacer

from logis.core.money import format_amount
from logis.documents.pdf import (
    WIDTH,
    build_pdf,
    facts_table,
    header,
    page_date,
    para,
    ruled_table,
    styles,
)
from logis.properties.models import Property


@dataclass(frozen=True)
class SlipRow:
    """One cheque of a deposit slip (plain values: the banking app, above documents, hands them over)."""

    unit_number: str
    cheque_number: str
    invoice: str
    amount: Decimal
    cash: bool = False  # cash taken to the bank with the cheques (issue 11)


@dataclass(frozen=True)
class DepositSlip:
    property: Property
    number: int
    deposited_on: dt.date
    note: str
    rows: Sequence[SlipRow]


def render_deposit_slip_pdf(slip: DepositSlip) -> bytes:
    """The deposit slip (bordereau de dépôt) of cheques taken to the bank together, as a PDF in the active
    language: the syndicate, the date, each cheque (unit, number, invoice, amount), the total, a signature."""
    st = styles()
    prop = slip.property
    title = _("Deposit slip")
    story: list[Flowable] = [
        header(
            st,
            prop,
            title=title,
            number=_("No. %(number)s") % {"number": slip.number},
        ),
        Spacer(1, 12),
        facts_table(st, [(_("Deposit date"), page_date(slip.deposited_on))], WIDTH, label_share=0.35),
    ]
    if slip.note:
        story.append(para(slip.note, st.body))
    story.append(Spacer(1, 12))
    cells: list[list[Any]] = [
        [
            para(_("Unit"), st.label),
            para(_("Cheque number"), st.label),
            para(pgettext("pdf document", "Invoice"), st.label),
            para(_("Amount"), st.label_right),
        ]
    ]
    for row in slip.rows:
        cells.append(
            [
                para(row.unit_number, st.body),
                para(pgettext("deposit slip", "Cash") if row.cash else (row.cheque_number or "—"), st.body),
                para(row.invoice, st.body),
                para(format_amount(row.amount), st.amount),
            ]
        )
    cheques = [r for r in slip.rows if not r.cash]
    count = len(cheques)
    cheque_label = translation.ngettext("Total, %(count)s cheque", "Total, %(count)s cheques", count) % {
        "count": count
    }
    total = sum((r.amount for r in slip.rows), Decimal("0.00"))
    if len(cheques) < len(slip.rows):
        # Cheques and cash together: each subtotal, then the total deposited.
        cash_total = sum((r.amount for r in slip.rows if r.cash), Decimal("0.00"))
        for label, amount in (
            (cheque_label, total - cash_total),
            (pgettext("deposit slip", "Cash"), cash_total),
        ):
            cells.append([para(label, st.body), "", "", para(format_amount(amount), st.amount)])
        cells.append(
            [para(_("Total deposited"), st.strong), "", "", para(format_amount(total), st.amount_strong)]
        )
    else:
        cells.append([para(cheque_label, st.strong), "", "", para(format_amount(total), st.amount_strong)])
    story += [
        ruled_table(cells, [WIDTH * 0.14, WIDTH * 0.2, WIDTH * 0.46, WIDTH * 0.2], total=True),
        Spacer(1, 36),
        para(_("Signature:") + " ____________________________", st.body),
    ]
    name = f"{title} {slip.number}"
    return build_pdf(story, prop=prop, name=name)

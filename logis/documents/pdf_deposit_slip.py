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
    INK,
    RULE,
    WIDTH,
    build_pdf,
    facts_table,
    header,
    layout_table,
    page_date,
    para,
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
            property_name=prop.name,
            address=prop.address,
            prop=prop,
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
                para(row.cheque_number or "—", st.body),
                para(row.invoice, st.body),
                para(format_amount(row.amount), st.amount),
            ]
        )
    count = len(slip.rows)
    cells.append(
        [
            para(
                translation.ngettext("Total, %(count)s cheque", "Total, %(count)s cheques", count)
                % {"count": count},
                st.strong,
            ),
            "",
            "",
            para(format_amount(sum((r.amount for r in slip.rows), Decimal("0.00"))), st.amount_strong),
        ]
    )
    story += [
        layout_table(
            cells,
            [WIDTH * 0.14, WIDTH * 0.2, WIDTH * 0.46, WIDTH * 0.2],
            [
                ("VALIGN", (0, 0), (-1, -1), "TOP"),
                ("LINEBELOW", (0, 0), (-1, 0), 0.75, RULE),
                ("LINEBELOW", (0, 1), (-1, -2), 0.25, RULE),
                ("LINEABOVE", (0, -1), (-1, -1), 0.75, INK),
                ("LEFTPADDING", (0, 0), (0, -1), 0),
            ],
        ),
        Spacer(1, 36),
        para(_("Signature:") + " ____________________________", st.body),
    ]
    name = f"{title} {slip.number}"
    return build_pdf(
        story, title=f"{name} — {prop.name}", author=prop.name, footer=f"{prop.name} — {name}", watermark=None
    )

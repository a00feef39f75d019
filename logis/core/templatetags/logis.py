from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django import template
from django.utils import formats, translation

from logis.core.charter import SEPARATOR, document_languages
from logis.core.dates import first_as_ordinal, table_date
from logis.core.money import format_amount

register = template.Library()


@register.filter
def money(value: Decimal | int | None) -> str:
    """``1 234,56 $`` in French, ``$1,234.56`` in English."""
    return format_amount(value)


@register.filter
def signed_money(value: Decimal | int | None) -> str:
    """A signed figure of money moving: ``−20,00 $`` (a true minus sign) for money out, as the
    Paiements list writes reversals and refunds."""
    if value is None:
        return ""
    amount = Decimal(value)
    return ("\u2212" if amount < 0 else "") + format_amount(abs(amount))


@register.simple_tag
def doc_label(prop: Any, msgid: str, msgctxt: str = "", **values: Any) -> str:
    """A label of an invoice or a receipt shown on a page: in the reader's language, or, for a Quebec
    property and a reader of another language, French with that language beside (« Solde dû / Balance
    due »; Charter of the French language, s. 57, logis/core/charter.py). The msgid must be in a catalog
    (the PDF's labels are), since makemessages does not read this tag."""

    def make() -> str:
        text = translation.pgettext(msgctxt, msgid) if msgctxt else translation.gettext(msgid)
        return text % values if values else text

    main, companion = document_languages(prop, translation.get_language())
    if companion is None:
        return make()
    with translation.override(main):
        french = make()
    other = make()
    return french if french == other else f"{french}{SEPARATOR}{other}"


@register.filter
def negate(value: Decimal | int | None) -> Decimal | None:
    """Money out written as such: the « Reversed or refunded » total is shown negative."""
    return None if value is None else -Decimal(value)


@register.filter
def localdate(value: dt.date | dt.datetime | None, fmt: str = "DATE_FORMAT") -> str:
    if value is None:
        return ""
    text = formats.date_format(value, fmt, use_l10n=True)
    return first_as_ordinal(text, value) if fmt == "DATE_FORMAT" else text


@register.filter
def tabledate(value: dt.date | dt.datetime | None) -> str:
    """The one date format of tables: « 5 déc. 2026 » / « Dec. 5, 2026 », the same day whatever the
    language (never « 05/12/2026 », which English readers take for May 12)."""
    return table_date(value)


@register.simple_tag(takes_context=True)
def url_replace(context: Any, **kwargs: Any) -> str:
    """The current query string with some parameters replaced (pagination, sort, filters)."""
    query = context["request"].GET.copy()
    for key, value in kwargs.items():
        if value is None or value == "":
            query.pop(key, None)
        else:
            query[key] = value
    return query.urlencode()


@register.simple_tag
def other_language() -> str:
    return "en" if (translation.get_language() or "fr").startswith("fr") else "fr"

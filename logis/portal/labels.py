"""The labels the portal's invoice and receipt pages, and the « Voir et payer » page, show through
``{% doc_label %}`` (French with the reader's language beside for a Quebec property, s. 57): listed here
so that ``makemessages``, which does not read that tag, keeps them in the catalog."""

from __future__ import annotations

from django.utils.translation import gettext_noop, pgettext_lazy

DOCUMENT_LABELS = [
    gettext_noop("Unit %(unit)s"),
    gettext_noop("Invoice no. %(number)s"),
    pgettext_lazy("invoice", "Amount"),
    gettext_noop("Amount paid"),
    gettext_noop("Balance due"),
    pgettext_lazy("invoice", "Due date"),
    gettext_noop("Payment receipt no. %(number)s"),
    gettext_noop("Amount received"),
    gettext_noop("Date"),
    gettext_noop("Method"),
    gettext_noop("Reference"),
    gettext_noop("Unit"),
    gettext_noop("Invoice"),
    gettext_noop("Balance of the invoice after this payment"),
]

"""The language of invoices and receipts: Charter of the French language, s. 57 (decision 0030).

Invoices and receipts of a Quebec property are in French; another language may accompany the French,
never replace it nor be more prominent. So a resident (or a manager) of a Quebec property who prefers
English gets the French document with the English beside it (« Facture / Invoice », French first),
never English alone. Elsewhere, documents are in the reader's language, as before.

A **Quebec property** is one whose province (set-up wizard, Paramètres > Propriété, the API) is Quebec,
the default; the migration that added the field set the others from their time zone.

How a document uses it: render inside ``documents_in(property, preferred)``; every label goes through
``both(lambda: _("Label"))``, which reads ``Libellé / Label`` when an English companion is due and the
label alone otherwise. Amounts and dates follow the main language (French).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import Protocol

from django.utils import translation

QUEBEC = "QC"
FRENCH = "fr"
SEPARATOR = " / "

_companion: ContextVar[str | None] = ContextVar("document_companion_language", default=None)


class Located(Protocol):
    province: str


def is_quebec(property: Located) -> bool:
    """Whether the Charter's s. 57 applies to the property's invoices and receipts."""
    return property.province == QUEBEC


def document_languages(property: Located, preferred: str | None) -> tuple[str, str | None]:
    """(main language, companion language or None) of a document for a reader who prefers ``preferred``."""
    language = (preferred or FRENCH)[:2]
    if is_quebec(property) and language != FRENCH:
        return FRENCH, language
    return language, None


@contextmanager
def documents_in(property: Located, preferred: str | None) -> Iterator[tuple[str, str | None]]:
    """Render a document for this reader: the main language active, the companion noted for ``both``."""
    main, companion = document_languages(property, preferred)
    token = _companion.set(companion)
    try:
        with translation.override(main):
            yield main, companion
    finally:
        _companion.reset(token)


def companion_language() -> str | None:
    return _companion.get()


def both(make: Callable[[], str]) -> str:
    """``make()`` in the main language, followed by its companion translation when one is due
    (« Date d'échéance / Due date »); once when both read the same (« Total »)."""
    main = make()
    companion = _companion.get()
    if companion is None:
        return main
    with translation.override(companion):
        other = make()
    return main if other == main else f"{main}{SEPARATOR}{other}"


# --- Emails: the French message, then the same message in the companion language -----------------

_BODY = re.compile(r"<body[^>]*>(.*)</body>", re.DOTALL | re.IGNORECASE)
_ENGLISH_FOLLOWS = {"en": "English version below"}


def bilingual_email(
    main: tuple[str, str, str], companion: tuple[str, str, str], companion_code: str
) -> tuple[str, str, str]:
    """One email of two renderings (subject, text, HTML): the French first, the companion after it,
    under a rule; the subject « Nouvelle facture — X / New invoice — X »."""
    subject = f"{main[0]}{SEPARATOR}{companion[0]}"
    notice = _ENGLISH_FOLLOWS.get(companion_code, companion_code.upper())
    text = f"{main[1].rstrip()}\n\n----- {notice} -----\n\n{companion[1].lstrip()}"
    match = _BODY.search(companion[2])
    inner = match.group(1) if match else companion[2]
    addition = (
        f'<hr style="margin:24px auto;max-width:560px;border:0;border-top:1px solid #dee2e6;">'
        f'<div lang="{companion_code}">{inner}</div>'
    )
    html = re.sub(r"</body>", lambda _m: addition + "</body>", main[2], count=1, flags=re.IGNORECASE)
    if html == main[2]:
        html = main[2] + addition
    return subject, text, html


def both_lines(make: Callable[[], str]) -> list[str]:
    """A sentence in the main language, then (as its own line) its companion translation when due."""
    main = make()
    companion = _companion.get()
    if companion is None:
        return [main]
    with translation.override(companion):
        other = make()
    return [main] if other == main else [main, other]

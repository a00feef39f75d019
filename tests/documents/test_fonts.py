"""No black boxes: every character a PDF shows is one its embedded font can draw. French amounts (with
their no-break spaces), « », —, é, ç and ’ print as written; what the font lacks is replaced."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader

from logis.core.money import NBSP, format_amount
from logis.core.permissions import Role
from logis.documents.fonts import can_draw, safe_text
from logis.invoicing.models import InvoiceStatus
from logis.properties.models import Property, Unit
from tests.documents.conftest import pdf_text
from tests.factories import InvoiceFactory, member

FRENCH = "« Réfection » — l’été, la façade ; Œuvre, À côté, Où, Ça, naïve, Noël, 12 °C, 5 €"


def test_logis_writes_french_amounts_with_the_no_break_space_the_font_has() -> None:
    amount = format_amount(Decimal("1234567.89"), "fr")
    assert amount == f"1{NBSP}234{NBSP}567,89{NBSP}$"  # U+00A0, not the narrow U+202F
    assert can_draw(amount)
    assert can_draw(format_amount(Decimal("1234567.89"), "en"))


def test_french_punctuation_and_letters_are_all_in_the_font() -> None:
    assert can_draw(FRENCH)
    assert safe_text(FRENCH) == FRENCH


@pytest.mark.parametrize(
    ("written", "printed"),
    [
        ("1\u202f234,56\u00a0$", "1\u00a0234,56\u00a0$"),  # narrow no-break space → no-break space
        ("Merci\u202f!", "Merci\u00a0!"),
        ("Erdős", "Erdos"),  # a letter the font lacks → the letter without its accent
        ("Ștefan", "Stefan"),
        ("東京", "??"),  # nothing close in the font: a question mark, never a box
        ("a\u200bb\u00adc", "abc"),  # invisible characters are dropped
        ("ligne 1\nligne 2", "ligne 1\nligne 2"),
    ],
)
def test_a_character_the_font_lacks_becomes_one_it_has(written: str, printed: str) -> None:
    assert safe_text(written) == printed
    assert can_draw(printed)


def test_a_pdf_shows_french_text_as_written_and_embeds_only_its_own_font(prop: Property, unit: Unit) -> None:
    invoice = InvoiceFactory(
        property=prop,
        unit=unit,
        number=12,
        status=InvoiceStatus.OPEN,
        title=FRENCH,
        description="Travaux de l’été\u202f: 1\u202f000 $ — Erdős 東",
        amount=Decimal("1234.56"),
        due_date=dt.date.today() + dt.timedelta(days=5),
    )
    client = Client()
    client.force_login(member(prop, Role.MANAGER))
    response = client.get(reverse("invoicing:pdf", args=[prop.pk, invoice.pk]))

    text = pdf_text(response)
    assert FRENCH in text
    assert "Travaux de l’été : 1 000 $ — Erdos ?" in text
    assert "1 234,56 $" in text
    assert can_draw(text)
    fonts = set()
    for page in PdfReader(io.BytesIO(response.content)).pages:
        resources: Any = page["/Resources"]
        for ref in resources["/Font"].values():
            font: Any = ref.get_object()
            fonts.add(str(font["/BaseFont"]))
            assert "/FontFile2" in font["/FontDescriptor"]  # the TrueType font is embedded in the file
    assert fonts and all("BitstreamVeraSans" in name for name in fonts), fonts

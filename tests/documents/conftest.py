"""A building whose unit 101 has Marie Tremblay (with a portal login) and whose unit 112 has nobody;
and ``pdf_text``: what a person reads in a PDF, extracted with pypdf."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.http import HttpResponse
from django.test import Client
from pypdf import PdfReader

from logis.accounts.models import User
from logis.properties.models import Property, Resident, Unit
from tests.factories import OccupancyFactory, ResidentFactory, UnitFactory, UserFactory

SITE = "https://logis.example.com"
ADDRESS = "1200, rue Sherbrooke Ouest, Montréal (Québec)"


def pdf_bytes_text(content: bytes) -> str:
    """Every page's text, whitespace collapsed to single spaces.

    ReportLab draws a no-break space (U+00A0, as in ``1 234,56 $``) with the space glyph, so the
    extracted text has a plain space where the page has an unbreakable one.
    """
    reader = PdfReader(io.BytesIO(content))
    text = "\n".join(page.extract_text() for page in reader.pages)
    return " ".join(text.replace("\u00a0", " ").split())


def pdf_text(response: HttpResponse) -> str:
    assert response.status_code == 200, response.status_code
    assert response["Content-Type"] == "application/pdf"
    content = response.content
    assert content.startswith(b"%PDF-")
    return pdf_bytes_text(content)


def normal(text: str) -> str:
    """``text`` with its no-break spaces as plain ones, to compare with ``pdf_text``."""
    return " ".join(text.replace("\u00a0", " ").replace("\u202f", " ").split())


@pytest.fixture(autouse=True)
def _site(settings: Any) -> None:
    settings.SITE_URL = SITE
    # Online payment available (demo mode, as in `make run`): the invoice prints the portal's address.
    settings.STRIPE_SECRET_KEY = ""
    settings.STRIPE_DEMO = True


@pytest.fixture
def prop(db: None) -> Property:
    from tests.factories import PropertyFactory

    return PropertyFactory(
        name="Les Jardins du Parc",
        address=ADDRESS,
        payments_enabled=True,
        accepted_methods=["card", "interac", "cheque"],
    )


@pytest.fixture
def marie(prop: Property) -> User:
    return UserFactory(email="marie@example.com", first_name="Marie", last_name="Tremblay", language="fr")


@pytest.fixture
def unit(prop: Property, marie: User) -> Unit:
    """Unit 101: Marie Tremblay is its primary resident and signs in to the portal."""
    unit = UnitFactory(property=prop, number="101")
    resident = ResidentFactory(property=prop, name="Marie Tremblay", email="marie@example.com", user=marie)
    OccupancyFactory(unit=unit, resident=resident, is_primary=True)
    return unit


@pytest.fixture
def lonely_unit(prop: Property) -> Unit:
    """Unit 112: nobody is its primary resident (the demo's unit without email)."""
    return UnitFactory(property=prop, number="112")


@pytest.fixture
def marie_client(marie: User, unit: Unit) -> Client:
    client = Client()
    client.force_login(marie)
    return client


def resident_of(unit: Unit, user: User, name: str) -> Resident:
    resident = ResidentFactory(property=unit.property, name=name, email=user.email, user=user)
    OccupancyFactory(unit=unit, resident=resident, is_primary=True)
    return resident

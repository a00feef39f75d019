"""Property set-up: the rules (NEQ, time zone, numbering, logo checked with Pillow) in the service,
the three-step wizard, Paramètres > Propriété, the logo on the invoice PDF and the guiding dashboard."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from logis.accounts.models import Membership, Organization, User
from logis.core.errors import NotFound, PermissionDenied, ValidationError
from logis.core.models import AuditEvent
from logis.core.permissions import Role
from logis.properties import setup
from logis.properties.models import Property
from tests.documents.conftest import normal
from tests.factories import PropertyFactory, UserFactory, member, open_invoice
from tests.onboarding.conftest import image_file

pytestmark = pytest.mark.django_db


def _profile(**overrides: object) -> setup.PropertyProfile:
    values: dict[str, object] = {
        "name": "Les Jardins du Parc",
        "legal_name": "Syndicat des copropriétaires Les Jardins du Parc",
        "neq": "1 234 567 890",
        "address": "1200, rue Principale, Montréal",
        "timezone": "America/Toronto",
        "language": "fr",
        "fiscal_year_start_month": 4,
        "first_invoice_number": 1001,
        **overrides,
    }
    return setup.clean_profile(**values)  # type: ignore[arg-type]


@pytest.mark.parametrize("typed", ["1234567890", "1 234 567 890", "1234-567-890", " 1234567890 "])
def test_neq_is_ten_digits_whatever_the_separators(typed: str) -> None:
    assert setup.clean_neq(typed) == "1234567890"


@pytest.mark.parametrize("typed", ["123456789", "12345678901", "12345abcde", "１２３４５６７８９０"])
def test_neq_refuses_anything_but_ten_digits(typed: str) -> None:
    with pytest.raises(ValidationError) as exc:
        setup.clean_neq(typed)
    assert "neq" in exc.value.errors


def test_profile_refusals_are_per_field() -> None:
    with pytest.raises(ValidationError) as exc:
        setup.clean_profile(
            name=" ",
            neq="12",
            timezone="Mars/Olympus",
            language="de",
            fiscal_year_start_month=13,
            first_invoice_number="0",
        )
    assert set(exc.value.errors) == {
        "name",
        "neq",
        "timezone",
        "language",
        "fiscal_year_start_month",
        "first_invoice_number",
    }


def test_create_property_makes_the_actor_its_administrator_and_audits(
    founder: User, organization: Organization
) -> None:
    prop = setup.create_property(actor=founder, profile=_profile(), logo=image_file())
    assert prop.organization == organization
    assert (prop.neq, prop.next_invoice_number, prop.fiscal_year_start_month) == ("1234567890", 1001, 4)
    assert prop.timezone == "America/Toronto"
    assert Membership.objects.get(property=prop, user=founder).role == Role.ADMIN
    assert prop.logo.name.startswith("logos/property-") and default_storage.exists(prop.logo.name)
    event = AuditEvent.objects.get(verb="property.created", property=prop)
    assert event.after is not None
    assert event.after["neq"] == "1234567890" and event.after["logo"] is True


def test_only_an_organization_administrator_creates_a_property(organization: Organization) -> None:
    stranger = UserFactory()
    with pytest.raises(PermissionDenied):
        setup.create_property(actor=stranger, profile=_profile())
    other = UserFactory()
    from logis.accounts.organizations import create_organization

    create_organization(actor=other, name="Autre")
    with pytest.raises(NotFound):
        setup.create_property(actor=other, organization_id=organization.pk, profile=_profile())
    assert not Property.objects.exists()


@pytest.mark.parametrize(
    "upload",
    [
        SimpleUploadedFile("logo.png", b"not an image at all", content_type="image/png"),
        image_file("GIF", name="logo.gif"),
        SimpleUploadedFile("big.png", b"\x89PNG" + b"0" * (1024 * 1024 + 10), content_type="image/png"),
        image_file("PNG", size=(4001, 10)),
    ],
    ids=["garbage", "gif", "too-large", "too-wide"],
)
def test_a_logo_that_is_not_a_small_png_or_jpeg_is_refused(
    founder: User, organization: Organization, upload: SimpleUploadedFile
) -> None:
    with pytest.raises(ValidationError) as exc:
        setup.create_property(actor=founder, profile=_profile(), logo=upload)
    assert "logo" in exc.value.errors
    assert not Property.objects.exists()


def test_first_invoice_number_is_editable_only_until_the_first_invoice_is_numbered(
    founder: User, organization: Organization
) -> None:
    prop = setup.create_property(actor=founder, profile=_profile())
    setup.update_property_profile(actor=founder, property=prop, profile=_profile(first_invoice_number=50))
    prop.refresh_from_db()
    assert prop.next_invoice_number == 50
    open_invoice(prop, number=50)
    with pytest.raises(ValidationError) as exc:
        setup.update_property_profile(actor=founder, property=prop, profile=_profile(first_invoice_number=7))
    assert "first_invoice_number" in exc.value.errors


def test_only_administrators_change_the_property_settings(founder: User, organization: Organization) -> None:
    prop = setup.create_property(actor=founder, profile=_profile())
    manager = member(prop, Role.MANAGER)
    with pytest.raises(PermissionDenied):
        setup.update_property_profile(actor=manager, property=prop, profile=_profile(name="Autre nom"))


def _wizard(client: Client, logo: SimpleUploadedFile | None = None) -> Any:
    client.post(
        "/p/new/",
        {
            "step": "1",
            "name": "Les Jardins du Parc",
            "legal_name": "Syndicat LJP",
            "neq": "1234567890",
            "address": "",
        },
    )
    client.post(
        "/p/new/",
        {
            "step": "2",
            "timezone": "America/Toronto",
            "language": "fr",
            "fiscal_year_start_month": "1",
            "first_invoice_number": "1",
        },
    )
    data: dict[str, object] = {"step": "3"}
    if logo is not None:
        data["logo"] = logo
    return client.post("/p/new/", data)


def test_the_wizard_creates_the_property_at_its_last_step_and_opens_its_guiding_dashboard(
    founder: User, organization: Organization
) -> None:
    client = Client()
    client.force_login(founder)
    response = client.post("/p/new/", {"step": "1", "name": "", "neq": "12345"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "Entrez le nom de la propriété." in page and "Le NEQ compte exactement 10 chiffres" in page
    assert 'value="12345"' in page
    assert not Property.objects.exists()
    response = _wizard(client, logo=image_file())
    prop = Property.objects.get()
    assert response.status_code == 302 and response["Location"] == f"/p/{prop.pk}/"
    page = client.get(response["Location"]).content.decode()
    assert "Pour commencer" in page
    assert f"/p/{prop.pk}/units/add/" in page and f"/p/{prop.pk}/settings/members/" in page
    assert client.get(prop.logo.url).status_code == 200
    assert Client().get(prop.logo.url)["Content-Type"] == "image/png"  # emails: no sign-in needed
    assert prop.province == "QC"  # not chosen: Quebec, the default


def test_the_wizard_asks_the_province_and_refuses_an_unknown_one(
    founder: User, organization: Organization
) -> None:
    client = Client()
    client.force_login(founder)
    client.post("/p/new/", {"step": "1", "name": "Tour Ontario"})
    step2 = {
        "step": "2",
        "timezone": "America/Toronto",
        "language": "fr",
        "fiscal_year_start_month": "1",
        "first_invoice_number": "1",
    }
    page = client.post("/p/new/", {**step2, "province": "XX"}).content.decode()
    assert "Province ou territoire" in page and 'class="invalid-feedback' in page
    client.post("/p/new/", {**step2, "province": "ON"})
    assert "Ontario" in client.get("/p/new/?step=3").content.decode()
    client.post("/p/new/", {"step": "3"})
    assert Property.objects.get(name="Tour Ontario").province == "ON"


def test_the_wizard_says_a_bad_logo_beside_the_field(founder: User, organization: Organization) -> None:
    client = Client()
    client.force_login(founder)
    response = _wizard(client, logo=SimpleUploadedFile("x.png", b"nope", content_type="image/png"))
    assert response.status_code == 200
    assert "Le logo doit être une image PNG ou JPEG." in response.content.decode()
    assert not Property.objects.exists()


def test_the_wizard_is_for_organization_administrators(db: None) -> None:
    client = Client()
    client.force_login(UserFactory())
    assert client.get("/p/new/").status_code == 403
    assert client.get("/media/logos/anything.png").status_code == 404


def test_property_settings_page_edits_and_is_read_only_for_others(
    founder: User, organization: Organization
) -> None:
    prop = setup.create_property(actor=founder, profile=_profile())
    client = Client()
    client.force_login(founder)
    url = f"/p/{prop.pk}/settings/property/"
    assert "Dénomination du syndicat" in client.get(url).content.decode()
    response = client.post(
        url,
        {
            "name": "Jardins du Parc",
            "legal_name": "SDC LJP",
            "neq": "9876543210",
            "address": "1200, rue Principale",
            "timezone": "America/Halifax",
            "province": "NS",
            "language": "en",
            "fiscal_year_start_month": "7",
            "first_invoice_number": "1001",
            "logo": image_file("JPEG", name="logo.jpg"),
        },
    )
    assert response.status_code == 302
    prop.refresh_from_db()
    assert (prop.name, prop.neq, prop.timezone, prop.language, prop.fiscal_year_start_month) == (
        "Jardins du Parc",
        "9876543210",
        "America/Halifax",
        "en",
        7,
    )
    assert prop.logo.name.endswith(".jpg")
    assert prop.province == "NS"  # outside Quebec: documents in the reader's language alone (0030)
    response = client.post(
        url,
        {
            "name": "X",
            "neq": "abc",
            "timezone": "America/Toronto",
            "language": "fr",
            "fiscal_year_start_month": "1",
            "first_invoice_number": "1001",
        },
    )
    assert response.status_code == 200 and "Le NEQ compte exactement 10 chiffres" in response.content.decode()
    board = member(prop, Role.BOARD)
    client.force_login(board)
    assert client.get(url).status_code == 200
    assert client.post(url, {"name": "Piraté"}).status_code == 403


def test_the_invoice_pdf_shows_the_logo_legal_name_and_neq(founder: User, organization: Organization) -> None:
    import io

    from pypdf import PdfReader

    prop = setup.create_property(actor=founder, profile=_profile(), logo=image_file())
    invoice = open_invoice(prop, number=1001)
    client = Client()
    client.force_login(founder)
    response = client.get(f"/p/{prop.pk}/invoices/{invoice.pk}/pdf/")
    assert response.status_code == 200, response.status_code
    reader = PdfReader(io.BytesIO(response.content))
    text = normal(" ".join(page.extract_text() for page in reader.pages))
    assert "Syndicat des copropriétaires Les Jardins du Parc" in text and "NEQ 1234567890" in text
    assert any(page.images for page in reader.pages)


def test_dashboard_of_a_property_with_units_has_no_getting_started(db: None) -> None:
    prop = PropertyFactory()
    user = member(prop, Role.ADMIN)
    from tests.factories import UnitFactory

    UnitFactory(property=prop)
    client = Client()
    client.force_login(user)
    assert "Pour commencer" not in client.get(f"/p/{prop.pk}/").content.decode()

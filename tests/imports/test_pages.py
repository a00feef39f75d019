"""Unités > Importer pages: upload, preview with row errors (nothing written), confirm, undo dialog,
templates in French and English."""

from __future__ import annotations

import io

from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook  # type: ignore[import-untyped]

from logis.imports.models import ImportBatch
from logis.properties.models import Property, Unit
from tests.imports.helpers import csv_bytes

GOOD = [
    ["101", "50", "Propriétaire", "Marie", "Tremblay", "marie@example.com", "oui", "100,00", "2026-01-01"],
    ["102", "50", "", "Sam", "Lee", "", "", "", ""],
]


def _upload(client: Client, prop: Property, data: bytes, name: str = "units.csv") -> str:
    response = client.post(
        reverse("properties:imports:start", args=[prop.pk]), {"file": SimpleUploadedFile(name, data)}
    )
    assert response.status_code == 302, response.content[:500]
    return response["Location"]


def test_preview_shows_row_errors_in_french_and_writes_nothing(
    manager_client: Client, prop: Property
) -> None:
    bad = [*GOOD, ["103", "150", "", "Ana", "Roy", "ana@", "", "", ""]]
    url = _upload(manager_client, prop, csv_bytes(bad))
    page = manager_client.get(url, HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    assert "Quote-part (%)" in page
    assert "La quote-part est comprise entre 0 et 100" in page
    assert "Courriel" in page
    assert "Confirmer l&#x27;importation" not in page
    assert not Unit.objects.filter(property=prop).exists()


def test_confirm_imports_and_history_offers_undo(manager_client: Client, prop: Property) -> None:
    url = _upload(manager_client, prop, csv_bytes(GOOD))
    batch = ImportBatch.objects.get(property=prop)
    response = manager_client.post(reverse("properties:imports:apply", args=[prop.pk, batch.pk]))
    assert response.status_code == 302
    assert Unit.objects.filter(property=prop).count() == 2
    page = manager_client.get(reverse("properties:imports:start", args=[prop.pk])).content.decode()
    assert "units.csv" in page
    dialog = manager_client.get(
        reverse("properties:imports:undo", args=[prop.pk, batch.pk]), HTTP_HX_REQUEST="true"
    ).content.decode()
    assert "modal-header" in dialog
    manager_client.post(reverse("properties:imports:undo", args=[prop.pk, batch.pk]))
    assert Unit.objects.filter(property=prop).count() == 1  # 101 keeps its voided opening balance
    del url


def test_templates_in_both_languages(manager_client: Client, prop: Property) -> None:
    url = reverse("properties:imports:template", args=[prop.pk, "csv"])
    manager_client.cookies["django_language"] = "fr"
    fr = manager_client.get(url).content.decode("utf-8-sig")
    assert fr.startswith("Unité;Quote-part (%)")
    xlsx = manager_client.get(reverse("properties:imports:template", args=[prop.pk, "xlsx"])).content
    sheet = load_workbook(io.BytesIO(xlsx)).active
    assert sheet["A1"].value == "Unité"


def test_board_member_cannot_import(world) -> None:  # type: ignore[no-untyped-def]
    client = Client()
    client.force_login(world.users["board"])  # type: ignore[arg-type]
    response = client.get(reverse("properties:imports:start", args=[world.prop.pk]))
    assert response.status_code == 403


def test_history_page_queries_do_not_grow_with_imports(manager_client: Client, prop: Property) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    url = reverse("properties:imports:start", args=[prop.pk])

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert manager_client.get(url).status_code == 200
        return len(queries)

    for n in range(3):
        _upload(manager_client, prop, csv_bytes([[str(100 + n), "", "", "A", "B", "", "", "", ""]]))
        batch = ImportBatch.objects.filter(property=prop).order_by("-id").first()
        assert batch is not None
        manager_client.post(reverse("properties:imports:apply", args=[prop.pk, batch.pk]))
    few = count()
    for n in range(3, 8):
        _upload(manager_client, prop, csv_bytes([[str(100 + n), "", "", "A", "B", "", "", "", ""]]))
        batch = ImportBatch.objects.filter(property=prop).order_by("-id").first()
        assert batch is not None
        manager_client.post(reverse("properties:imports:apply", args=[prop.pk, batch.pk]))
    assert count() == few


def test_audit_log_names_the_import_and_its_counts(admin_client_: Client, prop: Property) -> None:
    _upload(admin_client_, prop, csv_bytes(GOOD))
    batch = ImportBatch.objects.get(property=prop)
    admin_client_.post(reverse("properties:imports:apply", args=[prop.pk, batch.pk]))
    admin_client_.cookies["django_language"] = "fr"
    page = admin_client_.get(reverse("properties:audit", args=[prop.pk])).content.decode()
    assert "Unités et résidents importés" in page
    assert "Unités créées" in page


def test_floor_type_and_mailing_address_are_shown(manager_client: Client, prop: Property) -> None:
    from tests.imports.helpers import EN_HEADER

    header = [*EN_HEADER, "Floor", "Type", "Mailing address"]
    rows = [["9", "", "Owner", "Ana", "Roy", "", "", "", "", "3", "Loft", "12 Maple St"]]
    _upload(manager_client, prop, csv_bytes(rows, header=header, sep=","))
    batch = ImportBatch.objects.get(property=prop)
    manager_client.post(reverse("properties:imports:apply", args=[prop.pk, batch.pk]))
    unit = Unit.objects.get(property=prop, number="9")
    manager_client.cookies["django_language"] = "fr"
    page = manager_client.get(reverse("properties:unit_detail", args=[prop.pk, unit.pk])).content.decode()
    assert "Étage" in page and "Loft" in page
    resident = unit.occupancies.get().resident
    page = manager_client.get(
        reverse("properties:resident_detail", args=[prop.pk, resident.pk])
    ).content.decode()
    assert "Adresse postale" in page and "12 Maple St" in page

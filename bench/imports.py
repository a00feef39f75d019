"""``bench import_units``: a manager imports a file of 2,000 units and 4,000 residents (two co-owners a
unit, every unit with an opening balance: most owe, some have credit) into an empty property.

End to end through the pages, as a signed-in manager with Django's test ``Client``: the upload and its
preview (POST the file, then GET the preview: the file is read and planned against the property), then
« Confirmer l'importation » (one transaction, bulk inserts, opening balances numbered as invoices).
Prints ``bench import_units: units=… residents=… preview_s=… import_s=…``.
"""

from __future__ import annotations

import datetime as dt
import time

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.urls import reverse

from logis.accounts.models import Membership, User
from logis.core.dates import today_in
from logis.core.permissions import Role
from logis.imports.models import ImportBatch, OpeningBalance
from logis.imports.parsing import TEMPLATE_HEADERS
from logis.properties.models import Occupancy, Property, Resident, Unit

TZ = "America/Toronto"


def import_file(units: int) -> bytes:
    """A French CSV (« ; », decimal comma, « 1 234,56 » amounts) as a spreadsheet would save it."""
    day = (today_in(TZ) - dt.timedelta(days=31)).isoformat()
    share = f"{100 / units:.4f}".replace(".", ",")
    lines = [";".join(TEMPLATE_HEADERS["fr"])]
    for i in range(1, units + 1):
        balance = f"1 {i % 1000:03d},50" if i % 10 else "-25,00"
        lines.append(
            f"{i};{share};{1 + i // 100};Appartement;Propriétaire;Marie;Côté {i};marie{i}@bench.example.com;"
            f"514 555-{i % 10000:04d};fr;oui;;{balance};{day}"
        )
        lines.append(f"{i};;;;Propriétaire;Jean;Côté {i};jean{i}@bench.example.com;;en;non;;;")
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode("utf-8")


def run_imports(*, units: int) -> str:
    print(f"\nimport_units: {units:,} units and {2 * units:,} residents into an empty property …", flush=True)
    prop = Property.objects.create(name="Bench — Import", timezone=TZ, payments_enabled=True)
    manager = User.objects.create_user("bench-import@example.com", "bench-pw-123", language="fr")
    Membership.objects.create(user=manager, property=prop, role=Role.MANAGER)
    client = Client()
    client.force_login(manager)
    start_url = reverse("properties:imports:start", args=[prop.pk])
    client.get(start_url)  # warm: templates, translations
    data = import_file(units)

    start = time.perf_counter()
    response = client.post(start_url, {"file": SimpleUploadedFile("coproprietaires.csv", data)})
    if response.status_code != 302:
        raise SystemExit(f"upload answered {response.status_code}")
    preview = client.get(response["Location"])
    preview_s = time.perf_counter() - start
    if preview.status_code != 200 or b"import-errors" in preview.content:
        raise SystemExit("the preview refused rows")
    batch = ImportBatch.objects.get(property=prop)

    start = time.perf_counter()
    response = client.post(reverse("properties:imports:apply", args=[prop.pk, batch.pk]))
    import_s = time.perf_counter() - start
    if response.status_code != 302:
        raise SystemExit(f"import answered {response.status_code}")
    made_units = Unit.objects.filter(property=prop).count()
    residents = Resident.objects.filter(property=prop).count()
    links = Occupancy.objects.filter(unit__property=prop).count()
    balances = OpeningBalance.objects.filter(property=prop).count()
    if (made_units, residents, links, balances) != (units, 2 * units, 2 * units, units):
        raise SystemExit(f"expected {units} units: {made_units=} {residents=} {links=} {balances=}")
    # The same file again: planned against 2,000 units that exist, it changes nothing.
    start = time.perf_counter()
    response = client.post(start_url, {"file": SimpleUploadedFile("coproprietaires.csv", data)})
    again = client.get(response["Location"])
    again_s = time.perf_counter() - start
    if b"import-nothing" not in again.content:
        raise SystemExit("importing the same file again would change something")
    print(f"  the same file again: preview {again_s:.2f} s, nothing to change")
    print(
        f"  upload + preview {preview_s:.2f} s ({len(data) / 1e6:.1f} MB); import {import_s:.2f} s: "
        f"{made_units:,} units, {residents:,} residents, {balances:,} opening balances"
    )
    print("  target (PostgreSQL, 2 cores): preview and import each under 10 s")
    return (
        f"bench import_units: units={made_units} residents={residents} preview_s={preview_s:.2f} "
        f"import_s={import_s:.2f} db={connection.vendor}"
    )

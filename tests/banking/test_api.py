"""POST /api/v1/properties/{id}/bank-statements and .../confirm: the same rules as the pages."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from logis.payments.models import Payment
from tests.api.conftest import token_for
from tests.banking.scenario import FILES, syndicate

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_rate_limits() -> None:
    cache.clear()


def test_upload_answers_the_proposals_and_confirm_records_each_once() -> None:
    s = syndicate()
    headers = {"Authorization": f"Bearer {token_for(s.manager)}", "Accept-Language": "en"}
    client = Client()
    url = f"/api/v1/properties/{s.prop.pk}/bank-statements"
    with (FILES / "rbc.csv").open("rb") as f:
        response = client.post(url + "?bank=rbc", {"file": f}, headers=headers)
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["deposits_new"] == 7
    deposits = {d["amount"]: d for d in body["deposits"] if d["amount"] != "300.00"}
    statuses = [d["status"] for d in body["deposits"] if d["amount"] == "300.00"]
    assert statuses == ["proposed", "ambiguous"]
    jean = deposits["450.00"]
    assert jean["status"] == "proposed"
    best = [c for c in jean["candidates"] if c["best"]]
    assert best[0]["invoice"] == s.invoices[2].pk and "sender" in best[0]["reasons"]
    confirm = f"{url}/{body['id']}/confirm"
    payload = {"matches": [{"line": jean["id"], "invoice": s.invoices[2].pk}]}
    first = client.post(confirm, payload, content_type="application/json", headers=headers)
    again = client.post(confirm, payload, content_type="application/json", headers=headers)
    assert first.status_code == 200 and len(first.json()["recorded"]) == 1
    assert again.status_code == 200 and len(again.json()["already"]) == 1
    assert Payment.objects.filter(invoice=s.invoices[2]).count() == 1
    # The same file again: nothing new.
    with (FILES / "rbc.csv").open("rb") as f:
        twice = client.post(url + "?bank=rbc", {"file": f}, headers=headers)
    assert twice.json()["deposits_new"] == 0 and twice.json()["deposits_known"] == 7


def test_an_unreadable_file_is_422_beside_the_file_and_another_property_is_404() -> None:
    s = syndicate()
    other = syndicate("Ailleurs")
    headers = {"Authorization": f"Bearer {token_for(s.manager)}", "Accept-Language": "en"}
    client = Client()
    from django.core.files.uploadedfile import SimpleUploadedFile

    bad = client.post(
        f"/api/v1/properties/{s.prop.pk}/bank-statements?bank=td",
        {"file": SimpleUploadedFile("x.ofx", b"OFXHEADER:100\n<OFX><nope")},
        headers=headers,
    )
    assert bad.status_code == 422 and "file" in bad.json()["errors"]
    elsewhere = client.post(
        f"/api/v1/properties/{other.prop.pk}/bank-statements",
        {"file": SimpleUploadedFile("x.ofx", b"x")},
        headers=headers,
    )
    assert elsewhere.status_code == 404

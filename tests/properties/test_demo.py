from django.core.management import call_command

from logis.accounts.models import Membership, User
from logis.properties.models import Occupancy, Property, Unit


def test_load_demo_is_idempotent_and_matches_the_brief(db: None) -> None:
    call_command("load_demo")
    call_command("load_demo")
    jardins = Property.objects.get(name="Les Jardins du Parc")
    assert jardins.payments_enabled
    assert Property.objects.get(name="Tour Horizon").payments_enabled is False
    units = list(Unit.objects.filter(property=jardins))
    assert [u.number for u in units] == [f"{f}{n:02d}" for f in (1, 2) for n in range(1, 13)]
    assert sum(u.share or 0 for u in units) == 100
    primaries = Occupancy.objects.filter(unit__property=jardins, is_primary=True)
    assert sorted(o.unit.number for o in primaries) == sorted(u.number for u in units if u.number != "112")
    assert all(o.resident.email for o in primaries)
    manager = User.objects.get(email="gestionnaire@example.com")
    assert not Membership.objects.filter(user=manager, property__name="Résidence Belvédère").exists()
    assert User.objects.filter(email__endswith="@example.com").count() == 7
    assert manager.check_password("demo1234")


def test_demo_residents_have_published_invoices_to_see_in_the_portal(db: None, client) -> None:  # type: ignore[no-untyped-def]
    from logis.invoicing.models import Invoice, InvoiceStatus

    call_command("load_demo")
    call_command("load_demo")
    jardins = Property.objects.get(name="Les Jardins du Parc")
    demo = {i.unit.number: i for i in Invoice.objects.filter(property=jardins).select_related("unit")}
    assert {n: i.status for n, i in demo.items()} == {
        "101": InvoiceStatus.OPEN,
        "102": InvoiceStatus.OPEN,
        "103": InvoiceStatus.PAID,
    }
    assert sorted(i.number or 0 for i in demo.values()) == [1, 2, 3]
    client.force_login(User.objects.get(email="resident@example.com"))
    page = client.get("/portal/").content.decode()
    assert "Cotisation spéciale — Réparation du toit" in page
    assert "Frais de stationnement" not in page  # unit 102's, not hers


def test_demo_english_resident_has_an_english_account_also_on_an_existing_database(db: None, client) -> None:  # type: ignore[no-untyped-def]
    call_command("load_demo", verbosity=0)
    jean = User.objects.get(email="resident2@example.com")
    assert jean.language == "en"
    # A database loaded by an earlier version of the demo had him in French: loading again fixes it.
    User.objects.filter(pk=jean.pk).update(language="fr")
    call_command("load_demo", verbosity=0)
    jean.refresh_from_db()
    assert jean.language == "en"
    client.force_login(jean)
    page = client.get("/portal/").content.decode()
    assert '<html lang="en">' in page
    assert User.objects.get(email="resident@example.com").language == "fr"

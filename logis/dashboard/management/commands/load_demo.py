"""Load the demo properties, units, residents and accounts. Safe to run again: nothing is duplicated
or wiped (each object is looked up by its natural key first)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.core.management.base import BaseCommand
from django.db import transaction

from logis.accounts.models import Membership, Organization, OrganizationKind, OrganizationMembership, User
from logis.collections.models import ReminderPolicy
from logis.core.permissions import Role
from logis.properties.models import Occupancy, OccupancyKind, PaymentMethod, Property, Resident, Unit

PASSWORD = "demo1234"  # noqa: S105 - published demo password, documented in the README

FIRST_NAMES = [
    "Marie",
    "Jean",
    "Sophie",
    "Luc",
    "Isabelle",
    "Marc",
    "Julie",
    "François",
    "Nathalie",
    "Pierre",
    "Chantal",
    "Michel",
    "Geneviève",
    "André",
    "Caroline",
    "Louis",
    "Émilie",
    "Denis",
    "Valérie",
    "Yves",
    "Audrey",
    "Patrick",
    "Mélanie",
    "Alain",
]
LAST_NAMES = [
    "Tremblay",
    "Gagnon",
    "Roy",
    "Côté",
    "Bouchard",
    "Gauthier",
    "Morin",
    "Lavoie",
    "Fortin",
    "Gagné",
    "Ouellet",
    "Pelletier",
    "Bélanger",
    "Lévesque",
    "Bergeron",
    "Leblanc",
    "Paquette",
    "Girard",
    "Simard",
    "Boucher",
    "Caron",
    "Beaulieu",
    "Cloutier",
    "Dubé",
]


class Command(BaseCommand):
    help = "Load the Logis demo data (idempotent)."

    def handle(self, *args: Any, **options: Any) -> None:
        with transaction.atomic():
            created = self._load()
        self.stdout.write(
            self.style.SUCCESS("Demo data loaded." if created else "Demo data already present.")
        )

    def _user(self, email: str, first: str, last: str, **extra: Any) -> tuple[User, bool]:
        user = User.objects.filter(email=email).first()
        if user:
            return user, False
        user = User.objects.create_user(
            email=email, password=PASSWORD, first_name=first, last_name=last, **extra
        )
        return user, True

    def _load(self) -> bool:
        admin, created = self._user("admin@example.com", "Alice", "Administratrice")
        manager, _ = self._user("gestionnaire@example.com", "Gabriel", "Gestionnaire")
        board, _ = self._user("ca@example.com", "Claire", "Conseil")
        resident1, _ = self._user("resident@example.com", "Marie", "Tremblay")
        resident2, _ = self._user("resident2@example.com", "Jean", "Gagnon", language="en")
        if resident2.language != "en":
            # Databases loaded before the demo's English resident had an English account.
            resident2.language = "en"
            resident2.save(update_fields=["language"])
        self._user("support@example.com", "Sam", "Support", is_staff=True, is_superuser=True)
        other_admin, _ = self._user("belvedere@example.com", "Bruno", "Belvédère")

        jardins, _ = Property.objects.get_or_create(
            name="Les Jardins du Parc",
            defaults={
                "address": "1200, rue du Parc, Montréal (Québec) H2X 1Y1",
                "timezone": "America/Toronto",
                "currency": "CAD",
                "language": "fr",
                "payments_enabled": True,
                # Off in the demo, so that its logins work with the password alone.
                "require_staff_mfa": False,
                "accepted_methods": [
                    PaymentMethod.CARD,
                    PaymentMethod.PAD,
                    PaymentMethod.INTERAC,
                    PaymentMethod.CHEQUE,
                ],
            },
        )
        horizon, _ = Property.objects.get_or_create(
            name="Tour Horizon",
            defaults={"address": "45, boulevard Laurier, Québec (Québec) G1V 2L2", "payments_enabled": False},
        )
        belvedere, _ = Property.objects.get_or_create(
            name="Résidence Belvédère",
            defaults={
                "address": "8, chemin du Belvédère, Sherbrooke (Québec) J1H 4B2",
                "payments_enabled": True,
            },
        )

        for member, prop, role in [
            (admin, jardins, Role.ADMIN),
            (admin, horizon, Role.ADMIN),
            (manager, jardins, Role.MANAGER),
            (manager, horizon, Role.MANAGER),
            (board, jardins, Role.BOARD),
            (other_admin, belvedere, Role.ADMIN),
        ]:
            Membership.objects.get_or_create(user=member, property=prop, defaults={"role": role})

        # Organizations (issue 9): the demo administrator runs a management firm with two properties, and
        # may create more (« Nouvelle propriété »); Belvédère is another syndicate's.
        for org_name, kind, org_admin, props in [
            ("Gestion Parc et Horizon", OrganizationKind.FIRM, admin, [jardins, horizon]),
            ("Syndicat Résidence Belvédère", OrganizationKind.SYNDICATE, other_admin, [belvedere]),
        ]:
            organization, _ = Organization.objects.get_or_create(name=org_name, defaults={"kind": kind})
            OrganizationMembership.objects.get_or_create(
                user=org_admin, organization=organization, defaults={"role": Role.ADMIN}
            )
            Property.objects.filter(pk__in=[p.pk for p in props], organization__isnull=True).update(
                organization=organization
            )

        numbers = [f"{floor}{n:02d}" for floor in (1, 2) for n in range(1, 13)]
        # 24 shares summing to exactly 100 %: 16 x 4.1667 + 8 x 4.1666.
        shares = [Decimal("4.1667")] * 16 + [Decimal("4.1666")] * 8
        for i, (number, share) in enumerate(zip(numbers, shares, strict=True)):
            unit, _ = Unit.objects.get_or_create(property=jardins, number=number, defaults={"share": share})
            if number == "112":
                continue  # no resident: shows the "no primary resident" warning when billing it
            user: User | None = None
            if number == "101":
                name, email, user, lang = "Marie Tremblay", "resident@example.com", resident1, "fr"
            elif number == "102":
                name, email, user, lang = "Jean Gagnon", "resident2@example.com", resident2, "en"
            else:
                first, last = FIRST_NAMES[i % len(FIRST_NAMES)], LAST_NAMES[(i * 7) % len(LAST_NAMES)]
                name, lang = f"{first} {last}", "fr" if i % 4 else "en"
                email = f"{number}@jardins.example.com"
            resident, _ = Resident.objects.get_or_create(
                property=jardins, email=email, defaults={"name": name, "language": lang, "user": user}
            )
            Occupancy.objects.get_or_create(
                unit=unit, resident=resident, defaults={"kind": OccupancyKind.OWNER, "is_primary": True}
            )

        for n in range(1, 7):
            unit, _ = Unit.objects.get_or_create(property=horizon, number=f"{n}01")
            resident, _ = Resident.objects.get_or_create(
                property=horizon,
                email=f"{n}01@horizon.example.com",
                defaults={"name": f"{FIRST_NAMES[n]} {LAST_NAMES[n + 5]}", "language": "fr"},
            )
            Occupancy.objects.get_or_create(unit=unit, resident=resident, defaults={"is_primary": True})

        # Reminders 3 days before and 1 and 7 days after the due date (Paramètres > Rappels…).
        ReminderPolicy.objects.get_or_create(
            property=jardins, defaults={"enabled": True, "days_before": [3], "days_after": [1, 7]}
        )

        # Monthly dues from next month by share (Factures > Frais récurrents), left as drafts to review.
        from logis.billing.demo import ensure_demo_schedule

        ensure_demo_schedule(jardins)

        for number in ("A", "B", "C"):
            Unit.objects.get_or_create(property=belvedere, number=number)
        self._demo_invoices(jardins, manager)

        from logis.payments.demo import ensure_demo_autopay

        ensure_demo_autopay(jardins)
        return created

    def _demo_invoices(self, jardins: Property, manager: User) -> None:
        """A few published invoices, so the resident portal and the cards have something to show:
        two open for the demo residents (101 in French, 102 in English), one paid by cheque (103)."""
        import datetime as dt
        from decimal import Decimal

        from logis.core.dates import today_in
        from logis.invoicing.models import Invoice
        from logis.invoicing.services import create_invoice, publish_invoice
        from logis.payments.services import record_payment

        demo = [
            ("101", "Cotisation spéciale — Réparation du toit", "350.00", True, False),
            ("102", "Frais de stationnement — Décembre 2026", "45.00", True, False),
            ("103", "Cotisations mensuelles du syndicat", "250.00", False, True),
        ]
        today = today_in(jardins.timezone)
        for number, title, amount, notify, paid in demo:
            unit = Unit.objects.get(property=jardins, number=number)
            if Invoice.objects.filter(property=jardins, unit=unit, title=title).exists():
                continue
            invoice = create_invoice(
                actor=manager,
                property=jardins,
                unit_id=unit.pk,
                title=title,
                amount=Decimal(amount),
                due_date=today + dt.timedelta(days=14),
                description="Facture de démonstration." if number != "102" else "Demo invoice.",
                notify_resident=notify,
            )
            publish_invoice(actor=manager, invoice_id=invoice.pk, property=jardins)
            if paid:
                record_payment(
                    property=jardins,
                    invoice_id=invoice.pk,
                    actor=manager,
                    amount=Decimal(amount),
                    paid_on=today,
                    method="cheque",
                    reference="Chèque 1042",
                )

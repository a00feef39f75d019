"""Reads of properties, units, residents, members and audit events: scoped to one property, and
built with a constant number of queries whatever the number of rows."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Count, Exists, F, OuterRef, Prefetch, Q, QuerySet, Subquery, Sum
from django.db.models.lookups import Contains

from logis.accounts.models import Membership, User
from logis.core.errors import NotFound
from logis.core.models import AuditEvent
from logis.core.queries import count_of
from logis.core.search import Fold, fold
from logis.properties.models import Occupancy, Property, Resident, Unit

HUNDRED = Decimal("100")


def properties_of(user: User) -> QuerySet[Property]:
    """The properties on which ``user`` holds a role, by name, with their role."""
    # The role from the membership row the filter joins (one per user and property); the units counted
    # by one index-only count per property, not a join of every unit grouped back (decision 0041: 21 ms
    # for 300 properties of 100 units, most of « Mes propriétés »' SQL).
    return (
        Property.objects.filter(memberships__user=user)
        .annotate(
            my_role=F("memberships__role"),
            unit_count=count_of(Unit.objects.filter(property=OuterRef("pk"))),
        )
        .order_by("name", "pk")
    )


def primary_resident(unit: Unit) -> Resident | None:
    """The unit's primary resident (to whom its invoices, receipts and reminders go), or None (one query).

    The one place this is looked up; many units at once: ``primary_residents``."""
    occupancy = Occupancy.objects.select_related("resident").filter(unit=unit, is_primary=True).first()
    return occupancy.resident if occupancy else None


def primary_residents(unit_ids: Iterable[int]) -> dict[int, Resident]:
    """The primary resident of each of these units that has one, by unit id, in one query."""
    occupancies = Occupancy.objects.select_related("resident").filter(
        unit_id__in=set(unit_ids), is_primary=True
    )
    return {o.unit_id: o.resident for o in occupancies}


def primary_occupancy(unit_ref: str = "pk") -> QuerySet[Occupancy]:
    """The primary occupancy of the outer query's unit (``unit_ref``), for subqueries and ``Exists``."""
    return Occupancy.objects.filter(unit=OuterRef(unit_ref), is_primary=True)


def units_matching(*, property: Property, search: str) -> list[int]:
    """The ids of the property's units whose number, or the name or email of a resident linked to them,
    contains ``search``, accents and case ignored (one query). On PostgreSQL each side is found by its
    trigram index (decision 0044), so a caller can hand the ids to an indexed ``unit_id IN (…)``."""
    term = fold(search.strip())
    by_number = Unit.objects.filter(property=property).filter(Contains(Fold("number"), term))
    residents = Resident.objects.filter(property=property).filter(
        Q(Contains(Fold("name"), term)) | Q(Contains(Fold("email"), term))
    )
    by_resident = Occupancy.objects.filter(resident__in=residents)
    # No order on either side: SQLite refuses one inside a UNION (Unit's default order is its sort key).
    numbers = by_number.order_by().values_list("pk", flat=True)
    return list(numbers.union(by_resident.order_by().values_list("unit_id", flat=True)))


def unit_list(*, property: Property) -> QuerySet[Unit]:
    """Units in natural order, each with its primary resident's id, name and email (one query)."""
    return (
        Unit.objects.filter(property=property)
        .annotate(
            primary_resident_id=Subquery(primary_occupancy().values("resident_id")[:1]),
            primary_resident_name=Subquery(primary_occupancy().values("resident__name")[:1]),
            primary_resident_email=Subquery(primary_occupancy().values("resident__email")[:1]),
            resident_count=Subquery(
                Occupancy.objects.filter(unit=OuterRef("pk"))
                .order_by()
                .values("unit")
                .annotate(n=Count("pk"))
                .values("n")[:1]
            ),
            # Automatic payment on (payments.AutopayEnrolment, named through its reverse relation: payments
            # is above properties); at most one active per unit, so 0 or 1.
            autopay_active=Count("autopay_enrolments", filter=Q(autopay_enrolments__status="active")),
        )
        .order_by("sort_key", "pk")
    )


@dataclass(frozen=True)
class ShareSummary:
    """The sum of the shares (quote-parts) of a property's units."""

    unit_count: int
    with_share: int
    total: Decimal

    @property
    def used(self) -> bool:
        return self.with_share > 0

    @property
    def balanced(self) -> bool:
        """Shares unused, or used on every unit and summing to exactly 100 %."""
        return not self.used or (self.total == HUNDRED and self.with_share == self.unit_count)


def share_summary(*, property: Property) -> ShareSummary:
    row = Unit.objects.filter(property=property).aggregate(
        unit_count=Count("pk"), with_share=Count("share"), total=Sum("share")
    )
    return ShareSummary(
        unit_count=row["unit_count"] or 0,
        with_share=row["with_share"] or 0,
        total=Decimal(row["total"] or 0).quantize(Decimal("0.0001")),
    )


def get_unit(*, property: Property, unit_id: int) -> Unit:
    unit = Unit.objects.filter(property=property, pk=unit_id).first()
    if unit is None:
        raise NotFound
    return unit


def unit_occupancies(*, unit: Unit) -> list[Occupancy]:
    """The residents linked to the unit, primary first."""
    return list(
        Occupancy.objects.filter(unit=unit)
        .select_related("resident")
        .order_by("-is_primary", "resident__name")
    )


def resident_list(*, property: Property, search: str = "") -> QuerySet[Resident]:
    """Residents by name with their links to units (two queries); ``search`` on name or email."""
    qs = Resident.objects.filter(property=property)
    search = search.strip()
    if search:
        qs = qs.filter(Q(name__icontains=search) | Q(email__icontains=search))
    return qs.prefetch_related(
        Prefetch(
            "occupancies",
            queryset=Occupancy.objects.select_related("unit").order_by("unit__sort_key"),
        )
    ).order_by("name", "pk")


def get_resident(*, property: Property, resident_id: int) -> Resident:
    resident = Resident.objects.filter(property=property, pk=resident_id).first()
    if resident is None:
        raise NotFound
    return resident


def resident_occupancies(*, resident: Resident) -> list[Occupancy]:
    return list(Occupancy.objects.filter(resident=resident).select_related("unit").order_by("unit__sort_key"))


@dataclass(frozen=True)
class DashboardCounts:
    units: int
    residents: int
    units_without_primary: int


def dashboard_counts(*, property: Property) -> DashboardCounts:
    """The dashboard's figures in one query. A unit without primary resident is a unit minus the units
    with one (one primary per unit, ``one_primary_resident_per_unit``): two index counts, not a probe of
    the occupancies for every unit (2.6 ms for 2,000 units, decision 0043)."""
    row = (
        Property.objects.filter(pk=property.pk)
        .values(
            unit_count=count_of(Unit.objects.filter(property=OuterRef("pk"))),
            with_primary=count_of(
                Occupancy.objects.filter(unit__property=OuterRef("pk"), is_primary=True), "unit__property"
            ),
            resident_count=count_of(Resident.objects.filter(property=OuterRef("pk"))),
        )
        .get()
    )
    return DashboardCounts(
        units=row["unit_count"],
        residents=row["resident_count"],
        units_without_primary=row["unit_count"] - row["with_primary"],
    )


@dataclass(frozen=True)
class GettingStarted:
    staff_invited: bool


def getting_started(*, property: Property) -> GettingStarted:
    """What the empty dashboard says is done: staff beyond the first administrator, or invited."""
    from logis.accounts.models import StaffInvitation

    others = Membership.objects.filter(property=property).count() > 1
    invited = others or StaffInvitation.objects.filter(property=property, revoked_at__isnull=True).exists()
    return GettingStarted(staff_invited=invited)


def units_without_primary(*, property: Property, limit: int = 10) -> list[Unit]:
    return list(
        Unit.objects.filter(property=property)
        .exclude(Exists(primary_occupancy()))
        .order_by("sort_key", "pk")[:limit]
    )


def _has_totp() -> Exists:
    from allauth.mfa.models import Authenticator

    return Exists(Authenticator.objects.filter(user_id=OuterRef("user_id"), type=Authenticator.Type.TOTP))


def members_of(*, property: Property) -> QuerySet[Membership]:
    """The property's members by email, each with ``two_factor`` (an authenticator app is on)."""
    return (
        Membership.objects.filter(property=property)
        .select_related("user")
        .annotate(two_factor=_has_totp())
        .order_by("user__email")
    )


@dataclass(frozen=True)
class TwoFactorSummary:
    members: int
    with_two_factor: int

    @property
    def without_two_factor(self) -> int:
        return self.members - self.with_two_factor


def two_factor_summary(*, property: Property) -> TwoFactorSummary:
    """How many of the property's members have turned two-factor authentication on (one query)."""
    row = Membership.objects.filter(property=property).aggregate(
        members=Count("pk"), with_two_factor=Count("pk", filter=_has_totp())
    )
    return TwoFactorSummary(members=row["members"] or 0, with_two_factor=row["with_two_factor"] or 0)


def audit_events(*, property: Property) -> QuerySet[AuditEvent]:
    """The property's audit events, newest first, with who did each."""
    return AuditEvent.objects.filter(property=property).select_related("actor").order_by("-created_at", "-id")

"""The demo's recurring dues (``manage.py load_demo``): a newcomer sees Factures > Frais récurrents filled."""

from __future__ import annotations

from decimal import Decimal

from logis.billing.models import RecurringSchedule, ScheduleAmountMode, UnitScope
from logis.billing.periods import first_of_month_after
from logis.core.dates import today_in
from logis.properties.models import Property

DEMO_TITLE = "Cotisations mensuelles — {mois}"


def ensure_demo_schedule(property: Property) -> RecurringSchedule:
    """Monthly dues from next month, by share of a 120 000 $ annual budget, left as drafts to review.
    Idempotent: looked up by its title pattern first."""
    existing = RecurringSchedule.objects.filter(property=property, title_pattern=DEMO_TITLE).first()
    if existing is not None:
        return existing
    return RecurringSchedule.objects.create(
        property=property,
        title_pattern=DEMO_TITLE,
        amount_mode=ScheduleAmountMode.BUDGET,
        amount=Decimal("120000.00"),
        day_of_month=1,
        lead_days=15,
        start_month=first_of_month_after(today_in(property.timezone), 1),
        unit_scope=UnitScope.ALL,
        auto_publish=False,
        notify_resident=True,
        description="Budget annuel adopté en assemblée générale, réparti selon les quotes-parts.",
    )

"""The demo loader adds one recurring dues schedule to Les Jardins du Parc, once."""

from __future__ import annotations

import pytest
from django.core.management import call_command

from logis.billing.models import RecurringSchedule
from logis.billing.periods import first_of_month_after
from logis.billing.recurring import schedule_plan
from logis.core.dates import today_in

pytestmark = pytest.mark.django_db


def test_demo_has_one_monthly_dues_schedule_from_next_month_even_when_loaded_twice() -> None:
    call_command("load_demo", verbosity=0)
    call_command("load_demo", verbosity=0)
    schedule = RecurringSchedule.objects.get()
    assert schedule.property.name == "Les Jardins du Parc"
    assert schedule.start_month == first_of_month_after(today_in("America/Toronto"), 1)
    assert not schedule.auto_publish
    plan, monthly = schedule_plan(schedule, schedule.start_month)
    assert len(plan.rows) == 24 and plan.total == monthly

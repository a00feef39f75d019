"""Safety net: re-enqueue queued emails whose delivery task was lost (a worker died mid-send)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from logis.notifications.delivery import requeue_stalled_emails
from logis.notifications.outbox import RECOVERY_JOBS


class Command(BaseCommand):
    help = "Give a delivery task to every queued email that is due and has none waiting."

    def handle(self, *args: Any, **options: Any) -> None:
        ids = requeue_stalled_emails()
        self.stdout.write(f"{len(ids)} queued email(s) handed to the worker again.")
        for name, job in RECOVERY_JOBS.items():
            found = job(None)
            if found:
                self.stdout.write(f"{name}: {len(found)} handed to the worker again.")

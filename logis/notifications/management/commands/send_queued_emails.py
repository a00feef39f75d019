"""Safety net: re-enqueue queued emails whose delivery task was lost (a worker died mid-send)."""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand

from logis.notifications.services import requeue_missing_published_emails, requeue_stalled_emails


class Command(BaseCommand):
    help = "Give a delivery task to every queued email that is due and has none waiting."

    def handle(self, *args: Any, **options: Any) -> None:
        ids = requeue_stalled_emails()
        self.stdout.write(f"{len(ids)} queued email(s) handed to the worker again.")
        missing = requeue_missing_published_emails()
        if missing:
            self.stdout.write(
                f"{len(missing)} published invoice(s) whose email was never written: preparing it."
            )

"""Run the periodic jobs (recurring dues, reminders, late fees) every ``--interval`` seconds."""

from __future__ import annotations

import signal
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser
from django.db import close_old_connections
from django.utils import timezone

from logis.core.scheduler import jobs, run_due_jobs


class Command(BaseCommand):
    help = "Run the registered periodic jobs once (--once) or every --interval seconds until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="Run every job once, then exit.")
        parser.add_argument("--interval", type=float, default=60.0, help="Seconds between runs (default 60).")

    def handle(self, *args: Any, **options: Any) -> None:
        stopping = False

        def stop(*_: object) -> None:
            nonlocal stopping
            stopping = True

        signal.signal(signal.SIGTERM, stop)
        signal.signal(signal.SIGINT, stop)
        self.stdout.write(f"Scheduler: {', '.join(sorted(jobs())) or 'no job registered'}")
        while True:
            close_old_connections()
            results = run_due_jobs(now=timezone.now())
            done = {name: n for name, n in results.items() if n}
            if done:
                self.stdout.write(f"Scheduler ran: {done}")
            if options["once"] or stopping:
                return
            deadline = time.monotonic() + options["interval"]
            while not stopping and time.monotonic() < deadline:
                time.sleep(0.5)
            if stopping:
                return

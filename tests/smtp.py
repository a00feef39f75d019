"""A real SMTP server for tests (aiosmtpd on 127.0.0.1), the ``smtp_server`` fixture, and
``run_worker()`` (the background worker, run in the test until no task is due).

The fixture points Django's SMTP backend at it. ``stop()`` simulates an outage (connections are
refused) and ``start()`` brings it back on the same port; ``messages`` holds what it received,
parsed with ``email.message_from_bytes``.
"""

from __future__ import annotations

import asyncio
import email
import email.message
import email.policy
import logging
import signal
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from django.core.management import call_command
from django.db import connection
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

# aiosmtpd logs every SMTP command at INFO; keep test output to what matters.
logging.getLogger("mail.log").setLevel(logging.WARNING)


@dataclass(frozen=True)
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: email.message.EmailMessage


class _Handler:
    def __init__(self, server: SMTPServer) -> None:
        self.server = server

    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address.lower() in self.server.refused_recipients:
            return "550 5.1.1 No such user here"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.server.data_delay:
            await asyncio.sleep(self.server.data_delay)  # a slow server: the sender waits for "250"
        raw = envelope.original_content or envelope.content
        parsed = email.message_from_bytes(raw, policy=email.policy.default)
        assert isinstance(parsed, email.message.EmailMessage)
        # Python folds long encoded headers as "Subject: \n =?utf-8?...": mail readers show the value
        # without that leading blank, and so do we (msg["Subject"] == "Nouvelle facture — …").
        for name, value in parsed.items():
            if str(value) != str(value).strip():
                parsed.replace_header(name, str(value).strip())
        with self.server.lock:
            self.server.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), parsed))
        return "250 Message accepted for delivery"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class SMTPServer:
    """aiosmtpd in a thread on 127.0.0.1:``port``; stop() and start() keep the port."""

    host = "127.0.0.1"

    def __init__(self, port: int | None = None) -> None:
        self.port = port or free_port()
        self.received: list[Received] = []
        self.refused_recipients: set[str] = set()
        self.data_delay = 0.0
        self.lock = threading.Lock()
        self._controller: Controller | None = None

    @property
    def url(self) -> str:
        """``EMAIL_URL`` for a worker started as another process."""
        return f"smtp://{self.host}:{self.port}"

    @property
    def running(self) -> bool:
        return self._controller is not None

    @property
    def messages(self) -> list[email.message.EmailMessage]:
        """Every message received so far, in order."""
        with self.lock:
            return [r.message for r in self.received]

    def start(self) -> None:
        if self._controller is not None:
            return
        # A controller cannot be restarted (its event loop is closed on stop): make a new one.
        # asyncio sets SO_REUSEADDR, so the port is free again at once; retry briefly anyway.
        deadline = time.monotonic() + 5
        while True:
            controller = Controller(_Handler(self), hostname=self.host, port=self.port, ready_timeout=5)
            try:
                controller.start()
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
                continue
            self._controller = controller
            return

    def stop(self) -> None:
        """Outage: from now on connections to the port are refused."""
        if self._controller is not None:
            self._controller.stop()
            self._controller = None

    def clear(self) -> None:
        with self.lock:
            self.received.clear()

    def wait_for_messages(self, count: int = 1, timeout: float = 10.0) -> list[email.message.EmailMessage]:
        """Wait until at least ``count`` messages arrived (for a worker in another thread or process)."""
        deadline = time.monotonic() + timeout
        while len(self.messages) < count:
            if time.monotonic() > deadline:
                raise AssertionError(f"expected {count} email(s), received {len(self.messages)}")
            time.sleep(0.05)
        return self.messages


def run_worker() -> None:
    """``manage.py db_worker --batch``: run every task that is due, then return.

    Inside a test's transaction on PostgreSQL the command would close the connection (its
    ``close_old_connections`` sees autocommit off), so there the same loop runs in place: claim
    each ready task and run it with the worker's own ``run_task``.
    """
    if connection.vendor != "sqlite" and connection.in_atomic_block:
        worker = Worker(
            queue_names=["default"],
            interval=0,
            batch=True,
            backend_name="default",
            startup_delay=False,
            max_tasks=None,
            worker_id="test-worker",
            excluded_queue_names=[],
        )
        while (task_result := DBTaskResult.objects.ready().get_locked()) is not None:
            task_result.claim(worker.worker_id)
            worker.run_task(task_result)
        return
    saved = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    try:
        call_command("db_worker", batch=True, interval=0, startup_delay=False, reload=False, verbosity=0)
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def body_text(message: email.message.EmailMessage, subtype: str = "plain") -> str:
    """The decoded text/plain (or text/html) part of a received message."""
    part = message.get_body(preferencelist=(subtype,))
    assert part is not None, f"no text/{subtype} part"
    assert isinstance(part, email.message.EmailMessage)
    return str(part.get_content()).replace("\r\n", "\n")


@pytest.fixture
def smtp_server(settings: Any) -> Iterator[SMTPServer]:
    """A running SMTP server on 127.0.0.1 that Django's SMTP backend sends to."""
    server = SMTPServer()
    server.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = server.host
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 3
    try:
        yield server
    finally:
        server.stop()

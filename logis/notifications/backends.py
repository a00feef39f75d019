"""Email backend for `make run` without EMAIL_URL: prints each message and keeps a copy in var/mail/.

The console shows an attachment (a PDF receipt…) as one line, its name and size, rather than pages of base64;
the copy in var/mail/ keeps the whole message, attachments included.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from email.mime.base import MIMEBase
from typing import Any

from django.core.mail import EmailMessage
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.console import EmailBackend as ConsoleBackend
from django.core.mail.backends.filebased import EmailBackend as FileBackend


def attachment_summary(attachment: Any) -> str:
    """« facture-7.pdf (application/pdf, 2.4 kB) » for an attachment of an EmailMessage."""
    if isinstance(attachment, MIMEBase):
        name = attachment.get_filename() or "attachment"
        mimetype = attachment.get_content_type()
        payload = attachment.get_payload(decode=True)
        size = len(payload) if isinstance(payload, bytes) else 0
    else:
        name, content, mimetype = attachment
        size = len(content.encode() if isinstance(content, str) else content)
    readable = f"{size} B" if size < 1000 else f"{size / 1000:.1f} kB"
    return f"{name} ({mimetype or 'application/octet-stream'}, {readable})"


class SummaryConsoleBackend(ConsoleBackend):
    """Django's console backend, with each attachment printed as its name and size."""

    def write_message(self, message: EmailMessage) -> None:
        if not message.attachments:
            super().write_message(message)
            return
        shown = copy.copy(message)
        shown.attachments = []
        msg_data = shown.message().as_bytes().decode(shown.encoding or "utf-8", errors="replace")
        self.stream.write(f"{msg_data}\n")
        for attachment in message.attachments:
            self.stream.write(f"[attachment: {attachment_summary(attachment)}]\n")
        self.stream.write("-" * 79)
        self.stream.write("\n")


class ConsoleAndFileBackend(BaseEmailBackend):
    def __init__(self, fail_silently: bool = False, **kwargs: Any) -> None:
        super().__init__(fail_silently=fail_silently)
        self.console = SummaryConsoleBackend(fail_silently=fail_silently, **kwargs)
        self.file = FileBackend(fail_silently=fail_silently, **kwargs)

    def send_messages(self, email_messages: Sequence[EmailMessage]) -> int:
        self.console.send_messages(email_messages)
        return self.file.send_messages(email_messages)

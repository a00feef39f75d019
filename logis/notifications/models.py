from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _


class DeliveryStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class EmailMessage(models.Model):
    """One email to one person, written in their language when queued; the worker delivers it.

    ``key`` makes queuing idempotent (``invoice-published:42``): the same notice is never queued twice.

    Status while retrying: a message stays QUEUED until it is sent or given up on. After a failed
    attempt it carries ``attempts`` > 0, ``last_error_code``/``last_error`` and ``next_attempt_at``
    (when the next try is due); the UI reads that as "queued — retrying at …". FAILED is final.
    ``next_attempt_at`` also serves as the sender's lease: a worker sets it a few minutes ahead
    before talking to the mail server, so a second worker never sends the same message meanwhile.
    """

    property = models.ForeignKey(
        "properties.Property", null=True, blank=True, on_delete=models.PROTECT, related_name="emails"
    )
    invoice = models.ForeignKey(
        "invoicing.Invoice", null=True, blank=True, on_delete=models.PROTECT, related_name="emails"
    )
    key = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=40)
    to_email = models.EmailField()
    language = models.CharField(max_length=2, default="fr")
    subject = models.CharField(max_length=255)
    body_text = models.TextField()
    body_html = models.TextField(blank=True)
    status = models.CharField(max_length=8, choices=DeliveryStatus.choices, default=DeliveryStatus.QUEUED)
    attempts = models.PositiveIntegerField(default=0)
    # Why the last attempt failed: a stable code (translated when shown) and the server's own words.
    last_error_code = models.CharField(max_length=32, blank=True)
    last_error = models.TextField(blank=True)
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["invoice", "-created_at"]), models.Index(fields=["status"])]
        verbose_name = _("email")
        verbose_name_plural = _("emails")

    def __str__(self) -> str:
        return f"{self.kind} → {self.to_email} ({self.status})"

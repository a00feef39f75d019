"""The read-only admin of the domain apps' objects (see ``logis.core.admin``): properties, units, residents,
invoices, payments, unit credit, Checkout Sessions, Stripe events and emails."""

from __future__ import annotations

from django.contrib import admin

from logis.core.admin import ReadOnlyModelAdmin
from logis.invoicing.models import Invoice
from logis.notifications.models import EmailMessage
from logis.payments.models import CheckoutSession, Payment, UnitCredit, WebhookEvent
from logis.properties.models import Property, Resident, Unit


@admin.register(Property)
class PropertyAdmin(ReadOnlyModelAdmin):
    list_display = (
        "id",
        "name",
        "language",
        "timezone",
        "payments_enabled",
        "require_staff_mfa",
        "created_at",
    )
    list_filter = ("payments_enabled", "language", "require_staff_mfa")
    search_fields = ("name", "address")


@admin.register(Unit)
class UnitAdmin(ReadOnlyModelAdmin):
    list_display = ("number", "property", "share", "created_at")
    list_filter = ("property",)
    search_fields = ("number", "property__name")
    list_select_related = ("property",)
    ordering = ("property", "sort_key")


@admin.register(Resident)
class ResidentAdmin(ReadOnlyModelAdmin):
    list_display = ("name", "email", "property", "language", "user")
    list_filter = ("property", "language")
    search_fields = ("name", "email", "phone")
    list_select_related = ("property", "user")


@admin.register(Invoice)
class InvoiceAdmin(ReadOnlyModelAdmin):
    list_display = (
        "id",
        "number",
        "property",
        "unit",
        "title",
        "amount",
        "amount_paid",
        "status",
        "due_date",
    )
    list_filter = ("status", "property")
    search_fields = ("=id", "=number", "title", "unit__number")
    list_select_related = ("property", "unit")
    date_hierarchy = "due_date"


@admin.register(Payment)
class PaymentAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "property", "unit", "invoice", "kind", "status", "amount", "method", "paid_on")
    list_filter = ("kind", "status", "method", "property")
    search_fields = ("=id", "=invoice__number", "reference", "provider_payment_id", "provider_session_id")
    list_select_related = ("property", "unit", "invoice")
    date_hierarchy = "paid_on"


@admin.register(UnitCredit)
class UnitCreditAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "property", "unit", "kind", "amount", "invoice", "payment", "created_at")
    list_filter = ("kind", "property")
    search_fields = ("=id", "unit__number", "reason")
    list_select_related = ("property", "unit", "invoice", "payment")


@admin.register(CheckoutSession)
class CheckoutSessionAdmin(ReadOnlyModelAdmin):
    list_display = (
        "session_id",
        "property",
        "invoice",
        "amount",
        "status",
        "payment_status",
        "demo",
        "created_at",
    )
    list_filter = ("status", "demo", "property")
    search_fields = ("session_id", "=invoice__number")
    list_select_related = ("property", "invoice")


@admin.register(WebhookEvent)
class WebhookEventAdmin(ReadOnlyModelAdmin):
    list_display = ("event_id", "type", "outcome", "property", "received_at")
    list_filter = ("outcome", "type")
    search_fields = ("event_id", "detail")
    list_select_related = ("property",)


@admin.register(EmailMessage)
class EmailMessageAdmin(ReadOnlyModelAdmin):
    list_display = ("id", "kind", "to_email", "subject", "status", "attempts", "created_at", "sent_at")
    list_filter = ("status", "kind", "language")
    search_fields = ("to_email", "subject", "key")
    date_hierarchy = "created_at"

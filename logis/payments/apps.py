from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class PaymentsConfig(AppConfig):
    name = "logis.payments"
    label = "payments"
    verbose_name = _("Payments")

    def ready(self) -> None:
        from logis.invoicing.emails import register_pay_link
        from logis.payments import checks  # noqa: F401 - registers the Stripe deployment checks
        from logis.payments.models import PaymentStatus
        from logis.payments.paylinks import email_pay_link
        from logis.payments.receipts import register
        from logis.properties.audit_display import register_value_labels

        register_value_labels("payments.payment", "status", PaymentStatus.choices)
        register()  # the receipt's PDF attached to its email by the outbox
        register_pay_link(lambda invoice, sent_to: email_pay_link(invoice=invoice, sent_to=sent_to))

        from logis.core import scheduler
        from logis.payments import autopay_events, stripe_events
        from logis.payments.autopay import run_autopay

        autopay_events.register(stripe_events.HANDLERS, stripe_events.COMPLETED)
        scheduler.register("payments.autopay", run_autopay)

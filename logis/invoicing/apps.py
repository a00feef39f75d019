from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicingConfig(AppConfig):
    name = "logis.invoicing"
    label = "invoicing"
    verbose_name = _("Invoicing")

    def ready(self) -> None:
        from logis.invoicing.emails import register
        from logis.invoicing.models import InvoiceStatus
        from logis.properties.audit_display import register_value_labels

        register_value_labels("invoicing.invoice", "status", InvoiceStatus.choices)
        register()  # with the outbox: a voided invoice's emails cancelled, lost publish emails recovered

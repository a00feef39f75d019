from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class InvoicingConfig(AppConfig):
    name = "logis.invoicing"
    label = "invoicing"
    verbose_name = _("Invoicing")

    def ready(self) -> None:
        from logis.invoicing.emails import register

        register()  # with the outbox: a voided invoice's emails cancelled, lost publish emails recovered

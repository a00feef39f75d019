from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BankingConfig(AppConfig):
    name = "logis.banking"
    label = "banking"
    verbose_name = _("Bank deposits")

    def ready(self) -> None:
        # The audit log names our events; registered from here so the properties app needs no change.
        from logis.core.audit import Verb, label_verbs
        from logis.properties import audit_display

        label_verbs(
            {
                Verb.BANK_STATEMENT_IMPORTED: _("Bank statement imported"),
                Verb.BANK_LINE_MATCHED: _("Bank deposit matched to an invoice"),
                Verb.DEPOSIT_BATCH_RECORDED: _("Cheque deposit recorded"),
            }
        )
        audit_display.MONEY_FIELDS.add("total")
        audit_display.DATE_FIELDS.update({"posted_on", "deposited_on"})
        audit_display.FIELDS_BY_TYPE.setdefault("banking.bankstatement", {}).update(
            {
                "file": _("File"),
                "format": _("Format"),
                "bank": _("Bank"),
                "lines": _("Lines read"),
                "deposits_new": _("New deposits"),
                "deposits_known": _("Deposits already imported"),
            }
        )
        audit_display.FIELDS_BY_TYPE.setdefault("banking.bankline", {}).update(
            {
                "line_id": _("Bank line"),
                "amount": _("Amount"),
                "posted_on": _("Date"),
                "invoice": _("Invoice"),
                "payment": _("Payment"),
            }
        )
        audit_display.FIELDS_BY_TYPE.setdefault("banking.depositbatch", {}).update(
            {
                "number": _("Number"),
                "deposited_on": _("Deposit date"),
                "cheques": _("Cheques"),
                "total": _("Total"),
            }
        )

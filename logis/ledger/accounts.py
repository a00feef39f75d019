"""The chart of accounts as the treasurer maps it (Rapports > « Plan comptable », decision 0035): each
account's code and the name the treasurer's own books (QuickBooks Online, an accountant's chart) give it.

Only the account's ``code`` and ``export_name`` change; the journal's entries and lines point at the
account and are never touched, so every export made after the change reads the new code and name.
Codes stay unique per property (whatever their case), so an export can be mapped back without doubt.
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from logis.core import audit
from logis.core.audit import Verb
from logis.core.errors import NotFound, ValidationError
from logis.core.permissions import Action, require
from logis.ledger.models import Account
from logis.properties.models import Property

if TYPE_CHECKING:
    from logis.accounts.models import User

CODE_MAX = 20
EXPORT_NAME_MAX = 100
# Letters, digits and the separators charts of accounts use (1100, 1100-01, 4000.10, A_R); no spaces, so
# a code reads the same in every spreadsheet.
CODE_PATTERN = re.compile(r"^[0-9A-Za-z][0-9A-Za-z._-]*$")
FIELDS = ["code", "export_name"]


def chart_of_accounts(*, property: Property) -> QuerySet[Account]:
    """The property's accounts by code, with what their names need (one query)."""
    return Account.objects.filter(property=property).select_related("category__fund").order_by("code", "id")


def _clean_code(prop: Property, code: str, account_id: int) -> tuple[str, str | None]:
    code = (code or "").strip()
    if not code:
        return code, _("Enter a code.")
    if len(code) > CODE_MAX:
        return code, _("The code may have at most %(max)d characters.") % {"max": CODE_MAX}
    if not CODE_PATTERN.match(code):
        return code, _("Use only letters, digits, dots, dashes and underscores, with no spaces.")
    taken = Account.objects.filter(property=prop, code__iexact=code).exclude(pk=account_id).first()
    if taken is not None:
        return code, _("The account « %(name)s » already has this code.") % {"name": taken.display_name}
    return code, None


def _clean_export_name(name: str) -> tuple[str, str | None]:
    name = " ".join((name or "").split())
    if len(name) > EXPORT_NAME_MAX:
        return name, _("The name may have at most %(max)d characters.") % {"max": EXPORT_NAME_MAX}
    return name, None


def update_account(
    *, actor: User, property: Property, account_id: int, code: str, export_name: str
) -> Account:
    """Change an account's code and its name in the exports; the journal itself is never changed."""
    require(actor, Action.MANAGE_FINANCES, property)
    with transaction.atomic():
        # One writer of the chart at a time per property: two people cannot give two accounts one code.
        prop = Property.objects.select_for_update().get(pk=property.pk)
        account = (
            Account.objects.select_for_update(of=("self",))  # not the category: an outer join
            .select_related("category__fund")
            .filter(property=prop, pk=account_id)
            .first()
        )
        if account is None:
            raise NotFound(_("This account does not exist."))
        errors: dict[str, str] = {}
        code, code_error = _clean_code(prop, code, account.pk)
        if code_error:
            errors["code"] = code_error
        export_name, name_error = _clean_export_name(export_name)
        if name_error:
            errors["export_name"] = name_error
        if errors:
            raise ValidationError(errors)
        before = audit.snapshot(account, FIELDS)
        account.code = code
        account.export_name = export_name
        try:
            with transaction.atomic():
                account.save(update_fields=["code", "export_name"])
        except IntegrityError:  # the database's unique code, as a backstop
            raise ValidationError({"code": _("Another account already has this code.")}) from None
        audit.record(
            actor, Verb.LEDGER_ACCOUNT_UPDATED, account, before=before, after=audit.snapshot(account, FIELDS)
        )
        return account

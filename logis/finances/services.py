"""Funds, charge categories and the syndicate's tax registration numbers: every change goes through here.

Rules:
- The three legal funds (operating, contingency art. 1071 C.c.Q., self-insurance art. 1071.1) are
  always there and active; they may be renamed. Custom funds may be added, renamed, deactivated.
- A category belongs to one active fund. Nothing billed is ever deleted: a fund or category in use
  (a category, an invoice line, a budget) is deactivated, never deleted; only unused custom ones are.
- Condo contributions are exempt from GST/QST: the default category and the built-in contribution
  categories (condo fees, special assessment, late fee, opening balance) stay exempt, so every
  one-line invoice Logis writes in bulk (batches, recurring dues, imports) is exactly its amount.
- GST and QST numbers have the Canada Revenue Agency's and Revenu Québec's formats
  (123456789RT0001, 1234567890TQ0001).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING

from django.db import IntegrityError, transaction
from django.db.models import ProtectedError
from django.utils.translation import gettext as _

from logis.core import audit
from logis.core.audit import Verb
from logis.core.errors import InvalidTransition, NotFound, ValidationError
from logis.core.permissions import Action, require
from logis.finances.models import CategoryCode, ChargeCategory, Fund, FundKind, TaxRegistration
from logis.finances.selectors import ensure_finance_defaults
from logis.properties.models import Property

if TYPE_CHECKING:
    from logis.accounts.models import User

NAME_MAX = 80
# Supplies of a syndicate to its co-owners: exempt (Excise Tax Act, Sch. V, Part I, s. 4; QST Act s. 99).
ALWAYS_EXEMPT = frozenset(
    {
        CategoryCode.CONDO_FEES,
        CategoryCode.SPECIAL_ASSESSMENT,
        CategoryCode.LATE_FEE,
        CategoryCode.OPENING_BALANCE,
    }
)
FUND_FIELDS = ["kind", "name", "is_active"]
CATEGORY_FIELDS = ["name", "fund", "taxable", "is_active", "is_default"]

GST_PATTERN = re.compile(r"^\d{9}RT\d{4}$")
QST_PATTERN = re.compile(r"^\d{10}TQ\d{4}$")


def _clean_name(name: str | None, *, required: bool) -> tuple[str, str | None]:
    name = " ".join((name or "").split())
    if not name and required:
        return name, _("Enter a name.")
    if len(name) > NAME_MAX:
        return name, _("The name may have at most %(max)d characters.") % {"max": NAME_MAX}
    return name, None


def _fund_name_taken(prop: Property, name: str, exclude_id: int | None = None) -> bool:
    others = Fund.objects.filter(property=prop).exclude(pk=exclude_id or 0)
    return any(f.display_name.casefold() == name.casefold() for f in others)


def _category_name_taken(prop: Property, name: str, exclude_id: int | None = None) -> bool:
    others = ChargeCategory.objects.filter(property=prop).exclude(pk=exclude_id or 0)
    return any(c.display_name.casefold() == name.casefold() for c in others)


def _locked_property(prop: Property) -> Property:
    # One writer at a time per property: names are unique whatever the language they are read in.
    return Property.objects.select_for_update().get(pk=prop.pk)


def _locked_fund(prop: Property, fund_id: int) -> Fund:
    fund = Fund.objects.select_for_update().filter(property=prop, pk=fund_id).first()
    if fund is None:
        raise NotFound(_("This fund does not exist."))
    return fund


def _locked_category(prop: Property, category_id: int) -> ChargeCategory:
    category = ChargeCategory.objects.select_for_update().filter(property=prop, pk=category_id).first()
    if category is None:
        raise NotFound(_("This category does not exist."))
    return category


def create_fund(*, actor: User, property: Property, name: str) -> Fund:
    """A custom fund (beside the three legal ones), active."""
    require(actor, Action.MANAGE_FINANCES, property)
    with transaction.atomic():
        prop = _locked_property(property)
        ensure_finance_defaults(prop)
        name, error = _clean_name(name, required=True)
        if error is None and _fund_name_taken(prop, name):
            error = _("A fund of this property already has this name.")
        if error:
            raise ValidationError({"name": error})
        position = Fund.objects.filter(property=prop).count()
        fund = Fund.objects.create(property=prop, kind=FundKind.CUSTOM, name=name, position=position)
        audit.record(actor, Verb.FUND_CREATED, fund, after=audit.snapshot(fund, FUND_FIELDS))
        return fund


def update_fund(*, actor: User, property: Property, fund_id: int, name: str, is_active: bool) -> Fund:
    """Rename a fund (a legal one left unnamed follows the reader's language); (de)activate a custom one."""
    require(actor, Action.MANAGE_FINANCES, property)
    with transaction.atomic():
        prop = _locked_property(property)
        fund = _locked_fund(prop, fund_id)
        name, error = _clean_name(name, required=not fund.is_legal)
        if error is None and name and _fund_name_taken(prop, name, exclude_id=fund.pk):
            error = _("A fund of this property already has this name.")
        if error:
            raise ValidationError({"name": error})
        if fund.is_legal and name == str(FundKind(fund.kind).label):
            name = ""  # the default name: keep following the reader's language
        if not is_active and fund.is_legal:
            raise ValidationError(
                {"is_active": _("The operating, contingency and self-insurance funds are required by law.")}
            )
        if not is_active and fund.categories.filter(is_active=True).exists():
            raise ValidationError(
                {"is_active": _("Deactivate its categories or move them to another fund first.")}
            )
        before = audit.snapshot(fund, FUND_FIELDS)
        fund.name = name
        fund.is_active = is_active
        fund.save(update_fields=["name", "is_active"])
        audit.record(actor, Verb.FUND_UPDATED, fund, before=before, after=audit.snapshot(fund, FUND_FIELDS))
        return fund


def fund_in_use(fund: Fund) -> bool:
    return fund.is_legal or fund.categories.exists()


def delete_fund(*, actor: User, property: Property, fund_id: int) -> None:
    """Delete a custom fund nothing uses (no category); one in use is deactivated instead."""
    require(actor, Action.MANAGE_FINANCES, property)
    with transaction.atomic():
        prop = _locked_property(property)
        fund = _locked_fund(prop, fund_id)
        if fund_in_use(fund):
            raise InvalidTransition(_("This fund is in use: deactivate it instead."))
        before = audit.snapshot(fund, FUND_FIELDS)
        audit.record(actor, Verb.FUND_DELETED, fund, before=before)
        try:
            with transaction.atomic():
                fund.delete()
        except (ProtectedError, IntegrityError):  # a budget or another record points to it
            raise InvalidTransition(_("This fund is in use: deactivate it instead.")) from None


def _clean_category(
    prop: Property,
    *,
    category: ChargeCategory | None,
    name: str,
    fund_id: int | None,
    taxable: bool,
    is_active: bool,
    is_default: bool,
) -> tuple[str, Fund]:
    errors: dict[str, str] = {}
    builtin = category is not None and bool(category.code)
    name, name_error = _clean_name(name, required=not builtin)
    if (
        name_error is None
        and name
        and _category_name_taken(prop, name, exclude_id=category.pk if category else None)
    ):
        name_error = _("A category of this property already has this name.")
    if name_error:
        errors["name"] = name_error
    fund = Fund.objects.filter(property=prop, pk=fund_id).first() if fund_id else None
    if fund is None or not (fund.is_active or (category is not None and category.fund_id == fund.pk)):
        errors["fund"] = _("Choose an active fund of this property.")
    if taxable and category is not None and category.code in ALWAYS_EXEMPT:
        errors["taxable"] = _(
            "Contributions of co-owners, late fees and opening balances are exempt from GST and QST."
        )
    elif taxable and is_default:
        errors["taxable"] = _("The default category is exempt: choose another default category first.")
    if is_default and not is_active:
        errors["is_active"] = _("The default category stays active: choose another default category first.")
    if errors:
        raise ValidationError(errors)
    assert fund is not None
    return name, fund


def _make_default(prop: Property, category: ChargeCategory) -> None:
    ChargeCategory.objects.filter(property=prop, is_default=True).exclude(pk=category.pk).update(
        is_default=False
    )


def create_category(
    *,
    actor: User,
    property: Property,
    name: str,
    fund_id: int | None,
    taxable: bool = False,
    is_default: bool = False,
) -> ChargeCategory:
    """A new active category of one fund, taxable or exempt."""
    require(actor, Action.MANAGE_FINANCES, property)
    with transaction.atomic():
        prop = _locked_property(property)
        ensure_finance_defaults(prop)
        name, fund = _clean_category(
            prop,
            category=None,
            name=name,
            fund_id=fund_id,
            taxable=taxable,
            is_active=True,
            is_default=is_default,
        )
        position = ChargeCategory.objects.filter(property=prop).count()
        if is_default:
            ChargeCategory.objects.filter(property=prop, is_default=True).update(is_default=False)
        category = ChargeCategory.objects.create(
            property=prop, fund=fund, name=name, taxable=taxable, is_default=is_default, position=position
        )
        audit.record(actor, Verb.CATEGORY_CREATED, category, after=audit.snapshot(category, CATEGORY_FIELDS))
        return category


def update_category(
    *,
    actor: User,
    property: Property,
    category_id: int,
    name: str,
    fund_id: int | None,
    taxable: bool,
    is_active: bool,
    is_default: bool,
) -> ChargeCategory:
    """Rename, move to another fund, make taxable or exempt, (de)activate, make the default category.

    Lines already written keep their taxes: only invoices made afterwards follow the change."""
    require(actor, Action.MANAGE_FINANCES, property)
    with transaction.atomic():
        prop = _locked_property(property)
        category = _locked_category(prop, category_id)
        if category.is_default and not is_default:
            raise ValidationError({"is_default": _("Choose another category as the default one instead.")})
        name, fund = _clean_category(
            prop,
            category=category,
            name=name,
            fund_id=fund_id,
            taxable=taxable,
            is_active=is_active,
            is_default=is_default,
        )
        if category.code and name == str(CategoryCode(category.code).label):
            name = ""  # the default name: keep following the reader's language
        before = audit.snapshot(category, CATEGORY_FIELDS)
        if is_default:
            _make_default(prop, category)
        category.name = name
        category.fund = fund
        category.taxable = taxable
        category.is_active = is_active
        category.is_default = is_default
        category.save(update_fields=["name", "fund", "taxable", "is_active", "is_default"])
        audit.record(
            actor,
            Verb.CATEGORY_UPDATED,
            category,
            before=before,
            after=audit.snapshot(category, CATEGORY_FIELDS),
        )
        return category


def category_in_use(category: ChargeCategory) -> bool:
    return bool(category.code) or category.is_default or category.invoice_lines.exists()


def delete_category(*, actor: User, property: Property, category_id: int) -> None:
    """Delete a custom category no invoice line uses; one in use is deactivated instead."""
    require(actor, Action.MANAGE_FINANCES, property)
    with transaction.atomic():
        prop = _locked_property(property)
        category = _locked_category(prop, category_id)
        if category_in_use(category):
            raise InvalidTransition(_("This category is in use: deactivate it instead."))
        audit.record(actor, Verb.CATEGORY_DELETED, category, before=audit.snapshot(category, CATEGORY_FIELDS))
        try:
            with transaction.atomic():
                category.delete()
        except (ProtectedError, IntegrityError):
            raise InvalidTransition(_("This category is in use: deactivate it instead.")) from None


def clean_gst_number(text: str | None) -> tuple[str, str | None]:
    """A GST/HST number as the CRA writes it (123456789RT0001), and why it is refused (None if it is not)."""
    value = re.sub(r"[\s-]", "", text or "").upper()
    if value and not GST_PATTERN.match(value):
        return value, _("A GST number has 9 digits, RT and 4 digits, for example 123456789RT0001.")
    return value, None


def clean_qst_number(text: str | None) -> tuple[str, str | None]:
    """A QST number as Revenu Québec writes it (1234567890TQ0001), and why it is refused."""
    value = re.sub(r"[\s-]", "", text or "").upper()
    if value and not QST_PATTERN.match(value):
        return value, _("A QST number has 10 digits, TQ and 4 digits, for example 1234567890TQ0001.")
    return value, None


def update_tax_registration(
    *, actor: User, property: Property, gst_number: str, qst_number: str
) -> TaxRegistration:
    """The syndicate's GST and QST numbers (blank when not registered), printed on taxable invoices."""
    require(actor, Action.MANAGE_FINANCES, property)
    gst, gst_error = clean_gst_number(gst_number)
    qst, qst_error = clean_qst_number(qst_number)
    errors = {k: v for k, v in (("gst_number", gst_error), ("qst_number", qst_error)) if v}
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        prop = _locked_property(property)
        registration, _created = TaxRegistration.objects.select_for_update().get_or_create(property=prop)
        before = audit.snapshot(registration, ["gst_number", "qst_number"])
        registration.gst_number = gst
        registration.qst_number = qst
        registration.save()
        audit.record(
            actor,
            Verb.TAX_REGISTRATION_UPDATED,
            registration,
            property=prop,
            before=before,
            after=audit.snapshot(registration, ["gst_number", "qst_number"]),
        )
        return registration

"""Reads of funds and charge categories."""

from __future__ import annotations

from django.db import IntegrityError, transaction
from django.db.models import QuerySet

from logis.finances.defaults import create_defaults
from logis.finances.models import CategoryCode, ChargeCategory, Fund, TaxRegistration
from logis.properties.models import Property


def ensure_finance_defaults(prop: Property) -> None:
    """The legal funds and default categories of ``prop`` exist (made at set-up; here for other paths)."""
    if not ChargeCategory.objects.filter(property=prop, is_default=True).exists():
        try:
            with transaction.atomic():  # a savepoint: two first requests at once make them once
                create_defaults(prop.pk, Fund, ChargeCategory)
        except IntegrityError:
            pass  # the other transaction made them (its commit is what let this insert fail)


def funds(prop: Property) -> QuerySet[Fund]:
    ensure_finance_defaults(prop)
    return Fund.objects.filter(property=prop)


def categories(prop: Property, *, active_only: bool = False) -> QuerySet[ChargeCategory]:
    ensure_finance_defaults(prop)
    qs = ChargeCategory.objects.filter(property=prop).select_related("fund")
    return qs.filter(is_active=True) if active_only else qs


def default_category(prop: Property) -> ChargeCategory:
    """The category of a one-line invoice made without choosing one."""
    ensure_finance_defaults(prop)
    return ChargeCategory.objects.select_related("fund").get(property=prop, is_default=True)


def category_by_code(prop: Property, code: CategoryCode) -> ChargeCategory:
    """A default category Logis bills into by itself (late fee, opening balance...), else the default one."""
    ensure_finance_defaults(prop)
    found = ChargeCategory.objects.select_related("fund").filter(property=prop, code=code).first()
    return found or default_category(prop)


def tax_registration(prop: Property) -> TaxRegistration:
    """The property's GST and QST numbers (an unsaved empty record when none were entered)."""
    return TaxRegistration.objects.filter(property=prop).first() or TaxRegistration(property=prop)

"""The three legal funds and the default charge categories every property has.

Written against the model classes it is given, so the data migration (historical models) and the
set-up service (current models) run the same code.
"""

from __future__ import annotations

from typing import Any

# (code, fund kind, taxable, is_default)
DEFAULT_CATEGORIES: tuple[tuple[str, str, bool, bool], ...] = (
    ("condo_fees", "operating", False, True),
    ("special_assessment", "contingency", False, False),
    ("late_fee", "operating", False, False),
    ("opening_balance", "operating", False, False),
    ("parking", "operating", False, False),
    ("key_fob", "operating", False, False),
    ("other", "operating", False, False),
)
LEGAL_FUNDS: tuple[str, ...] = ("operating", "contingency", "self_insurance")


def create_defaults(property_id: int, fund_model: Any, category_model: Any) -> None:
    """Create what is missing of the legal funds and default categories of one property (idempotent)."""
    funds = {f.kind: f for f in fund_model.objects.filter(property_id=property_id).exclude(kind="custom")}
    for position, kind in enumerate(LEGAL_FUNDS):
        if kind not in funds:
            funds[kind] = fund_model.objects.create(property_id=property_id, kind=kind, position=position)
    existing = set(
        category_model.objects.filter(property_id=property_id).exclude(code="").values_list("code", flat=True)
    )
    has_default = category_model.objects.filter(property_id=property_id, is_default=True).exists()
    for position, (code, kind, taxable, is_default) in enumerate(DEFAULT_CATEGORIES):
        if code in existing:
            continue
        category_model.objects.create(
            property_id=property_id,
            fund=funds[kind],
            code=code,
            taxable=taxable,
            is_default=is_default and not has_default,
            position=position,
        )

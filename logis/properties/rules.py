"""The input rules of units and residents: the services apply them, and the forms (and the imports)
call them too, so all say the same thing."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

from logis.core.errors import ValidationError
from logis.core.language import Language

UNIT_NUMBER_MAX = 20
RESIDENT_NAME_MAX = 120
PHONE_MAX = 32
_PHONE = re.compile(r"^[0-9+().\-\s]*((x|ext\.?|poste)\s*[0-9]+)?$", re.IGNORECASE)
_SPACES = re.compile(r"\s+")


def clean_unit_number(number: str) -> str:
    """Trimmed, inner runs of spaces collapsed; required, at most 20 characters."""
    value = _SPACES.sub(" ", (number or "").strip())
    if not value:
        raise ValidationError({"number": _("Enter the unit number.")})
    if len(value) > UNIT_NUMBER_MAX:
        raise ValidationError(
            {"number": _("The unit number has at most %(max)d characters.") % {"max": UNIT_NUMBER_MAX}}
        )
    return value


def parse_share(text: str | Decimal | None) -> Decimal | None:
    """A percentage between 0 and 100 with at most 4 decimals; accepts ``4,1667`` and ``4.1667 %``."""
    if text is None:
        return None
    if isinstance(text, Decimal):
        value = text
    else:
        raw = _SPACES.sub("", text.replace("\u00a0", "").replace("\u202f", "")).rstrip("%")
        if not raw:
            return None
        if raw.count(",") + raw.count(".") > 1 or not re.fullmatch(r"[0-9]*[.,]?[0-9]*", raw):
            raise ValidationError({"share": _("Enter a percentage such as 4.1667.")})
        try:
            value = Decimal(raw.replace(",", "."))
        except InvalidOperation as exc:
            raise ValidationError({"share": _("Enter a percentage such as 4.1667.")}) from exc
    if not value.is_finite():
        raise ValidationError({"share": _("Enter a percentage such as 4.1667.")})
    if value < 0 or value > 100:
        raise ValidationError({"share": _("The share is between 0 and 100 %.")})
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -4:
        raise ValidationError({"share": _("The share has at most 4 decimals.")})
    return value.quantize(Decimal("0.0001"))


def clean_resident(name: str, email: str, phone: str, language: str) -> dict[str, str]:
    """A resident's fields trimmed and checked: name required, email and phone valid when given."""
    errors: dict[str, Any] = {}
    name = _SPACES.sub(" ", (name or "").strip())
    email = (email or "").strip()
    phone = _SPACES.sub(" ", (phone or "").strip())
    if not name:
        errors["name"] = _("Enter the resident's name.")
    elif len(name) > RESIDENT_NAME_MAX:
        errors["name"] = _("The name has at most %(max)d characters.") % {"max": RESIDENT_NAME_MAX}
    if email:
        try:
            validate_email(email)
        except DjangoValidationError:
            errors["email"] = _("Enter a valid email address, such as name@example.com.")
        else:
            if len(email) > 254:
                errors["email"] = _("Enter a valid email address, such as name@example.com.")
    if len(phone) > PHONE_MAX:
        errors["phone"] = _("The phone number has at most %(max)d characters.") % {"max": PHONE_MAX}
    elif not _PHONE.fullmatch(phone):
        errors["phone"] = _("Enter a phone number such as 514 555-0123.")
    if language not in Language.values:
        errors["language"] = _("Choose French or English.")
    if errors:
        raise ValidationError(errors)
    return {"name": name, "email": email.lower(), "phone": phone, "language": language}

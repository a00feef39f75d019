"""Setting up a property: the wizard's and the « Propriété » settings page's rules (name, legal name,
NEQ, address, time zone, language of documents, fiscal year, first invoice number, logo).

The NEQ check is ours: python-stdnum has Canada's business number (BN) and SIN but no Quebec
enterprise number (docs/decisions/0016-organizations-and-property-setup.md).
"""

from __future__ import annotations

import io
import re
import secrets
import zoneinfo
from dataclasses import dataclass
from typing import Any

from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils.translation import gettext_lazy as _
from PIL import Image, UnidentifiedImageError

from logis.accounts.models import Membership, User
from logis.accounts.organizations import administered_organization
from logis.core import audit
from logis.core.audit import Verb
from logis.core.errors import ValidationError
from logis.core.language import Language
from logis.core.links import absolute_url
from logis.core.permissions import Action, Role, require
from logis.finances.selectors import ensure_finance_defaults
from logis.properties.models import Property, Province

DEFAULT_TIMEZONE = "America/Toronto"
# The zones a Canadian property is in, Quebec's first; the service accepts any IANA zone.
CANADIAN_TIMEZONES = [
    "America/Toronto",
    "America/Blanc-Sablon",
    "America/Halifax",
    "America/Moncton",
    "America/St_Johns",
    "America/Winnipeg",
    "America/Regina",
    "America/Edmonton",
    "America/Vancouver",
    "America/Whitehorse",
]
NAME_MAX = 120
LEGAL_NAME_MAX = 200
ADDRESS_MAX = 255
FIRST_INVOICE_NUMBER_MAX = 999_999_999
LOGO_MAX_BYTES = 1024 * 1024  # 1 MB: a logo on an A4 page needs far less
LOGO_MAX_SIDE = 4000
LOGO_FORMATS = {"PNG": "png", "JPEG": "jpg"}
PROFILE_FIELDS = [
    "name",
    "legal_name",
    "neq",
    "address",
    "timezone",
    "province",
    "language",
    "fiscal_year_start_month",
    "next_invoice_number",
]
_SPACES = re.compile(r"\s+")
_NEQ_SEPARATORS = re.compile(r"[\s\u00a0\u202f.\-]")


def clean_neq(text: str | None) -> str:
    """A Quebec enterprise number (NEQ): exactly 10 digits once spaces, dots and dashes are removed
    (``1 234 567 890`` → ``1234567890``); empty when none is given."""
    value = _NEQ_SEPARATORS.sub("", text or "")
    if not value:
        return ""
    if not value.isascii() or not value.isdigit() or len(value) != 10:
        raise ValidationError({"neq": _("The NEQ has exactly 10 digits, such as 1234567890.")})
    return value


@dataclass(frozen=True)
class PropertyProfile:
    name: str
    legal_name: str
    neq: str
    address: str
    timezone: str
    language: str
    fiscal_year_start_month: int
    first_invoice_number: int
    province: str = Province.QC


def _text(value: object) -> str:
    return _SPACES.sub(" ", str(value or "").strip())


def _positive_int(value: object) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    text = _SPACES.sub("", str(value or ""))
    return int(text) if text.isascii() and text.isdigit() and len(text) <= 12 else None


def clean_profile(
    *,
    name: str,
    legal_name: str = "",
    neq: str = "",
    address: str = "",
    timezone: str = DEFAULT_TIMEZONE,
    language: str = Language.FR,
    fiscal_year_start_month: int | str = 1,
    first_invoice_number: int | str = 1,
    province: str = Province.QC,
) -> PropertyProfile:
    """Every field checked at once: each refusal is said beside its field."""
    errors: dict[str, Any] = {}
    name, legal_name, address = _text(name), _text(legal_name), _text(address)
    if not name:
        errors["name"] = _("Enter the name of the property.")
    elif len(name) > NAME_MAX:
        errors["name"] = _("The name has at most %(max)d characters.") % {"max": NAME_MAX}
    if len(legal_name) > LEGAL_NAME_MAX:
        errors["legal_name"] = _("The legal name has at most %(max)d characters.") % {"max": LEGAL_NAME_MAX}
    if len(address) > ADDRESS_MAX:
        errors["address"] = _("The address has at most %(max)d characters.") % {"max": ADDRESS_MAX}
    try:
        neq = clean_neq(neq)
    except ValidationError as exc:
        errors.update(exc.errors)
    timezone = (timezone or "").strip() or DEFAULT_TIMEZONE
    if timezone not in zoneinfo.available_timezones():
        errors["timezone"] = _("Choose a time zone from the list.")
    province = (province or "").strip() or Province.QC  # not asked (an older form, the API): Quebec
    if province not in Province.values:
        errors["province"] = _("Choose a province or territory from the list.")
    if language not in Language.values:
        errors["language"] = _("Choose French or English.")
    month = _positive_int(fiscal_year_start_month)
    if month is None or not 1 <= month <= 12:
        errors["fiscal_year_start_month"] = _("Choose a month.")
    first = _positive_int(first_invoice_number)
    if first is None or not 1 <= first <= FIRST_INVOICE_NUMBER_MAX:
        errors["first_invoice_number"] = _("Enter a whole number from 1 to %(max)s.") % {
            "max": FIRST_INVOICE_NUMBER_MAX
        }
    if errors:
        raise ValidationError(errors)
    assert month is not None and first is not None
    return PropertyProfile(name, legal_name, neq, address, timezone, language, month, first, province)


def check_logo(upload: UploadedFile) -> tuple[bytes, str]:
    """The logo's bytes and file extension, if it is a PNG or JPEG image Pillow can read, at most 1 MB
    and 4000 pixels a side; otherwise a ``ValidationError`` on ``logo``."""
    size = upload.size or 0
    if size > LOGO_MAX_BYTES:
        raise ValidationError({"logo": _("The logo is too large: at most 1 MB.")})
    upload.seek(0)
    data = upload.read(LOGO_MAX_BYTES + 1)
    if len(data) > LOGO_MAX_BYTES:
        raise ValidationError({"logo": _("The logo is too large: at most 1 MB.")})
    refused = ValidationError({"logo": _("The logo must be a PNG or JPEG image.")})
    try:
        with Image.open(io.BytesIO(data)) as image:
            image_format = image.format or ""
            width, height = image.size
            image.verify()
        if image_format in LOGO_FORMATS:
            # verify() checks the structure; loading the pixels catches a truncated file.
            with Image.open(io.BytesIO(data)) as image:
                if width <= LOGO_MAX_SIDE and height <= LOGO_MAX_SIDE:
                    image.load()
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError):
        raise refused from None
    if image_format not in LOGO_FORMATS:
        raise refused
    if width > LOGO_MAX_SIDE or height > LOGO_MAX_SIDE:
        raise ValidationError(
            {"logo": _("The logo is at most %(max)d pixels wide and high.") % {"max": LOGO_MAX_SIDE}}
        )
    return data, LOGO_FORMATS[image_format]


def _store_logo(prop: Property, data: bytes, extension: str) -> None:
    """Save the new file and point the property at it; the old file is removed once committed."""
    old = prop.logo.name if prop.logo else ""
    name = default_storage.save(
        f"logos/property-{prop.pk}-{secrets.token_hex(6)}.{extension}", ContentFile(data)
    )
    prop.logo.name = name
    # The new file is useless if the transaction rolls back, the old one once it commits.
    transaction.on_commit(lambda: default_storage.delete(old) if old else None)


def create_property(
    *,
    actor: User,
    organization_id: int | None = None,
    profile: PropertyProfile,
    logo: UploadedFile | None = None,
) -> Property:
    """A new property of an organization the actor administers; the actor is its first administrator."""
    logo_data = check_logo(logo) if logo is not None else None
    with transaction.atomic():
        organization = administered_organization(user=actor, organization_id=organization_id)
        prop = Property.objects.create(
            organization=organization,
            name=profile.name,
            legal_name=profile.legal_name,
            neq=profile.neq,
            address=profile.address,
            timezone=profile.timezone,
            province=profile.province,
            language=profile.language,
            fiscal_year_start_month=profile.fiscal_year_start_month,
            next_invoice_number=profile.first_invoice_number,
        )
        Membership.objects.create(user=actor, property=prop, role=Role.ADMIN)
        ensure_finance_defaults(prop)
        if logo_data is not None:
            _store_logo(prop, *logo_data)
            prop.save(update_fields=["logo"])
        audit.record(
            actor,
            Verb.PROPERTY_CREATED,
            prop,
            property=prop,
            after={
                **audit.snapshot(prop, PROFILE_FIELDS),
                "organization": organization.pk,
                "logo": bool(prop.logo),
                "administrator": actor.email,
            },
        )
        return prop


def update_property_profile(
    *,
    actor: User,
    property: Property,
    profile: PropertyProfile,
    logo: UploadedFile | None = None,
    remove_logo: bool = False,
) -> Property:
    """Change the property's identity and defaults (administrators). The next invoice number may only
    change until the first invoice is numbered: afterwards numbers stay gap-free."""
    from logis.invoicing.models import Invoice

    logo_data = check_logo(logo) if logo is not None else None
    with transaction.atomic():
        prop = Property.objects.select_for_update().get(pk=property.pk)
        require(actor, Action.MANAGE_PROPERTY, prop)
        before = {**audit.snapshot(prop, PROFILE_FIELDS), "logo": prop.logo.name or ""}
        if profile.first_invoice_number != prop.next_invoice_number:
            if Invoice.objects.filter(property=prop, number__isnull=False).exists():
                raise ValidationError(
                    {
                        "first_invoice_number": _(
                            "Invoices are already numbered: the numbering continues from %(next)s."
                        )
                        % {"next": prop.next_invoice_number}
                    }
                )
            prop.next_invoice_number = profile.first_invoice_number
        for field in (
            "name",
            "legal_name",
            "neq",
            "address",
            "timezone",
            "province",
            "language",
            "fiscal_year_start_month",
        ):
            setattr(prop, field, getattr(profile, field))
        if logo_data is not None:
            _store_logo(prop, *logo_data)
        elif remove_logo and prop.logo:
            removed = prop.logo.name or ""
            prop.logo.name = ""
            transaction.on_commit(lambda: default_storage.delete(removed))
        after = {**audit.snapshot(prop, PROFILE_FIELDS), "logo": prop.logo.name or ""}
        if after != before:
            prop.save(update_fields=[*PROFILE_FIELDS, "logo"])
            audit.record(
                actor, Verb.PROPERTY_PROFILE_CHANGED, prop, property=prop, before=before, after=after
            )
        for field in [*PROFILE_FIELDS, "logo"]:
            setattr(property, field, getattr(prop, field))
        return prop


def open_logo(prop: Property) -> bytes | None:
    """The logo's bytes, or None when there is none or its file is gone."""
    if not prop.logo:
        return None
    try:
        with default_storage.open(prop.logo.name or "", "rb") as handle:
            return bytes(handle.read())
    except OSError:
        return None


def invoice_numbering_started(prop: Property) -> bool:
    from logis.invoicing.models import Invoice

    return Invoice.objects.filter(property=prop, number__isnull=False).exists()


def logo_url(prop: Property) -> str:
    """The logo's absolute address for emails (served by ``properties.views_setup.logo``), or ""."""

    return absolute_url(prop.logo.url) if prop.logo else ""

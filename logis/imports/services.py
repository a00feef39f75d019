"""Import units, residents and opening balances from a file: preview, apply (one transaction), undo.

The same code computes the preview and the change: ``plan_import`` reads the file and the property's
current data and says, row by row, what would be created, changed or refused. ``apply_import`` plans
again from the stored file inside a transaction that locks the property and its units, and writes the
plan only if no row is refused: a file imports exactly, or not at all.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from logis.accounts.models import User
from logis.core import audit
from logis.core.audit import Verb
from logis.core.errors import InvalidTransition, NotFound, ValidationError
from logis.core.permissions import require
from logis.imports.models import ImportBatch, ImportStatus, OpeningBalance
from logis.imports.opening_balances import _create_balances, _void_balance
from logis.imports.planning import _resident_changes, _unit_changes, plan_import
from logis.imports.rows import IMPORT_ACTIONS, ImportPlan, _text
from logis.invoicing.models import Invoice
from logis.payments.models import Payment, UnitCredit
from logis.properties.models import Occupancy, Property, Resident, Unit, natural_key

# --- services ------------------------------------------------------------------------------------


def _require_all(actor: User, property: Property) -> None:
    for action in IMPORT_ACTIONS:
        require(actor, action, property)


def preview_import(
    *, actor: User, property: Property, name: str, data: bytes
) -> tuple[ImportBatch, ImportPlan]:
    """Keep the uploaded file and say what importing it would do. Writes nothing else."""
    _require_all(actor, property)
    plan = plan_import(property=property, name=name, data=data)
    batch = ImportBatch.objects.create(
        property=property,
        file_name=(name or "import")[:255],
        file_sha256=hashlib.sha256(data).hexdigest(),
        content=data if plan.rows or not plan.errors else b"",
        created_by=actor,
        counts={**plan.counts, "rows": plan.rows, "refused": len(plan.errors)},
    )
    return batch, plan


def _get_batch(property: Property, batch_id: int, lock: bool = True) -> ImportBatch:
    qs = ImportBatch.objects.filter(property=property, pk=batch_id)
    if lock:
        qs = qs.select_for_update()
    batch = qs.first()
    if batch is None:
        raise NotFound(_("This import does not exist."))
    return batch


def apply_import(*, actor: User, property: Property, batch_id: int) -> tuple[ImportBatch, ImportPlan]:
    """Write what the previewed file says, all of it or nothing: refused rows stop the whole import."""
    with transaction.atomic():
        prop = Property.objects.select_for_update().get(pk=property.pk)
        _require_all(actor, prop)
        batch = _get_batch(prop, batch_id)
        if batch.status == ImportStatus.EXPIRED:
            raise InvalidTransition(_("This preview has expired: upload the file again."))
        if batch.status != ImportStatus.PREVIEWED:
            raise InvalidTransition(_("This file was already imported."))
        plan = plan_import(property=prop, name=batch.file_name, data=bytes(batch.content), lock=True)
        if not plan.ok:
            raise ValidationError({"file": _("The file has refused rows: correct them and upload it again.")})
        now = timezone.now()
        undo: dict[str, Any] = {
            "units_created": [],
            "units_updated": [],
            "residents_created": [],
            "residents_updated": [],
            "links_created": [],
            "links_updated": [],
            "balances_created": [],
            "balances_voided": [],
            "units": [],
        }
        # Units.
        new_units = [
            Unit(
                property=prop,
                number=p.number,
                sort_key=natural_key(p.number),
                share=p.share,
                floor=p.floor,
                unit_type=p.unit_type,
            )
            for p in plan.units
            if p.unit is None
        ]
        Unit.objects.bulk_create(new_units)
        created_iter = iter(new_units)
        changed_units: list[Unit] = []
        for p in plan.units:
            if p.unit is None:
                p.unit = next(created_iter)
                undo["units_created"].append(p.unit.pk)
                continue
            diff = _unit_changes(p, p.unit)
            if diff:
                undo["units_updated"].append({"id": p.unit.pk, **{k: _text(v[0]) for k, v in diff.items()}})
                for key, (_before, after) in diff.items():
                    setattr(p.unit, key, after)
                p.unit.sort_key = natural_key(p.unit.number)
                changed_units.append(p.unit)
        if changed_units:
            Unit.objects.bulk_update(changed_units, ["number", "sort_key", "share", "floor", "unit_type"])
        undo["units"] = [p.unit.pk for p in plan.units if p.unit is not None]
        # Residents (one per key, shared by the units that list them).
        residents: dict[tuple[str, ...], Resident] = {}
        new_residents: list[Resident] = []
        changed_residents: list[Resident] = []
        for p in plan.units:
            for rp in p.residents:
                if rp.key in residents:
                    continue
                if rp.resident is None:
                    resident = Resident(
                        property=prop,
                        name=rp.name,
                        email=rp.email,
                        phone=rp.phone,
                        language=rp.language or prop.language,
                        mailing_address=rp.mailing_address,
                    )
                    new_residents.append(resident)
                else:
                    resident = rp.resident
                    diff = _resident_changes(rp, resident)
                    if diff:
                        undo["residents_updated"].append(
                            {"id": resident.pk, **{k: v[0] for k, v in diff.items()}}
                        )
                        for key, (_before, after) in diff.items():
                            setattr(resident, key, after)
                        changed_residents.append(resident)
                residents[rp.key] = resident
        Resident.objects.bulk_create(new_residents)
        undo["residents_created"] = [r.pk for r in new_residents]
        if changed_residents:
            Resident.objects.bulk_update(changed_residents, ["phone", "mailing_address", "language"])
        # Links: clear replaced primaries first (one primary per unit is a unique index).
        db_links = {
            (o.unit_id, o.resident_id): o
            for o in Occupancy.objects.select_for_update().filter(unit_id__in=undo["units"])
        }
        new_links: list[Occupancy] = []
        unset: list[Occupancy] = []
        set_: list[Occupancy] = []
        for p in plan.units:
            assert p.unit is not None
            new_primary = next((rp for rp in p.residents if rp.primary), None)
            if new_primary is not None:
                for (unit_id, resident_id), occ in db_links.items():
                    if (
                        unit_id == p.unit.pk
                        and occ.is_primary
                        and resident_id != residents[new_primary.key].pk
                    ):
                        unset.append(occ)
            for rp in p.residents:
                resident = residents[rp.key]
                link = db_links.get((p.unit.pk, resident.pk)) if resident.pk else None
                if link is None:
                    new_links.append(
                        Occupancy(unit=p.unit, resident=resident, kind=rp.kind, is_primary=bool(rp.primary))
                    )
                    continue
                occ = link
                want = occ.is_primary if rp.primary is None else rp.primary
                if new_primary is not None and new_primary is not rp:
                    want = False
                if occ.kind != rp.kind or occ.is_primary != want:
                    undo["links_updated"].append(
                        {"id": occ.pk, "kind": occ.kind, "is_primary": occ.is_primary}
                    )
                    occ.kind = rp.kind
                    if want and not occ.is_primary:
                        set_.append(occ)
                    elif not want and occ.is_primary and occ not in unset:
                        unset.append(occ)
                    occ.is_primary = want
                    if occ not in set_ and occ not in unset:
                        Occupancy.objects.filter(pk=occ.pk).update(kind=occ.kind)
        for occ in unset:
            if not any(u["id"] == occ.pk for u in undo["links_updated"]):
                undo["links_updated"].append({"id": occ.pk, "kind": occ.kind, "is_primary": True})
            occ.is_primary = False
            Occupancy.objects.filter(pk=occ.pk).update(is_primary=False, kind=occ.kind)
        for occ in set_:
            Occupancy.objects.filter(pk=occ.pk).update(is_primary=True, kind=occ.kind)
        Occupancy.objects.bulk_create(new_links)
        undo["links_created"] = [o.pk for o in new_links]
        # Opening balances.
        current = {
            b.unit_id: b
            for b in OpeningBalance.objects.select_for_update().filter(
                unit_id__in=undo["units"], voided_at__isnull=True
            )
        }
        reason = gettext("Replaced by the import of %(file)s.") % {"file": batch.file_name}
        to_create: list[tuple[Unit, Decimal, dt.date]] = []
        for p in plan.units:
            assert p.unit is not None
            if p.balance is None:
                continue
            existing = current.get(p.unit.pk)
            if existing is not None and (existing.amount, existing.balance_date) == (
                p.balance,
                p.balance_date,
            ):
                continue
            if existing is not None:
                _void_balance(existing, actor, now, reason)
                undo["balances_voided"].append(existing.pk)
            if p.balance:
                assert p.balance_date is not None
                to_create.append((p.unit, p.balance, p.balance_date))
        created = _create_balances(property=prop, batch=batch, actor=actor, items=to_create)
        undo["balances_created"] = [b.pk for b in created]
        # Credit entries are dated by their balance date, not when written: "since" is by id.
        undo["credit_watermark"] = (
            UnitCredit.objects.order_by("-id").values_list("id", flat=True).first() or 0
        )
        counts = {**plan.counts, "rows": plan.rows, "refused": 0}
        batch.status = ImportStatus.APPLIED
        batch.applied_by = actor
        batch.applied_at = timezone.now()
        batch.counts = counts
        batch.undo = undo
        batch.save(update_fields=["status", "applied_by", "applied_at", "counts", "undo"])
        audit.record(
            actor, Verb.IMPORT_APPLIED, batch, property=prop, after={"file": batch.file_name, **counts}
        )
        return batch, plan


def undo_blocker(*, batch: ImportBatch) -> str | None:
    """Why this import can no longer be undone, or None."""
    if batch.status != ImportStatus.APPLIED or batch.applied_at is None:
        return gettext("Only an import that was applied can be undone.")
    later = ImportBatch.objects.filter(
        property_id=batch.property_id, status=ImportStatus.APPLIED, applied_at__gt=batch.applied_at
    ).exists()
    if later:
        return gettext("A later import must be undone first.")
    units = batch.undo.get("units", [])
    own_invoices = OpeningBalance.objects.filter(batch=batch, invoice__isnull=False).values("invoice_id")
    billed = (
        Invoice.objects.filter(unit_id__in=units, created_at__gt=batch.applied_at)
        .exclude(pk__in=own_invoices)
        .exists()
    )
    paid = Payment.objects.filter(unit_id__in=units, created_at__gt=batch.applied_at).exists()
    credited = UnitCredit.objects.filter(
        unit_id__in=units, id__gt=batch.undo.get("credit_watermark", 0)
    ).exists()
    if billed or paid or credited:
        return gettext(
            "Invoices or payments were recorded on these units since: the import cannot be undone."
        )
    return None


def undo_import(*, actor: User, property: Property, batch_id: int) -> ImportBatch:
    """Put back what an import changed, while nothing was billed or paid on its units since: its
    opening balances are voided (never deleted), the units, residents and links it created removed
    (a unit whose voided opening balance refers to it stays), the values it replaced restored."""
    with transaction.atomic():
        prop = Property.objects.select_for_update().get(pk=property.pk)
        _require_all(actor, prop)
        batch = _get_batch(prop, batch_id)
        list(Unit.objects.select_for_update().filter(pk__in=batch.undo.get("units", [])).values_list("pk"))
        blocker = undo_blocker(batch=batch)
        if blocker:
            raise InvalidTransition(blocker)
        undo = batch.undo
        now = timezone.now()
        reason = gettext("Import of %(file)s undone.") % {"file": batch.file_name}
        for ob in OpeningBalance.objects.select_for_update().filter(pk__in=undo["balances_created"]):
            _void_balance(ob, actor, now, reason)
        # Balances this import replaced come back as new records of the same amount and date.
        restored = [
            (ob.unit, ob.amount, ob.balance_date)
            for ob in OpeningBalance.objects.filter(pk__in=undo["balances_voided"]).select_related("unit")
        ]
        _create_balances(property=prop, batch=batch, actor=actor, items=restored)
        Occupancy.objects.filter(pk__in=undo["links_created"]).delete()
        for item in undo["links_updated"]:
            if not item["is_primary"]:
                Occupancy.objects.filter(pk=item["id"]).update(kind=item["kind"], is_primary=False)
        for item in undo["links_updated"]:
            if item["is_primary"]:
                Occupancy.objects.filter(pk=item["id"]).update(kind=item["kind"], is_primary=True)
        Resident.objects.filter(
            pk__in=undo["residents_created"], user__isnull=True, occupancies__isnull=True
        ).delete()
        for item in undo["residents_updated"]:
            Resident.objects.filter(pk=item.pop("id")).update(**item)
        kept = set(
            OpeningBalance.objects.filter(unit_id__in=undo["units_created"]).values_list("unit_id", flat=True)
        )
        Unit.objects.filter(pk__in=[u for u in undo["units_created"] if u not in kept]).delete()
        for item in undo["units_updated"]:
            unit_id = item.pop("id")
            values: dict[str, Any] = dict(item)
            if "share" in values:
                values["share"] = Decimal(values["share"]) if values["share"] else None
            if "number" in values:
                values["sort_key"] = natural_key(values["number"])
            Unit.objects.filter(pk=unit_id).update(**values)
        batch.status = ImportStatus.UNDONE
        batch.undone_by = actor
        batch.undone_at = now
        batch.save(update_fields=["status", "undone_by", "undone_at"])
        audit.record(
            actor,
            Verb.IMPORT_UNDONE,
            batch,
            property=prop,
            after={"file": batch.file_name, **batch.counts, "units_kept": len(kept)},
        )
        return batch


def import_history(*, property: Property, limit: int = 10) -> list[ImportBatch]:
    return list(
        ImportBatch.objects.filter(property=property)
        .exclude(status__in=[ImportStatus.PREVIEWED, ImportStatus.EXPIRED])
        .select_related("applied_by")
        .defer("content")
        .order_by("-applied_at", "-id")[:limit]
    )

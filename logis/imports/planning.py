"""Plan an import against the database: what each row of the file would create, change or refuse
(``plan_import``, the same code for the preview and for the change itself)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from logis.core.dates import today_in
from logis.imports.models import OpeningBalance
from logis.imports.parsing import FileRefused, read_file
from logis.imports.rows import Change, ImportPlan, ResidentPlan, RowError, UnitPlan, _norm, _Planner, _text
from logis.invoicing.models import InvoiceStatus
from logis.payments.credits import credit_balance
from logis.properties.models import Occupancy, Property, Resident, Unit


def _unit_changes(plan: UnitPlan, unit: Unit) -> dict[str, tuple[Any, Any]]:
    changes: dict[str, tuple[Any, Any]] = {}
    if plan.number != unit.number:
        changes["number"] = (unit.number, plan.number)
    if plan.share_given and plan.share != unit.share:
        changes["share"] = (unit.share, plan.share)
    if plan.floor and plan.floor != unit.floor:
        changes["floor"] = (unit.floor, plan.floor)
    if plan.unit_type and plan.unit_type != unit.unit_type:
        changes["unit_type"] = (unit.unit_type, plan.unit_type)
    return changes


def _resident_changes(rp: ResidentPlan, resident: Resident) -> dict[str, tuple[Any, Any]]:
    changes: dict[str, tuple[Any, Any]] = {}
    for name in ("phone", "mailing_address", "language"):
        value = getattr(rp, name)
        if value and value != getattr(resident, name):
            changes[name] = (getattr(resident, name), value)
    return changes


@dataclass
class _Db:
    units: dict[str, Unit]
    by_email: dict[tuple[str, str], Resident]
    by_unit_name: dict[tuple[int, str], Resident]
    occupancies: dict[tuple[int, int], Occupancy]
    primaries: dict[int, Occupancy]
    balances: dict[int, OpeningBalance]


def _load(property: Property, lock: bool) -> _Db:
    units_qs = Unit.objects.filter(property=property)
    if lock:
        units_qs = units_qs.select_for_update()
    units = {u.number.casefold(): u for u in units_qs}
    residents = {r.pk: r for r in Resident.objects.filter(property=property)}
    by_email = {(r.email, _norm(r.name)): r for r in residents.values() if r.email}
    occupancies: dict[tuple[int, int], Occupancy] = {}
    primaries: dict[int, Occupancy] = {}
    by_unit_name: dict[tuple[int, str], Resident] = {}
    for occ in Occupancy.objects.filter(unit__property=property):
        occupancies[(occ.unit_id, occ.resident_id)] = occ
        if occ.is_primary:
            primaries[occ.unit_id] = occ
        resident = residents.get(occ.resident_id)
        if resident is not None:
            by_unit_name.setdefault((occ.unit_id, _norm(resident.name)), resident)
    balances = {
        b.unit_id: b
        for b in OpeningBalance.objects.filter(property=property, voided_at__isnull=True).select_related(
            "invoice"
        )
    }
    return _Db(units, by_email, by_unit_name, occupancies, primaries, balances)


def _balance_refusal(ob: OpeningBalance) -> str | None:
    """Why an opening balance cannot be replaced (paid, or its credit spent), or None."""
    if ob.invoice is not None and (ob.invoice.amount_paid > 0 or ob.invoice.status != InvoiceStatus.OPEN):
        return gettext("The opening balance of unit %(unit)s was paid (or voided) since: it cannot change.")
    if ob.credit_id is not None and credit_balance(unit=ob.unit) < -ob.amount:
        return gettext("The credit of unit %(unit)s was used since: its opening balance cannot change.")
    return None


def plan_import(*, property: Property, name: str, data: bytes, lock: bool = False) -> ImportPlan:
    """What importing this file would do to the property, without writing anything."""
    today = today_in(property.timezone)
    try:
        parsed = read_file(name=name, data=data)
    except FileRefused as exc:
        return ImportPlan([RowError(0, "", str(exc.message))], [], [], [], [], {}, None, 0)
    planner = _Planner(property, parsed, today)
    for label in parsed.duplicate_columns:
        planner.errors.append(RowError(1, label, gettext("This column appears twice.")))
    plans = planner.read_rows()
    db = _load(property, lock)
    changes: list[Change] = []
    counts = dict.fromkeys(
        [
            "units_created",
            "units_updated",
            "units_unchanged",
            "residents_created",
            "residents_updated",
            "links_created",
            "links_updated",
            "balances_created",
            "balances_replaced",
        ],
        0,
    )
    seen_residents: dict[tuple[str, ...], ResidentPlan] = {}
    for plan in plans.values():
        unit = db.units.get(plan.number.casefold())
        plan.unit = unit
        details: list[str] = []
        action = "unchanged"
        if unit is None:
            action = "created"
            counts["units_created"] += 1
            if plan.share is not None:
                details.append(gettext("share %(share)s %%") % {"share": plan.share.normalize()})
        else:
            for field_name, (before, after) in _unit_changes(plan, unit).items():
                action = "changed"
                details.append(f"{field_name}: {_text(before) or '—'} → {_text(after) or '—'}")
        # Residents and their links.
        current_primary = db.primaries.get(unit.pk) if unit else None
        new_primary = next((rp for rp in plan.residents if rp.primary), None)
        if new_primary is None and current_primary is None and plan.residents:
            first = plan.residents[0]
            if first.primary is None:
                first.primary = True
                new_primary = first
                planner.notices.append(
                    gettext("Unit %(unit)s: %(name)s (line %(line)d) becomes its primary resident.")
                    % {"unit": plan.number, "name": first.name, "line": first.line}
                )
        for rp in plan.residents:
            if rp.email:
                rp.key = ("email", rp.email, _norm(rp.name))
                existing = db.by_email.get((rp.email, _norm(rp.name)))
            else:
                rp.key = ("unit", plan.number.casefold(), _norm(rp.name))
                existing = db.by_unit_name.get((unit.pk, _norm(rp.name))) if unit else None
            rp.resident = existing
            first_seen = rp.key not in seen_residents
            seen_residents.setdefault(rp.key, rp)
            if existing is None:
                if first_seen:
                    counts["residents_created"] += 1
                details.append(gettext("new resident %(name)s") % {"name": rp.name})
                action = "changed" if action == "unchanged" else action
            elif first_seen and _resident_changes(rp, existing):
                counts["residents_updated"] += 1
                details.append(gettext("%(name)s updated") % {"name": rp.name})
                action = "changed" if action == "unchanged" else action
            occ = db.occupancies.get((unit.pk, existing.pk)) if unit and existing else None
            if occ is None:
                counts["links_created"] += 1
                if existing is not None:
                    details.append(gettext("%(name)s linked") % {"name": rp.name})
                    action = "changed" if action == "unchanged" else action
            else:
                want_primary = occ.is_primary if rp.primary is None else rp.primary
                if new_primary is not None and new_primary is not rp:
                    want_primary = False
                if occ.kind != rp.kind or occ.is_primary != want_primary:
                    counts["links_updated"] += 1
                    details.append(gettext("%(name)s: role or primary changed") % {"name": rp.name})
                    action = "changed" if action == "unchanged" else action
        # Opening balance.
        if plan.balance is not None or plan.balance_date is not None:
            if plan.balance is None:
                planner.error(plan.lines["balance_date"], "balance", _("Enter the opening balance."))
            elif plan.balance and plan.balance_date is None:
                planner.error(plan.balance_line, "balance_date", _("Enter the date of the opening balance."))
            else:
                current = db.balances.get(unit.pk) if unit else None
                same = current is not None and (current.amount, current.balance_date) == (
                    plan.balance,
                    plan.balance_date,
                )
                if not same and (current is not None or plan.balance):
                    refusal = _balance_refusal(current) if current is not None else None
                    if refusal:
                        planner.error(plan.balance_line, "balance", refusal % {"unit": plan.number})
                    else:
                        if current is not None:
                            counts["balances_replaced"] += 1
                        if plan.balance:
                            counts["balances_created"] += 1
                        action = "changed" if action == "unchanged" else action
                        details.append(gettext("opening balance %(amount)s") % {"amount": plan.balance})
        if unit is not None:
            counts[
                {"unchanged": "units_unchanged", "changed": "units_updated"}.get(action, "units_updated")
            ] += 1
        changes.append(Change(unit=plan.number, action=action, details=details))
    # Shares after the import: the file's units with their new share, the others as they are.
    shares_total: Decimal | None = None
    total = Decimal("0")
    used = False
    for key, unit in db.units.items():
        if key not in plans and unit.share is not None:
            total += unit.share
            used = True
    for plan in plans.values():
        share = plan.share if plan.share_given else (plan.unit.share if plan.unit else None)
        if share is not None:
            total += share
            used = True
    if used:
        shares_total = total.quantize(Decimal("0.0001"))
    planner.errors.sort(key=lambda e: e.line)
    return ImportPlan(
        errors=planner.errors,
        notices=planner.notices,
        unknown_columns=parsed.unknown_columns,
        units=list(plans.values()),
        changes=changes,
        counts=counts,
        shares_total=shares_total,
        rows=len(parsed.rows),
    )

"""Batch billing and recurring dues pages. Thin: forms read input, services change state, selectors read."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import get_language, ngettext
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from logis.billing import batches, periods, recurring, selectors
from logis.billing.forms import BatchForm, ScheduleForm, VoidBatchForm
from logis.billing.models import RecurringSchedule, UnitScope
from logis.core.dates import today_in
from logis.core.errors import InvalidTransition, ValidationError
from logis.core.forms import add_service_errors
from logis.core.permissions import Action
from logis.invoicing.models import InvoiceStatus
from logis.properties.access import PropertyRequest, property_view


def _today(request: PropertyRequest) -> dt.date:
    return today_in(request.property.timezone)


def _payments_off(request: PropertyRequest) -> HttpResponse | None:
    if request.property.payments_enabled:
        return None
    messages.error(
        request, _("Payments are not enabled for this property: enable them in Settings > Payments first.")
    )
    return HttpResponseRedirect(reverse("invoicing:list", args=[request.property.pk]))


# --- Batches ---------------------------------------------------------------------------------------


@require_GET
@property_view()
def batch_list(request: PropertyRequest) -> HttpResponse:
    page = selectors.batch_page(request.property, request.GET.get("page"))
    return render(
        request,
        "billing/batch_list.html",
        {
            "page": page,
            "batches": page.object_list,
            "can_create": Action.CREATE_INVOICE in request.allowed and request.property.payments_enabled,
        },
    )


def _batch_form_context(
    request: PropertyRequest, form: BatchForm, units: list[selectors.UnitRow]
) -> dict[str, Any]:
    checked = form.checked_unit_ids()
    return {
        "form": form,
        "units": units,
        "checked": checked,
        "unit_errors": form.unit_errors,
        "scope_all": UnitScope.ALL,
    }


@require_http_methods(["GET", "POST"])
@property_view(Action.CREATE_INVOICE)
def batch_create(request: PropertyRequest) -> HttpResponse:
    """The batch form; « Aperçu » shows what will be created, « Créer les brouillons » creates it."""
    refused = _payments_off(request)
    if refused:
        return refused
    prop = request.property
    units = selectors.unit_rows(prop)
    unit_ids = {u.id for u in units}
    today = _today(request)
    if request.method == "GET":
        return render(
            request,
            "billing/batch_create.html",
            _batch_form_context(request, BatchForm(unit_ids=unit_ids, today=today), units),
        )
    form = BatchForm(request.POST, unit_ids=unit_ids, today=today)
    context = _batch_form_context(request, form, units)
    if form.is_valid():
        data = form.cleaned_data
        kwargs: dict[str, Any] = {
            "unit_scope": data["unit_scope"],
            "unit_ids": data["units"],
            "amount_mode": data["amount_mode"],
            "amount": data["amount"],
        }
        try:
            plan = batches.plan_batch(property=prop, **kwargs)
            if request.POST.get("action") == "create":
                batch = batches.create_batch(
                    actor=request.user,
                    property=prop,
                    title=data["title"],
                    due_date=data["due_date"],
                    description=data.get("description", ""),
                    notify_resident=bool(data.get("notify_resident")),
                    creation_token=data.get("token"),
                    **kwargs,
                )
                messages.success(
                    request,
                    ngettext(
                        "%(count)d draft invoice was created. Review it, then publish it.",
                        "%(count)d draft invoices were created. Review them, then publish them.",
                        batch.unit_count,
                    )
                    % {"count": batch.unit_count},
                )
                return HttpResponseRedirect(reverse("billing:batch_detail", args=[prop.pk, batch.pk]))
        except ValidationError as exc:
            add_service_errors(form, exc, elsewhere={"units": form.unit_errors})
        except InvalidTransition as exc:
            form.add_error(None, str(exc.message))
        else:
            people = selectors.recipients(prop, plan.unit_ids)
            notify = bool(data.get("notify_resident"))
            context["preview"] = plan
            context["preview_rows"] = [
                (row, people[row.unit_id].name, people[row.unit_id].warning if notify else None)
                for row in plan.rows
            ]
            context["warning_count"] = sum(1 for p in people.values() if p.warning) if notify else 0
    context["unit_errors"] = form.unit_errors
    return render(request, "billing/batch_create.html", context, status=200)


def _get_batch(request: PropertyRequest, batch_id: int) -> selectors.BatchDetail:
    detail = selectors.batch_detail(request.property, batch_id, _today(request))
    if detail is None:
        raise Http404
    return detail


@require_GET
@property_view()
def batch_detail(request: PropertyRequest, batch_id: int) -> HttpResponse:
    detail = _get_batch(request, batch_id)
    drafts = detail.counts.get(InvoiceStatus.DRAFT.value, 0)
    return render(
        request,
        "billing/batch_detail.html",
        {
            "batch": detail.batch,
            "invoices": detail.invoices,
            "counts": detail.counts,
            "drafts": drafts,
            "billed_total": detail.billed_total,
            "can_publish": Action.PUBLISH_INVOICE in request.allowed and drafts > 0,
            "can_void": Action.VOID_INVOICE in request.allowed and drafts > 0,
        },
    )


@require_http_methods(["GET", "POST"])
@property_view(Action.PUBLISH_INVOICE)
def batch_publish(request: PropertyRequest, batch_id: int) -> HttpResponse:
    detail = _get_batch(request, batch_id)
    url = reverse("billing:batch_detail", args=[request.property.pk, detail.batch.pk])
    if request.method == "POST":
        try:
            results = batches.publish_batch(
                actor=request.user,
                property=request.property,
                batch_id=detail.batch.pk,
            )
        except (InvalidTransition, ValidationError) as exc:
            messages.error(request, str(exc.message))
            return HttpResponseRedirect(url)
        queued = sum(1 for r in results if r.email_to is not None)
        blocked = sum(1 for r in results if r.email_blocker)
        text = ngettext(
            "%(count)d invoice was published.", "%(count)d invoices were published.", len(results)
        ) % {"count": len(results)}
        text += " " + ngettext("%(count)d email queued.", "%(count)d emails queued.", queued) % {
            "count": queued
        }
        if blocked:
            text += " " + ngettext(
                "%(count)d unit cannot receive an email (no primary resident or no valid email).",
                "%(count)d units cannot receive an email (no primary resident or no valid email).",
                blocked,
            ) % {"count": blocked}
        messages.add_message(request, messages.WARNING if blocked else messages.SUCCESS, text)
        return HttpResponseRedirect(url)
    drafts = [inv for inv in detail.invoices if inv.status == InvoiceStatus.DRAFT]
    if not drafts:
        messages.error(request, _("This batch has no draft left to publish."))
        return HttpResponseRedirect(url)
    today = _today(request)
    warnings = (
        selectors.email_warnings(request.property, [inv.unit_id for inv in drafts if inv.notify_resident])
        if detail.batch.notify_resident
        else {}
    )
    return render(
        request,
        "billing/batch_publish.html",
        {
            "batch": detail.batch,
            "drafts": len(drafts),
            "total": sum((inv.amount for inv in drafts), Decimal("0.00")),
            "due_passed": any(inv.due_date < today for inv in drafts),
            "email_count": len([inv for inv in drafts if inv.notify_resident]) - len(warnings),
            "warning_count": len(warnings),
        },
    )


@require_http_methods(["GET", "POST"])
@property_view(Action.VOID_INVOICE)
def batch_void(request: PropertyRequest, batch_id: int) -> HttpResponse:
    detail = _get_batch(request, batch_id)
    url = reverse("billing:batch_detail", args=[request.property.pk, detail.batch.pk])
    drafts = detail.counts.get(InvoiceStatus.DRAFT.value, 0)
    form = VoidBatchForm(request.POST if request.method == "POST" else None)
    if request.method == "POST" and form.is_valid():
        try:
            count = batches.void_batch_drafts(
                actor=request.user,
                property=request.property,
                batch_id=detail.batch.pk,
                reason=form.cleaned_data["reason"],
            )
        except ValidationError as exc:
            add_service_errors(form, exc)
        except InvalidTransition as exc:
            messages.error(request, str(exc.message))
            return HttpResponseRedirect(url)
        else:
            messages.success(
                request,
                ngettext("%(count)d draft was voided.", "%(count)d drafts were voided.", count)
                % {"count": count},
            )
            return HttpResponseRedirect(url)
    if request.method == "GET" and drafts == 0:
        messages.error(request, _("This batch has no draft left to void."))
        return HttpResponseRedirect(url)
    return render(request, "billing/batch_void.html", {"batch": detail.batch, "drafts": drafts, "form": form})


# --- Recurring dues --------------------------------------------------------------------------------


@require_GET
@property_view()
def schedule_list(request: PropertyRequest) -> HttpResponse:
    today = _today(request)
    return render(
        request,
        "billing/schedule_list.html",
        {
            "overviews": selectors.schedule_overviews(request.property, today),
            "recent": selectors.recent_runs(request.property),
            "today": today,
            "can_manage": Action.CREATE_INVOICE in request.allowed,
            "can_create": Action.CREATE_INVOICE in request.allowed and request.property.payments_enabled,
        },
    )


def _schedule_form_page(
    request: PropertyRequest,
    form: ScheduleForm,
    units: list[selectors.UnitRow],
    schedule: RecurringSchedule | None,
) -> HttpResponse:
    return render(
        request,
        "billing/schedule_form.html",
        {
            "form": form,
            "units": units,
            "checked": form.checked_unit_ids(),
            "unit_errors": form.unit_errors,
            "schedule": schedule,
            "scope_all": UnitScope.ALL,
        },
    )


@require_http_methods(["GET", "POST"])
@property_view(Action.CREATE_INVOICE)
def schedule_edit(request: PropertyRequest, schedule_id: int | None = None) -> HttpResponse:
    refused = _payments_off(request)
    if refused:
        return refused
    prop = request.property
    schedule = None
    if schedule_id is not None:
        schedule = RecurringSchedule.objects.filter(pk=schedule_id, property=prop).first()
        if schedule is None:
            raise Http404
    units = selectors.unit_rows(prop)
    unit_ids = {u.id for u in units}
    if request.method == "GET":
        if schedule is None:
            next_month = periods.first_of_month_after(_today(request), 1)
            initial: dict[str, Any] = {
                "title_pattern": _("Monthly dues — {mois}"),
                "start_month": next_month,
            }
        else:
            initial = {
                "title_pattern": schedule.title_pattern,
                "amount_mode": schedule.amount_mode,
                "amount": schedule.amount,
                "day_of_month": schedule.day_of_month,
                "lead_days": schedule.lead_days,
                "start_month": schedule.start_month,
                "end_month": schedule.end_month,
                "unit_scope": schedule.unit_scope,
                "units": list(schedule.units.values_list("id", flat=True)),
                "description": schedule.description,
                "auto_publish": schedule.auto_publish,
                "notify_resident": schedule.notify_resident,
            }
        return _schedule_form_page(request, ScheduleForm(unit_ids=unit_ids, initial=initial), units, schedule)
    form = ScheduleForm(request.POST, unit_ids=unit_ids)
    if form.is_valid():
        try:
            recurring.save_schedule(
                actor=request.user,
                property=prop,
                data=form.to_input(),
                schedule_id=schedule.pk if schedule else None,
            )
        except ValidationError as exc:
            add_service_errors(form, exc, elsewhere={"units": form.unit_errors})
        except InvalidTransition as exc:
            form.add_error(None, str(exc.message))
        else:
            messages.success(request, _("The recurring dues were saved."))
            return HttpResponseRedirect(reverse("billing:schedules", args=[prop.pk]))
    return _schedule_form_page(request, form, units, schedule)


@require_POST
@property_view(Action.CREATE_INVOICE)
def schedule_pause(request: PropertyRequest, schedule_id: int) -> HttpResponse:
    paused = request.POST.get("paused") == "1"
    recurring.set_schedule_paused(
        actor=request.user,
        property=request.property,
        schedule_id=schedule_id,
        paused=paused,
    )
    messages.success(
        request, _("The recurring dues are paused.") if paused else _("The recurring dues resumed.")
    )
    return HttpResponseRedirect(reverse("billing:schedules", args=[request.property.pk]))


@require_POST
@property_view(Action.CREATE_INVOICE)
def schedule_skip(request: PropertyRequest, schedule_id: int) -> HttpResponse:
    url = reverse("billing:schedules", args=[request.property.pk])
    try:
        period = dt.date.fromisoformat(request.POST.get("period", ""))
    except ValueError:
        messages.error(request, _("Choose a month to skip."))
        return HttpResponseRedirect(url)
    try:
        recurring.skip_schedule_period(
            actor=request.user,
            property=request.property,
            schedule_id=schedule_id,
            period=period,
        )
    except InvalidTransition as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(
            request,
            _("%(month)s will be skipped: no invoice will be created for it.")
            % {"month": periods.month_label(period, get_language() or "fr")},
        )
    return HttpResponseRedirect(url)


@require_http_methods(["GET", "POST"])
@property_view(Action.CREATE_INVOICE)
def schedule_restore(request: PropertyRequest, schedule_id: int) -> HttpResponse:
    """« Rétablir » a skipped month: GET asks for confirmation, POST restores it."""
    url = reverse("billing:schedules", args=[request.property.pk])
    schedule = RecurringSchedule.objects.filter(pk=schedule_id, property=request.property).first()
    if schedule is None:
        raise Http404
    data = request.POST if request.method == "POST" else request.GET
    try:
        period = periods.month_start(dt.date.fromisoformat(data.get("period", "")))
    except ValueError:
        messages.error(request, _("Choose a month to restore."))
        return HttpResponseRedirect(url)
    label = periods.month_label(period, get_language() or "fr")
    if request.method == "POST":
        try:
            recurring.restore_schedule_period(
                actor=request.user,
                property=request.property,
                schedule_id=schedule.pk,
                period=period,
            )
        except InvalidTransition as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(
                request,
                _("%(month)s is restored: its invoices will be created as planned.") % {"month": label},
            )
        return HttpResponseRedirect(url)
    today = _today(request)
    return render(
        request,
        "billing/schedule_restore.html",
        {
            "schedule": schedule,
            "period": period,
            "title": periods.title_for(schedule.title_pattern, period, request.property.language),
            "run_date": periods.run_date_for(schedule, period),
            "due_date": periods.due_date_for(period, schedule.day_of_month),
            "today": today,
        },
    )

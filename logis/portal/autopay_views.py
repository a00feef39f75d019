"""« Paiement automatique » in the resident portal: enrol a unit (the PAD agreement shown first, then
Stripe Checkout in setup mode), see the debits announced and made, stop it (with confirmation).
Thin views over ``logis.payments.autopay`` (docs/decisions/0031)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db.models import Count, F, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from logis.accounts.models import User
from logis.core import errors
from logis.core.forms import add_service_errors
from logis.invoicing.models import Invoice, InvoiceStatus
from logis.payments import autopay, autopay_mail
from logis.payments.availability import demo_mode
from logis.payments.models import AutopayDebit, AutopayEnrolment, AutopayStatus
from logis.portal import selectors
from logis.properties.models import PaymentMethod, Unit

SESSION_PLACEHOLDER = "{CHECKOUT_SESSION_ID}"
UNAVAILABLE = gettext_lazy(
    "Automatic payment is not available: your property does not take online payment at the moment."
)
METHOD_LABELS = {
    PaymentMethod.PAD.value: gettext_lazy("Pre-authorized debit from my bank account (recommended)"),
    PaymentMethod.CARD.value: gettext_lazy("Credit card"),
}


class EnrolForm(forms.Form):
    method = forms.ChoiceField(label=gettext_lazy("Pay with"), widget=forms.RadioSelect)
    include_open = forms.BooleanField(label=gettext_lazy("Include the invoices already open"), required=False)
    agree = forms.BooleanField(
        label=gettext_lazy("I have read and accept the pre-authorized debit agreement above."),
        error_messages={"required": gettext_lazy("Accept the agreement to turn on automatic payment.")},
    )

    def __init__(self, *args: Any, methods: list[str], open_invoices: int = 0, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        if not open_invoices:
            del self.fields["include_open"]  # nothing open: nothing to choose
        field: forms.ChoiceField = self.fields["method"]  # type: ignore[assignment]
        field.choices = [(m, METHOD_LABELS[m]) for m in methods]
        if methods:
            field.initial = methods[0]


@dataclass
class UnitAutopay:
    unit: Unit
    enrolment: AutopayEnrolment | None
    methods: list[str]
    form: EnrolForm | None
    debits: list[AutopayDebit]
    agreement: str
    open_count: int = 0
    open_total: Decimal = Decimal("0.00")


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _rows(user: User, *, bound: tuple[int, EnrolForm] | None = None) -> list[UnitAutopay]:
    units = selectors.units_of(user)
    enrolments = {
        e.unit_id: e for e in AutopayEnrolment.objects.filter(unit__in=units, status=AutopayStatus.ACTIVE)
    }
    debits: dict[int, list[AutopayDebit]] = {}
    for debit in (
        AutopayDebit.objects.filter(invoice__unit__in=units)
        .select_related("invoice", "nsf_invoice")
        .order_by("-debit_on", "-pk")[:200]
    ):
        debits.setdefault(debit.invoice.unit_id, []).append(debit)
    already_open = open_invoices_by_unit(units)
    rows = []
    for unit in units:
        methods = autopay.autopay_methods(unit.property)
        enrolment = enrolments.get(unit.pk)
        if not methods and enrolment is None and unit.pk not in debits:
            # Online payment off (or no card nor debit accepted) and nothing to show or stop: the unit
            # is not offered automatic payment at all (issue 13).
            continue
        form = None
        open_count, open_total = already_open.get(unit.pk, (0, Decimal("0.00")))
        if enrolment is None and methods:
            form = (
                bound[1]
                if bound and bound[0] == unit.pk
                else EnrolForm(methods=methods, open_invoices=open_count, prefix=f"u{unit.pk}")
            )
        rows.append(
            UnitAutopay(
                unit=unit,
                enrolment=enrolment,
                methods=methods,
                form=form,
                debits=debits.get(unit.pk, []),
                agreement=autopay_mail.pad_agreement_text(unit.property),
                open_count=open_count,
                open_total=open_total,
            )
        )
    return rows


def _page(request: HttpRequest, rows: list[UnitAutopay], status: int = 200) -> HttpResponse:
    return render(
        request,
        "portal/autopay.html",
        {
            "rows": rows,
            "demo": demo_mode(),
            "many_units": len(rows) > 1,
            "unavailable": UNAVAILABLE,
            "has_units": bool(rows) or bool(selectors.units_of(_user(request))),
        },
        status=status,
    )


def open_invoices_by_unit(units: Sequence[Unit]) -> dict[int, tuple[int, Decimal]]:
    """How many invoices of each unit are open now, and their balance: what « Inclure les factures déjà
    ouvertes » would add to automatic payment (never an NSF fee: decision 0031). One query."""
    rows = (
        Invoice.objects.filter(
            unit__in=units,
            status=InvoiceStatus.OPEN,
            amount__gt=F("amount_paid"),
            nsf_fee_of__isnull=True,
        )
        .values("unit_id")
        .annotate(count=Count("pk"), total=Sum(F("amount") - F("amount_paid")))
    )
    return {r["unit_id"]: (r["count"], r["total"]) for r in rows}


def autopay_offered(units: Sequence[Unit]) -> bool:
    """Whether the portal links to « Paiement automatique »: one of the person's units can enrol (its
    property takes online payment by card or debit), or has automatic payment on (to see or stop it)."""
    if not units:
        return False
    if any(autopay.autopay_methods(unit.property) for unit in units):
        return True
    return AutopayEnrolment.objects.filter(unit__in=units, status=AutopayStatus.ACTIVE).exists()


@login_required
def autopay_page(request: HttpRequest) -> HttpResponse:
    """Each of the person's units: automatic payment on (method, debits) or the way to turn it on."""
    user = _user(request)
    session_id = request.GET.get("session_id", "")
    if request.GET.get("setup") == "done" and session_id:
        # Back from the setup page: record it now rather than wait for the webhook (both record it once).
        autopay.sync_setup_session(session_id=session_id[:255])
        if AutopayEnrolment.objects.filter(setup_session_id=session_id[:255], user=user).exists():
            messages.success(request, _("Automatic payment is active."))
        else:
            messages.info(
                request, _("Your payment method is being confirmed; this page will show it shortly.")
            )
        return redirect("portal:autopay")
    if request.GET.get("setup") == "cancelled":
        messages.info(request, _("Automatic payment was not turned on."))
        return redirect("portal:autopay")
    return _page(request, _rows(user))


@login_required
@require_POST
def enrol(request: HttpRequest, unit_id: int) -> HttpResponse:
    user = _user(request)
    unit = next((u for u in selectors.units_of(user) if u.pk == unit_id), None)
    if unit is None:
        raise Http404
    methods = autopay.autopay_methods(unit.property)
    if not methods:
        # Online payment was turned off since the page was shown: say so, nothing is set up.
        messages.error(request, str(UNAVAILABLE))
        return redirect("portal:autopay")
    open_count = open_invoices_by_unit([unit]).get(unit.pk, (0, Decimal("0.00")))[0]
    form = EnrolForm(request.POST, methods=methods, open_invoices=open_count, prefix=f"u{unit_id}")
    if form.is_valid():
        page = request.build_absolute_uri(reverse("portal:autopay"))
        try:
            url = autopay.start_enrolment(
                user=user,
                unit_id=unit_id,
                method=form.cleaned_data["method"],
                success_url=f"{page}?setup=done&session_id={SESSION_PLACEHOLDER}",
                cancel_url=f"{page}?setup=cancelled",
                include_open=bool(form.cleaned_data.get("include_open")),
            )
        except errors.NotFound as exc:
            raise Http404 from exc
        except errors.ValidationError as exc:
            add_service_errors(form, exc)
        except errors.DomainError as exc:
            form.add_error(None, str(exc.message))
        else:
            return redirect(url)
    return _page(request, _rows(user, bound=(unit_id, form)), status=400)


@login_required
@require_http_methods(["GET", "POST"])
def stop(request: HttpRequest, enrolment_id: int) -> HttpResponse:
    """Confirm, then stop automatic payment of one unit."""
    user = _user(request)
    enrolment = (
        AutopayEnrolment.objects.select_related("unit", "unit__property")
        .filter(pk=enrolment_id, unit__in=selectors.units_of(user))
        .first()
    )
    if enrolment is None:
        raise Http404
    if request.method == "POST":
        try:
            autopay.stop_enrolment(actor=user, enrolment_id=enrolment.pk)
        except errors.NotFound as exc:
            raise Http404 from exc
        except errors.DomainError as exc:
            messages.info(request, str(exc.message))
        else:
            messages.success(request, _("Automatic payment is stopped: nothing more will be debited."))
        return redirect("portal:autopay")
    if enrolment.status != AutopayStatus.ACTIVE:
        return redirect("portal:autopay")
    scheduled = AutopayDebit.objects.filter(enrolment=enrolment, status="scheduled").select_related("invoice")
    return render(request, "portal/autopay_stop.html", {"enrolment": enrolment, "scheduled": list(scheduled)})

"""The « Jetons d'API » page of a user's account: create a token (shown once), list, revoke."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from logis.accounts.models import User
from logis.api import selectors, services
from logis.api.forms import ApiTokenForm
from logis.api.models import ApiToken
from logis.core import errors
from logis.core.forms import add_service_errors
from logis.core.views import is_htmx

# The secret of a token just created waits here for the page that shows it, and is gone once shown.
NEW_TOKEN_KEY = "logis_new_api_token"  # noqa: S105 (a session key, not a secret)


def _user(request: HttpRequest) -> User:
    user = request.user
    assert isinstance(user, User)
    return user


def _no_store(response: HttpResponse) -> HttpResponse:
    response.headers["Cache-Control"] = "no-store"
    return response


@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    user = _user(request)
    if not services.may_have_tokens(user):
        return render(request, "api/tokens_not_allowed.html", status=403)
    form = ApiTokenForm(request.POST if request.method == "POST" else None)
    form.fields["expires_on"].widget.attrs["min"] = timezone.localdate().isoformat()
    if request.method == "POST" and form.is_valid():
        try:
            created = services.create_api_token(
                actor=user, name=form.cleaned_data["name"], expires_on=form.cleaned_data["expires_on"]
            )
        except errors.ValidationError as exc:
            add_service_errors(form, exc)
        else:
            request.session[NEW_TOKEN_KEY] = {"id": created.token.pk, "secret": created.secret}
            return HttpResponseRedirect(reverse("api_tokens:list"))
    new = request.session.pop(NEW_TOKEN_KEY, None)
    rows = list(selectors.tokens_of(user))
    new_token = next((t for t in rows if new and t.pk == new.get("id")), None)
    now = timezone.now()
    context = {
        "form": form,
        "tokens": rows,
        "now": now,
        "new_token": new_token,
        "new_secret": new["secret"] if new_token is not None else None,
        "docs_url": reverse("api-v1:openapi-view"),
    }
    return _no_store(render(request, "api/tokens.html", context))


def _own_token(request: HttpRequest, token_id: int) -> ApiToken:
    token = selectors.tokens_of(_user(request)).filter(pk=token_id).first()
    if token is None:
        raise Http404
    return token


@login_required
@require_http_methods(["GET", "POST"])
def revoke(request: HttpRequest, token_id: int) -> HttpResponse:
    token = _own_token(request, token_id)
    list_url = reverse("api_tokens:list")
    if request.method == "POST":
        try:
            services.revoke_api_token(actor=_user(request), token_id=token.pk)
        except errors.InvalidTransition as exc:
            messages.error(request, str(exc.message))
        else:
            messages.success(
                request, _("The token “%(name)s” was revoked: it no longer works.") % {"name": token.name}
            )
        if is_htmx(request):
            response = HttpResponse(status=204)
            response["HX-Redirect"] = list_url
            return response
        return HttpResponseRedirect(list_url)
    template = "api/_revoke_dialog.html" if is_htmx(request) else "api/revoke_page.html"
    return render(request, template, {"token": token})

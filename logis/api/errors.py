"""How the API answers when it cannot do what was asked: JSON, in the request's language, never a 500.

- 400 / 422 ``{"errors": {"field": ["message", ...]}}``: the body is not JSON (400, field ``__all__``), or a
  value is refused (422), by the API's own reading of the request or by a service's ``ValidationError``.
- 401 ``{"message": ...}`` (with ``WWW-Authenticate: Bearer``): no token, or one that is not valid,
  expired or revoked.
- 403 ``{"message": ...}``: the user's role on the property does not allow the action.
- 404 ``{"message": ...}``: no such object, or one of a property the user holds no role on.
- 409 ``{"message": ...}``: the object's state does not allow the action (``InvalidTransition``).
- 429 ``{"message": ...}`` (with ``Retry-After``): the token sent more requests this minute than allowed.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

from django.http import Http404, HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from ninja import errors as ninja_errors

from logis.api.ratelimit import RateLimited
from logis.api.services import TokenRefusal, TokenRefused
from logis.core import errors

if TYPE_CHECKING:
    from ninja import NinjaAPI

ALL = "__all__"


def _message(api: NinjaAPI, request: HttpRequest, status: int, text: object) -> HttpResponse:
    return api.create_response(request, {"message": str(text)}, status=status)


def field_errors(
    api: NinjaAPI, request: HttpRequest, status: int, found: Mapping[str, Sequence[object]]
) -> HttpResponse:
    body = {"errors": {field: [str(m) for m in messages] for field, messages in found.items()}}
    return api.create_response(request, body, status=status)


def unauthorized(api: NinjaAPI, request: HttpRequest, text: object) -> HttpResponse:
    response = _message(api, request, 401, text)
    response["WWW-Authenticate"] = 'Bearer realm="logis"'
    return response


def _refusal_message(reason: TokenRefusal) -> str:
    if reason == TokenRefusal.EXPIRED:
        return _("This API token has expired. Create a new one on the API tokens page of your account.")
    if reason == TokenRefusal.REVOKED:
        return _("This API token was revoked. Create a new one on the API tokens page of your account.")
    return _("This API token is not valid.")


def _field_name(loc: Sequence[Any]) -> str:
    """``("body", "payload", "amount")`` → ``amount``; ``("query", "status")`` → ``status``; the body as a
    whole → ``__all__``."""
    parts = [str(p) for p in loc]
    if parts and parts[0] == "body":
        parts = parts[2:]  # the source and the view's parameter name
    elif parts:
        parts = parts[1:]
    return ".".join(parts) or ALL


def pydantic_message(error: Mapping[str, Any]) -> str:
    """One refused value, said in the active language (pydantic's own messages are English only)."""
    kind = error.get("type", "")
    ctx = error.get("ctx") or {}
    if kind == "value_error" and ctx.get("error"):
        return str(ctx["error"])
    if kind == "missing":
        return _("This field is required.")
    if kind in {"int_type", "int_parsing", "int_from_float", "int_parsing_size"}:
        return _("Enter a whole number.")
    if kind == "greater_than_equal":
        return _("Enter a number greater than or equal to %(limit)s.") % {"limit": ctx.get("ge")}
    if kind == "less_than_equal":
        return _("Enter a number less than or equal to %(limit)s.") % {"limit": ctx.get("le")}
    if kind in {"bool_type", "bool_parsing"}:
        return _("Enter true or false.")
    if kind in {"string_type", "string_unicode"}:
        return _("Send this value as a JSON string.")
    if kind == "string_too_long":
        return _("At most %(max)s characters.") % {"max": ctx.get("max_length")}
    if kind in {"enum", "literal_error"}:
        return _("Choose one of: %(choices)s.") % {"choices": ctx.get("expected", "")}
    if kind in {"model_type", "model_attributes_type", "dict_type"}:
        return _("Send a JSON object.")
    if kind == "extra_forbidden":
        return _("This field is not accepted here.")
    if kind == "json_invalid":
        return _("The request body is not valid JSON.")
    return _("Enter a valid value.")


def _add(
    api: NinjaAPI, exc_class: type[Exception], handler: Callable[[HttpRequest, Any], HttpResponse]
) -> None:
    # django-ninja types a handler's exception as "the class or an instance": each handler here takes
    # the instance of the class it is registered for.
    api.add_exception_handler(exc_class, handler)  # type: ignore[arg-type]


def install_handlers(api: NinjaAPI) -> None:
    def on_validation(request: HttpRequest, exc: ninja_errors.ValidationError) -> HttpResponse:
        found: dict[str, list[str]] = {}
        for error in exc.errors:
            found.setdefault(_field_name(error.get("loc", ())), []).append(pydantic_message(error))
        return field_errors(api, request, 422, found)

    def on_http_error(request: HttpRequest, exc: ninja_errors.HttpError) -> HttpResponse:
        if isinstance(exc, ninja_errors.AuthenticationError):
            return unauthorized(
                api, request, _("Authentication required: send the header Authorization: Bearer <token>.")
            )
        if exc.status_code == 400:
            return field_errors(api, request, 400, {ALL: [_("The request body is not valid JSON.")]})
        return _message(api, request, exc.status_code, exc.message)

    def on_refused(request: HttpRequest, exc: TokenRefused) -> HttpResponse:
        return unauthorized(api, request, _refusal_message(exc.reason))

    def on_404(request: HttpRequest, exc: Exception) -> HttpResponse:
        if isinstance(exc, errors.NotFound) and exc.message:
            return _message(api, request, 404, exc.message)
        return _message(api, request, 404, _("Not found."))

    def on_denied(request: HttpRequest, exc: errors.PermissionDenied) -> HttpResponse:
        return _message(
            api, request, 403, exc.message or _("Your role on this property does not allow this action.")
        )

    def on_transition(request: HttpRequest, exc: errors.InvalidTransition) -> HttpResponse:
        return _message(api, request, 409, exc.message)

    def on_domain_validation(request: HttpRequest, exc: errors.ValidationError) -> HttpResponse:
        return field_errors(api, request, 422, exc.errors)

    def on_rate_limited(request: HttpRequest, exc: RateLimited) -> HttpResponse:
        response = _message(
            api,
            request,
            429,
            _("Too many requests with this API token: at most %(limit)s a minute.") % {"limit": exc.limit}
            + " "
            + ngettext(
                "Try again in %(seconds)s second.", "Try again in %(seconds)s seconds.", exc.retry_after
            )
            % {"seconds": exc.retry_after},
        )
        response["Retry-After"] = str(exc.retry_after)
        return response

    _add(api, ninja_errors.ValidationError, on_validation)
    _add(api, RateLimited, on_rate_limited)
    _add(api, ninja_errors.HttpError, on_http_error)
    _add(api, TokenRefused, on_refused)
    _add(api, Http404, on_404)
    _add(api, errors.NotFound, on_404)
    _add(api, errors.PermissionDenied, on_denied)
    _add(api, errors.InvalidTransition, on_transition)
    _add(api, errors.ValidationError, on_domain_validation)

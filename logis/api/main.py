"""API v1: django-ninja over the same services and selectors as the pages. OpenAPI at /api/v1/openapi.json,
interactive documentation at /api/v1/docs."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger

from logis.api.auth import TokenAuth
from logis.api.banking import router as banking_router
from logis.api.endpoints import router
from logis.api.errors import install_handlers
from logis.api.ledger import router as ledger_router
from logis.api.ledger_accounts import router as ledger_accounts_router

DESCRIPTION = """
The Logis API does what the pages do, through the same rules: the same roles per property, the same
validations, the same audit trail.

**Authentication.** A personal API token, created on the « Jetons d'API » / "API tokens" page of your
account, sent as `Authorization: Bearer <token>`. The token acts as you: a property you hold no role on
answers 404, an action your role does not allow 403.

**Money** is a JSON string with two decimals (`"1234.50"`), in and out; a JSON number is refused.
**Dates** are ISO 8601; due dates and payment dates are the property's local dates.

**Errors** are JSON in the language of `Accept-Language` (French by default, English):
`{"errors": {"field": ["message"]}}` for refused input (400 when the body is not JSON, 422 otherwise),
`{"message": "..."}` for 401, 403, 404 and 409 (the object's state does not allow the action).

**Lists** are paginated with `limit` (at most 200) and `offset`, and give `count`, the number of rows
matching the filters. Offsets keep the Factures page's sorts; the order is always complete (ties broken
by id), so pages never overlap.
"""

api = NinjaAPI(
    title="Logis API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=TokenAuth(),
    docs=Swagger(settings={"persistAuthorization": False}),
)
install_handlers(api)
api.add_router("", router)
api.add_router("", banking_router)
api.add_router("", ledger_router)
api.add_router("", ledger_accounts_router)


@csrf_exempt  # nothing to protect, and a POST to a wrong address must still answer JSON
def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Any other address under /api/: a JSON 404, not the HTML page."""
    return JsonResponse({"message": _("Not found.")}, status=404)

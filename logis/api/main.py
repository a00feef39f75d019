"""API v1: django-ninja over the same services and selectors as the pages. OpenAPI at /api/v1/openapi.json,
interactive documentation at /api/v1/docs."""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from ninja import NinjaAPI
from ninja.openapi.docs import Swagger
from ninja.operation import Operation

from logis.api.auth import TokenAuth
from logis.api.autopay import router as autopay_router
from logis.api.banking import router as banking_router
from logis.api.endpoints import router
from logis.api.errors import install_handlers
from logis.api.imports import router as imports_router
from logis.api.invoices import router as invoices_router
from logis.api.ledger import router as ledger_router
from logis.api.ledger_accounts import router as ledger_accounts_router
from logis.api.payments import router as payments_router

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

**Lists** page by cursor (preferred): send `cursor=` (empty) for the first page, then the answer's
`next_cursor` (or `previous_cursor`) as `cursor`, with the same filters and sort, until it is null. Each
page costs the same whatever its depth, and rows added meanwhile never repeat a row already read. Without
`cursor`, lists page by `limit` (at most 200) and `offset` (at most 10,000) as before and give `count`,
the number of rows matching the filters (a cursor page gives `count: null`). The order is always complete
(ties broken by id), so pages never overlap. A cursor the list did not give, or one given for another sort,
answers 422 on `cursor`: start again with an empty one.
"""

# The modules split out of endpoints.py (one per resource) keep the operation ids the schema published
# (``logis_api_endpoints_list_invoices``…): clients generated from it name their methods after them.
FIRST_HOME = {"logis.api.invoices", "logis.api.payments", "logis.api.imports"}


class LogisApi(NinjaAPI):
    def get_openapi_operation_id(self, operation: Operation) -> str:
        module = operation.view_func.__module__
        if module in FIRST_HOME:
            module = "logis.api.endpoints"
        return f"{module}_{operation.view_func.__name__}".replace(".", "_")


api = LogisApi(
    title="Logis API",
    version="1",
    description=DESCRIPTION,
    urls_namespace="api-v1",
    auth=TokenAuth(),
    docs=Swagger(settings={"persistAuthorization": False}),
)
install_handlers(api)
api.add_router("", router)  # properties and units
api.add_router("", invoices_router)
api.add_router("", payments_router)
api.add_router("", imports_router)
api.add_router("", banking_router)
api.add_router("", ledger_router)
api.add_router("", ledger_accounts_router)
api.add_router("", autopay_router)


@csrf_exempt  # nothing to protect, and a POST to a wrong address must still answer JSON
def not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Any other address under /api/: a JSON 404, not the HTML page."""
    return JsonResponse({"message": _("Not found.")}, status=404)

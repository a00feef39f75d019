from allauth.account.decorators import secure_admin_login
from django.contrib import admin
from django.shortcuts import redirect
from django.urls import include, path, re_path

from logis.accounts.views import switch_language
from logis.api.main import api
from logis.api.main import not_found as api_not_found
from logis.core.health import favicon, healthz
from logis.properties.setup_views import logo as property_logo


def home(request):  # type: ignore[no-untyped-def]
    return redirect("properties:list" if request.user.is_authenticated else "account_login")


# The Django admin signs people in through allauth's sign-in, so its own password form cannot be used to
# skip the two-factor code.
admin.site.login = secure_admin_login(admin.site.login)  # type: ignore[method-assign]

urlpatterns = [
    path("", home, name="home"),
    path("healthz", healthz, name="healthz"),
    path("favicon.ico", favicon, name="favicon"),
    path("admin/", admin.site.urls),
    path("accounts/", include("logis.accounts.urls")),
    path("accounts/api-tokens/", include("logis.api.urls")),
    path("accounts/", include("allauth.urls")),
    path("language/", switch_language, name="switch_language"),
    path("p/", include("logis.dashboard.urls")),
    path("media/logos/<str:name>", property_logo, name="property_logo"),
    path("p/<int:property_id>/invoices/", include("logis.invoicing.urls")),
    path("p/<int:property_id>/billing/", include("logis.billing.urls")),
    path("p/<int:property_id>/budget/", include("logis.budgeting.urls")),
    path("p/<int:property_id>/payments/", include("logis.payments.urls")),
    path("portal/", include("logis.portal.urls")),
    path("", include("logis.payments.stripe_urls")),  # Stripe webhook, demo fake of Stripe
    path("p/<int:property_id>/collections/", include("logis.collections.urls")),
    path("p/<int:property_id>/settings/finances/", include("logis.finances.urls")),
    path("p/<int:property_id>/reports/", include("logis.reports.urls")),
    path("p/<int:property_id>/bank/", include("logis.banking.urls")),
    path("", include("logis.statements.urls")),  # a unit's statement: members and residents
    path("api/v1/", api.urls),
    # [\s\S]: a newline (%0A) in the address is still answered in JSON, not by the HTML 404 page.
    re_path(r"^api/(?P<rest>[\s\S]*)$", api_not_found),
]

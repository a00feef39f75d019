from django.urls import path

from logis.accounts import org_views, views

app_name = "accounts"

urlpatterns = [
    path("invitation/<str:token>/", views.invitation, name="invitation"),
    path("staff-invitation/<str:token>/", views.staff_invitation, name="staff_invitation"),
    path("organizations/", org_views.organizations, name="organizations"),
    path("organizations/<int:organization_id>/", org_views.organization, name="organization"),
    path(
        "organizations/<int:organization_id>/administrators/<int:membership_id>/remove/",
        org_views.remove_administrator,
        name="organization_remove_admin",
    ),
]

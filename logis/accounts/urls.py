from django.urls import path

from logis.accounts import views

app_name = "accounts"

urlpatterns = [
    path("invitation/<str:token>/", views.invitation, name="invitation"),
    path("staff-invitation/<str:token>/", views.staff_invitation, name="staff_invitation"),
]

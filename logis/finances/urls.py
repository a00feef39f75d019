from django.urls import path

from logis.finances import views

app_name = "finances"

urlpatterns = [
    path("", views.settings_page, name="settings"),
    path("funds/add/", views.fund_add, name="fund_add"),
    path("funds/<int:fund_id>/", views.fund_edit, name="fund_edit"),
    path("funds/<int:fund_id>/delete/", views.fund_delete, name="fund_delete"),
    path("categories/add/", views.category_add, name="category_add"),
    path("categories/<int:category_id>/", views.category_edit, name="category_edit"),
    path("categories/<int:category_id>/delete/", views.category_delete, name="category_delete"),
    path("taxes/", views.taxes, name="taxes"),
]

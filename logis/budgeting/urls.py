from django.urls import path

from logis.budgeting import views

app_name = "budgets"

urlpatterns = [
    path("", views.budget_list, name="list"),
    path("new/", views.budget_create, name="create"),
    path("<int:budget_id>/", views.budget_detail, name="detail"),
    path(
        "<int:budget_id>/contributions/export/",
        views.budget_contributions_export,
        name="contributions_export",
    ),
    path("<int:budget_id>/dues/", views.budget_adopt, name="adopt"),
    path("assessments/", views.assessment_list, name="assessments"),
    path("assessments/new/", views.assessment_create, name="assessment_create"),
    path("assessments/<int:assessment_id>/", views.assessment_detail, name="assessment_detail"),
]

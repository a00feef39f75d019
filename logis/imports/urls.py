from django.urls import path

from logis.imports import views

app_name = "imports"

urlpatterns = [
    path("", views.import_start, name="start"),
    path("template.<str:fmt>", views.import_template, name="template"),
    path("<int:batch_id>/", views.import_preview, name="preview"),
    path("<int:batch_id>/apply/", views.import_apply, name="apply"),
    path("<int:batch_id>/undo/", views.import_undo, name="undo"),
]

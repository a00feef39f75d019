from django.urls import path

from logis.banking import views

app_name = "banking"

urlpatterns = [
    path("", views.home, name="home"),
    path("statements/<int:statement_id>/", views.statement, name="statement"),
    path("statements/<int:statement_id>/confirm/", views.confirm, name="confirm"),
    path("deposits/new/", views.batch_new, name="batch_new"),
    path("deposits/<int:batch_id>/", views.batch_detail, name="batch"),
    path("deposits/<int:batch_id>/slip/", views.batch_slip, name="batch_slip"),
    path("deposits/<int:batch_id>/slip/export/", views.batch_slip_export, name="batch_slip_export"),
    path("deposits/<int:batch_id>/slip.pdf", views.batch_slip_pdf, name="batch_slip_pdf"),
]

from django.urls import path

from logis.payments import autopay_manager_views, online_views, paylink_views, remittance_views, views

app_name = "payments"

urlpatterns = [
    path("", views.payments_list, name="list"),
    path("record/<int:invoice_id>/", views.record, name="record"),
    path("<int:payment_id>/receipt/", views.receipt_pdf, name="receipt_pdf"),
    path("<int:payment_id>/reverse/", views.reverse, name="reverse"),
    path("<int:payment_id>/refund/", views.refund, name="refund"),
    path("<int:payment_id>/refund-online/", online_views.refund_online, name="refund_online"),
    path("invoices/<int:invoice_id>/revoke-pay-links/", paylink_views.revoke, name="revoke_pay_links"),
    path("autopay/", autopay_manager_views.autopay_list, name="autopay"),
    path("autopay/<int:enrolment_id>/stop/", autopay_manager_views.stop, name="autopay_stop"),
    path("units/<int:unit_id>/apply-credit/", views.apply_credit, name="apply_credit"),
    path("units/<int:unit_id>/refund-credit/", views.refund_credit, name="refund_credit"),
    path("units/<int:unit_id>/several-invoices/", remittance_views.record, name="record_remittance"),
    path("several-invoices/<int:remittance_id>/", remittance_views.detail, name="remittance"),
    path("several-invoices/<int:remittance_id>/receipt/", remittance_views.pdf, name="remittance_pdf"),
    path(
        "several-invoices/<int:remittance_id>/reverse/", remittance_views.reverse, name="reverse_remittance"
    ),
]

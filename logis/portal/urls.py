from django.urls import path

from logis.portal import autopay_views, balance_views, link_views, views

app_name = "portal"

urlpatterns = [
    path("", views.home, name="home"),
    path("invoices/<int:invoice_id>/", views.invoice, name="invoice"),
    path("invoices/<int:invoice_id>/pay/", views.pay, name="pay"),
    path("invoices/<int:invoice_id>/pdf/", views.invoice_pdf, name="invoice_pdf"),
    path("receipts/<int:payment_id>/", views.receipt, name="receipt"),
    path("receipts/<int:payment_id>/pdf/", views.receipt_pdf, name="receipt_pdf"),
    # « Payer le solde »: several invoices of a unit in one Checkout, one receipt (docs/decisions/0036).
    path("units/<int:unit_id>/balance/", balance_views.balance, name="balance"),
    path("units/<int:unit_id>/balance/pay/", balance_views.pay_balance, name="pay_balance"),
    path("several-invoices/<int:remittance_id>/", balance_views.remittance, name="remittance"),
    path("several-invoices/<int:remittance_id>/pdf/", balance_views.remittance_pdf, name="remittance_pdf"),
    path("autopay/", autopay_views.autopay_page, name="autopay"),
    path("autopay/units/<int:unit_id>/enrol/", autopay_views.enrol, name="autopay_enrol"),
    path("autopay/<int:enrolment_id>/stop/", autopay_views.stop, name="autopay_stop"),
    # « Voir et payer » from an email: no sign-in, that invoice only (docs/decisions/0025).
    path("link/<int:invoice_id>/<str:token>/", link_views.pay_link, name="pay_link"),
    path("link/<int:invoice_id>/<str:token>/pdf/", link_views.pay_link_pdf, name="pay_link_pdf"),
]

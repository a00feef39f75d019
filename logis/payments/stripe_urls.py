"""Stripe's side of Logis, outside any property: the webhook, and the demo fake (404 with a real key)."""

from django.urls import path

from logis.payments.fake_stripe_demo import demo_view
from logis.payments.webhooks import stripe_webhook

urlpatterns = [
    path("stripe/webhook/", stripe_webhook, name="stripe_webhook"),
    path("demo-stripe/", demo_view, name="demo_stripe"),
    path("demo-stripe/<path:path>", demo_view, name="demo_stripe"),
]

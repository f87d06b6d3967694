from django.urls import path

from apps.fees import apis

urlpatterns = [
    path("invoices/", apis.InvoiceListApi.as_view(), name="fees-invoices"),
    path("invoices/<uuid:invoice_id>/", apis.InvoiceDetailApi.as_view(), name="fees-invoice"),
    path(
        "invoices/<uuid:invoice_id>/payments/",
        apis.InvoicePaymentsApi.as_view(),
        name="fees-invoice-payments",
    ),
    path(
        "invoices/<uuid:invoice_id>/checkout/",
        apis.InvoiceCheckoutApi.as_view(),
        name="fees-invoice-checkout",
    ),
    path(
        "invoices/<uuid:invoice_id>/discounts/",
        apis.InvoiceDiscountsApi.as_view(),
        name="fees-invoice-discounts",
    ),
    path(
        "invoices/<uuid:invoice_id>/cancel/",
        apis.InvoiceCancelApi.as_view(),
        name="fees-invoice-cancel",
    ),
    path(
        "payments/<uuid:payment_id>/refunds/",
        apis.PaymentRefundsApi.as_view(),
        name="fees-payment-refunds",
    ),
    path(
        "payments/<uuid:payment_id>/receipt/",
        apis.PaymentReceiptApi.as_view(),
        name="fees-payment-receipt",
    ),
    path("reports/", apis.FeeReportApi.as_view(), name="fees-reports"),
    path(
        "gateway/<str:gateway_name>/webhook/",
        apis.GatewayWebhookApi.as_view(),
        name="fees-gateway-webhook",
    ),
    path(
        "gateway/test/checkout/<str:reference>/",
        apis.test_gateway_checkout,
        name="fees-test-gateway-checkout",
    ),
]

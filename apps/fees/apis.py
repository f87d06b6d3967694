"""REST endpoints for fees (``/api/v1/fees/``): invoices, payments, refunds, receipts, online
checkout and the gateways' webhooks, reports.

Views only parse input, call an ``access_*`` selector and a service, and render. Amounts travel as
decimal strings ("100.50"); a JSON float is refused rather than rounded.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal, InvalidOperation
from typing import Any

from django.http import HttpResponse
from django.views.decorators.csrf import csrf_exempt
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.permissions import AllowAny
from rest_framework.response import Response

from apps.core.errors import ApplicationError
from apps.core.permissions import roles
from apps.core.serializers import NamedSerializer, PersonSerializer, paginated
from apps.fees.gateways import TestGateway, gateway_enabled, get_gateway
from apps.fees.models import InvoiceStatus, Payment, PaymentMethod
from apps.fees.receipts import render_receipt
from apps.fees.selectors import (
    REPORT_KINDS,
    access_invoice,
    access_payment,
    fee_report,
    invoice_list,
    receipt_for,
)
from apps.fees.services.invoices import invoice_cancel, invoice_discount_add
from apps.fees.services.payments import (
    checkout_start,
    gateway_event_apply,
    payment_record,
    refund_create,
)

FEE_STAFF = roles("school_admin")
FEE_READERS = roles("school_admin", "student", "guardian")

IDEMPOTENCY_KEY = OpenApiParameter(
    "Idempotency-Key",
    OpenApiTypes.STR,
    OpenApiParameter.HEADER,
    description="Any unique string per intended payment; a retry with the same key returns the "
    "first result and charges nothing new.",
)


@extend_schema_field({"type": "string", "format": "decimal", "example": "1500.00"})
class MoneyField(serializers.Field):
    """A decimal string (or a whole number). Floats are refused: 0.1 is not a tenth."""

    def to_internal_value(self, data: Any) -> Decimal:
        if isinstance(data, (float, bool)) or not isinstance(data, (str, int)):
            raise serializers.ValidationError('Send the amount as a decimal string, e.g. "100.50".')
        try:
            return Decimal(str(data).strip())
        except InvalidOperation:
            raise serializers.ValidationError("Not a number.") from None

    def to_representation(self, value: Decimal) -> str:
        return str(value)


def money(**options: Any) -> serializers.DecimalField:
    return serializers.DecimalField(max_digits=12, decimal_places=2, **options)


class InvoiceLineSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    kind = serializers.CharField()
    head = serializers.CharField(source="head.name", allow_null=True, default=None)
    description = serializers.CharField()
    amount = money()
    reason = serializers.CharField()


class PaymentSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    invoice = serializers.UUIDField(source="invoice_id")
    amount = money()
    method = serializers.ChoiceField(choices=PaymentMethod.choices)
    status = serializers.CharField()
    receipt_number = serializers.IntegerField(allow_null=True)
    balance_after = money()
    reference = serializers.CharField()
    created_at = serializers.DateTimeField()
    paid_at = serializers.DateTimeField(allow_null=True)
    receipt_url = serializers.SerializerMethodField()

    def get_receipt_url(self, payment: Payment) -> str | None:
        if payment.receipt_number is None:
            return None
        return f"/api/v1/fees/payments/{payment.pk}/receipt/"


class RefundSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    payment = serializers.UUIDField(source="payment_id")
    amount = money()
    reason = serializers.CharField()
    created_at = serializers.DateTimeField()


class InvoiceSerializer(serializers.Serializer):
    id = serializers.UUIDField()
    title = serializers.CharField()
    student = PersonSerializer()
    school_class = NamedSerializer(allow_null=True)
    status = serializers.ChoiceField(choices=InvoiceStatus.choices)
    currency = serializers.CharField()
    issued_on = serializers.DateField()
    due_date = serializers.DateField()
    charges = money(source="charges_total")
    discounts = money(source="discounts_total")
    fines = money(source="fines_total")
    paid = money(source="paid_total")
    refunded = money(source="refunded_total")
    balance = money()


class InvoiceDetailSerializer(InvoiceSerializer):
    lines = InvoiceLineSerializer(many=True, source="lines.all")
    payments = PaymentSerializer(many=True, source="payments.all")
    refunds = RefundSerializer(many=True, source="refunds.all")


class InvoiceListApi(GenericAPIView):
    permission_classes = [FEE_READERS]

    class InvoiceFilterSerializer(serializers.Serializer):
        student = serializers.UUIDField(required=False)
        status = serializers.ChoiceField(choices=InvoiceStatus.choices, required=False)

    @extend_schema(parameters=[InvoiceFilterSerializer], responses=InvoiceSerializer(many=True))
    def get(self, request):
        filters = self.InvoiceFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        invoices = invoice_list(
            user=request.user,
            student_id=filters.validated_data.get("student"),
            status=filters.validated_data.get("status"),
        )
        return paginated(self, invoices, InvoiceSerializer)


class InvoiceDetailApi(GenericAPIView):
    permission_classes = [FEE_READERS]

    @extend_schema(responses=InvoiceDetailSerializer)
    def get(self, request, invoice_id):
        invoice = access_invoice(user=request.user, invoice_id=invoice_id)
        return Response(InvoiceDetailSerializer(invoice).data)


# A POST that validates ``input_serializer_class``, creates one thing through ``create`` (at most
# once per ``Idempotency-Key`` header: the service keeps the key) and answers 201 with
# ``output_serializer_class``; the OpenAPI schema says so for each subclass. Input fields named
# as the service's keyword arguments are passed on as they are (``**data``). (A comment, not a
# docstring: the schema would show a docstring as the description of subclasses that have none.)
class KeyedCreateApi(GenericAPIView):
    input_serializer_class: type[serializers.Serializer]
    output_serializer_class: type[serializers.Serializer]

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        schema = extend_schema(
            request=cls.input_serializer_class,
            parameters=[IDEMPOTENCY_KEY],
            responses={201: cls.output_serializer_class},
        )
        extend_schema_view(post=schema)(cls)

    def create(
        self, request, data: dict[str, Any], idempotency_key: str | None, **url_kwargs: Any
    ) -> Any:
        raise NotImplementedError

    def post(self, request, **url_kwargs):
        data = self.input_serializer_class(data=request.data)
        data.is_valid(raise_exception=True)
        key = request.headers.get("Idempotency-Key")
        created = self.create(request, data.validated_data, key, **url_kwargs)
        body = self.output_serializer_class(created).data
        return Response(body, status=status.HTTP_201_CREATED)


class InvoicePaymentsApi(KeyedCreateApi):
    """Staff record money received (cash, bank, cheque). Needs an ``Idempotency-Key`` header."""

    permission_classes = [FEE_STAFF]

    class PaymentCreateInputSerializer(serializers.Serializer):
        amount = MoneyField()
        method = serializers.CharField(max_length=20)
        reference = serializers.CharField(max_length=100, required=False, default="")

    input_serializer_class = PaymentCreateInputSerializer
    output_serializer_class = PaymentSerializer

    def create(self, request, data, idempotency_key, invoice_id):
        invoice = access_invoice(user=request.user, invoice_id=invoice_id)
        payment, _ = payment_record(
            invoice_id=invoice.pk, recorded_by=request.user, idempotency_key=idempotency_key, **data
        )
        return payment


class InvoiceCheckoutApi(KeyedCreateApi):
    """Start an online payment: a pending payment and the gateway's checkout URL."""

    permission_classes = [FEE_READERS]

    class CheckoutInputSerializer(serializers.Serializer):
        amount = MoneyField()
        gateway = serializers.CharField(max_length=20, default="test")

    class CheckoutOutputSerializer(serializers.Serializer):
        payment = PaymentSerializer()
        checkout_url = serializers.CharField()

    input_serializer_class = CheckoutInputSerializer
    output_serializer_class = CheckoutOutputSerializer

    def create(self, request, data, idempotency_key, invoice_id):
        invoice = access_invoice(user=request.user, invoice_id=invoice_id)
        payment, url = checkout_start(
            invoice_id=invoice.pk,
            amount=data["amount"],
            gateway_name=data["gateway"],
            started_by=request.user,
            idempotency_key=idempotency_key,
        )
        return {"payment": payment, "checkout_url": url}


class InvoiceDiscountsApi(GenericAPIView):
    permission_classes = [FEE_STAFF]

    class DiscountInputSerializer(serializers.Serializer):
        amount = MoneyField()
        reason = serializers.CharField(max_length=200)

    @extend_schema(request=DiscountInputSerializer, responses={201: InvoiceDetailSerializer})
    def post(self, request, invoice_id):
        data = self.DiscountInputSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        invoice = access_invoice(user=request.user, invoice_id=invoice_id)
        invoice_discount_add(
            invoice_id=invoice.pk,
            amount=data.validated_data["amount"],
            reason=data.validated_data["reason"],
            given_by=request.user,
        )
        invoice = access_invoice(user=request.user, invoice_id=invoice_id)
        return Response(InvoiceDetailSerializer(invoice).data, status=status.HTTP_201_CREATED)


class InvoiceCancelApi(GenericAPIView):
    permission_classes = [FEE_STAFF]

    @extend_schema(request=None, responses=InvoiceDetailSerializer)
    def post(self, request, invoice_id):
        invoice = access_invoice(user=request.user, invoice_id=invoice_id)
        invoice_cancel(invoice_id=invoice.pk)
        invoice = access_invoice(user=request.user, invoice_id=invoice_id)
        return Response(InvoiceDetailSerializer(invoice).data)


class PaymentRefundsApi(KeyedCreateApi):
    permission_classes = [FEE_STAFF]

    class RefundInputSerializer(serializers.Serializer):
        amount = MoneyField()
        reason = serializers.CharField(max_length=200)

    input_serializer_class = RefundInputSerializer
    output_serializer_class = RefundSerializer

    def create(self, request, data, idempotency_key, payment_id):
        payment = access_payment(user=request.user, payment_id=payment_id)
        refund, _ = refund_create(
            payment_id=payment.pk, refunded_by=request.user, idempotency_key=idempotency_key, **data
        )
        return refund


class PaymentReceiptApi(GenericAPIView):
    permission_classes = [FEE_READERS]

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY})
    def get(self, request, payment_id):
        payment = access_payment(user=request.user, payment_id=payment_id)
        pdf = render_receipt(receipt_for(payment=payment))
        response = HttpResponse(pdf, content_type="application/pdf")
        response["Content-Disposition"] = f'inline; filename="receipt-{payment.receipt_number}.pdf"'
        return response


class GatewayWebhookApi(GenericAPIView):
    """Called by a payment gateway's servers, not by users: no login, a signature instead."""

    authentication_classes: list = []
    permission_classes = [AllowAny]

    @extend_schema(request=OpenApiTypes.OBJECT, responses={200: PaymentSerializer})
    def post(self, request, gateway_name):
        gateway = get_gateway(gateway_name)
        # The signature covers the raw bytes, so they are read before anything parses them.
        event = gateway.verify(body=request.body, headers=dict(request.headers))
        payment = gateway_event_apply(gateway_name=gateway.name, event=event)
        return Response(PaymentSerializer(payment).data)


class FeeReportApi(GenericAPIView):
    """Invoiced, collected and outstanding amounts per class, head or month of the due date;
    ``?export=csv`` for a spreadsheet (``?format=`` is DRF's own renderer switch)."""

    permission_classes = [FEE_STAFF]
    pagination_class = None  # a report is one short list, not pages

    class ReportFilterSerializer(serializers.Serializer):
        by = serializers.ChoiceField(choices=REPORT_KINDS, default="class")
        date_from = serializers.DateField(required=False)
        date_to = serializers.DateField(required=False)

    class ReportRowSerializer(serializers.Serializer):
        key = serializers.CharField()
        invoices = serializers.IntegerField()
        invoiced = money()
        collected = money()
        outstanding = money()

    @extend_schema(parameters=[ReportFilterSerializer], responses=ReportRowSerializer(many=True))
    def get(self, request):
        filters = self.ReportFilterSerializer(data=request.query_params)
        filters.is_valid(raise_exception=True)
        rows = fee_report(
            user=request.user,
            by=filters.validated_data["by"],
            date_from=filters.validated_data.get("date_from"),
            date_to=filters.validated_data.get("date_to"),
        )
        if request.query_params.get("export") == "csv":
            return csv_response(rows, filename=f"fees-by-{filters.validated_data['by']}.csv")
        return Response(self.ReportRowSerializer(rows, many=True).data)


def csv_response(rows, *, filename: str) -> HttpResponse:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["key", "invoices", "invoiced", "collected", "outstanding"])
    for row in rows:
        writer.writerow([row.key, row.invoices, row.invoiced, row.collected, row.outstanding])
    response = HttpResponse(out.getvalue(), content_type="text/csv")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@csrf_exempt
def test_gateway_checkout(request, reference: str) -> HttpResponse:
    """The test gateway's hosted checkout page. "Pay" makes the gateway send its signed
    webhook, as a real gateway's servers would once the card is charged."""
    gateway = TestGateway()
    if not gateway_enabled(gateway.name):
        return HttpResponse("Unknown checkout.", status=404, content_type="text/plain")
    payment = Payment.objects.filter(gateway=gateway.name, gateway_reference=reference).first()
    if payment is None:
        return HttpResponse("Unknown checkout.", status=404, content_type="text/plain")
    if request.method == "POST" and payment.status == "pending":
        succeeded = request.POST.get("outcome", "pay") == "pay"
        body = gateway.event_body(
            event_id=f"evt_{reference}", reference=reference, amount=payment.amount,
            succeeded=succeeded,
        )  # fmt: skip
        headers = {gateway.signature_header: gateway.sign(body)}
        try:
            payment = gateway_event_apply(
                gateway_name=gateway.name, event=gateway.verify(body=body, headers=headers)
            )
        except ApplicationError as error:
            return HttpResponse(error.message, status=error.status_code, content_type="text/plain")
    page = (
        "<!doctype html><title>Test gateway</title><h1>Test payment gateway</h1>"
        f"<p>Amount: {payment.amount} {payment.invoice.currency}</p><p>Status: {payment.status}</p>"
    )
    if payment.status == "pending":
        page += (
            '<form method="post"><button name="outcome" value="pay">Pay</button> '
            '<button name="outcome" value="fail">Fail</button></form>'
        )
    return HttpResponse(page)

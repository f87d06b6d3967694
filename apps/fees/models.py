"""Fees: what a school charges (heads, structures, installment plans, discount and fine rules),
what each student owes (invoices and their lines) and what was paid or given back.

Every amount is a ``Decimal`` in the school's currency (``FeeSettings``). An invoice keeps running
totals of its lines, payments and refunds, updated in the same transaction as the row that changes
them, so its balance is always ``charges - discounts + fines - paid + refunded``.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q

from apps.core.tenancy import SchoolOwned
from apps.writebuffer.models import BufferedModel

ZERO = Decimal("0")

# Money records use RESTRICT, not PROTECT, for what they refer to: a student, a fee head or an
# invoice with payments cannot be deleted on its own, yet an operator can still delete a whole
# school (everything goes in one cascade, which RESTRICT allows and PROTECT would refuse).


def money_field(**options) -> models.DecimalField:
    return models.DecimalField(max_digits=12, decimal_places=2, **options)


class FeeSettings(SchoolOwned):
    """One school's fee settings: currency, what an overpayment does, when reminders go out."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    currency = models.CharField(max_length=3, default="INR", help_text="ISO 4217 code")
    currency_decimals = models.PositiveSmallIntegerField(
        default=2, help_text="Decimal places the currency has (0 for JPY, 2 for INR, EUR...)."
    )
    allow_credit = models.BooleanField(
        default=False,
        help_text="Keep an overpayment as credit on the invoice; otherwise it is refused.",
    )
    remind_days_before = models.PositiveSmallIntegerField(default=3)
    remind_days_after = models.PositiveSmallIntegerField(default=7)

    class Meta:
        verbose_name = "fee settings"
        verbose_name_plural = "fee settings"
        constraints = [models.UniqueConstraint(fields=["school"], name="unique_fee_settings")]

    def clean(self) -> None:
        super().clean()
        if self.currency_decimals > 2:
            raise ValidationError({"currency_decimals": "At most 2 (amounts are stored in cents)."})

    def __str__(self) -> str:
        return f"Fee settings ({self.currency})"


class FeeHead(SchoolOwned):
    """What a charge is for: tuition, transport, exams..."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    code = models.CharField(max_length=20)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["school", "code"], name="unique_fee_head_code")
        ]

    def __str__(self) -> str:
        return self.name


class InstallmentPlan(SchoolOwned):
    """How a structure's total is split over the year: by percentages or by fixed amounts."""

    class Split(models.TextChoices):
        PERCENT = "percent", "Percent of the total"
        AMOUNT = "amount", "Fixed amounts"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    split = models.CharField(max_length=10, choices=Split.choices, default=Split.PERCENT)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Installment(SchoolOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    plan = models.ForeignKey(InstallmentPlan, on_delete=models.CASCADE, related_name="installments")
    sequence = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=100)
    due_date = models.DateField()
    value = models.DecimalField(
        max_digits=12,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="A percentage or an amount, as the plan says.",
    )

    class Meta:
        ordering = ["plan", "sequence"]
        constraints = [
            models.UniqueConstraint(fields=["plan", "sequence"], name="unique_installment")
        ]

    def __str__(self) -> str:
        return f"{self.plan}: {self.name}"


class FeeStructure(SchoolOwned):
    """What one class (and, optionally, one category of students) pays in an academic year.

    Applying it to its class invoices every enrolled student, and the daily task invoices
    students enrolled later.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    academic_year = models.CharField(max_length=9)
    school_class = models.ForeignKey(
        "users.SchoolClass", on_delete=models.CASCADE, related_name="fee_structures"
    )
    category = models.CharField(
        max_length=40, blank=True, help_text="Only students of this category; blank for all."
    )
    plan = models.ForeignKey(InstallmentPlan, on_delete=models.RESTRICT, related_name="structures")
    applied_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["academic_year", "name"]

    def __str__(self) -> str:
        return f"{self.name} ({self.academic_year})"


class FeeStructureLine(SchoolOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    structure = models.ForeignKey(FeeStructure, on_delete=models.CASCADE, related_name="lines")
    head = models.ForeignKey(FeeHead, on_delete=models.RESTRICT, related_name="+")
    amount = money_field(validators=[MinValueValidator(Decimal("0.01"))])

    class Meta:
        ordering = ["structure", "head__name"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "head"], name="unique_structure_head")
        ]

    def __str__(self) -> str:
        return f"{self.head}: {self.amount}"


class StudentFeeProfile(SchoolOwned):
    """What fee rules need to know about a student: category, and whether a staff member's child."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    student = models.OneToOneField(
        "users.User", on_delete=models.CASCADE, related_name="fee_profile"
    )
    category = models.CharField(max_length=40, blank=True)
    staff_child = models.BooleanField(default=False)

    def __str__(self) -> str:
        return f"{self.student} ({self.category or 'no category'})"


class DiscountRule(SchoolOwned):
    """A discount given automatically when invoices are created."""

    class Kind(models.TextChoices):
        SIBLING = "sibling", "Sibling (every child after the first)"
        STAFF_CHILD = "staff_child", "Staff child"
        CATEGORY = "category", "Student category"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=20, choices=Kind.choices)
    category = models.CharField(max_length=40, blank=True, help_text="For category discounts.")
    percent = models.DecimalField(
        max_digits=5,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0.01"))],
        help_text="Percent of the invoice's charges.",
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(percent__gt=0, percent__lte=100), name="discount_percent_range"
            )
        ]

    def clean(self) -> None:
        super().clean()
        if self.kind == self.Kind.CATEGORY and not self.category:
            raise ValidationError({"category": "A category discount needs a category."})

    def __str__(self) -> str:
        return f"{self.name} ({self.percent}%)"


class LateFineRule(SchoolOwned):
    """A fine for an invoice still unpaid after its due date (and the grace days)."""

    class Kind(models.TextChoices):
        FIXED = "fixed", "Fixed, once"
        PER_DAY = "per_day", "Per day overdue"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=100)
    kind = models.CharField(max_length=10, choices=Kind.choices)
    amount = money_field(validators=[MinValueValidator(Decimal("0.01"))])
    cap = money_field(
        null=True, blank=True, help_text="The most this rule charges one invoice; blank: no cap."
    )
    grace_days = models.PositiveSmallIntegerField(default=0)
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class InvoiceStatus(models.TextChoices):
    DRAFT = "draft", "Draft"
    ISSUED = "issued", "Issued"
    PARTLY_PAID = "partly_paid", "Partly paid"
    PAID = "paid", "Paid"
    CANCELLED = "cancelled", "Cancelled"
    REFUNDED = "refunded", "Refunded"


class Invoice(SchoolOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    student = models.ForeignKey("users.User", on_delete=models.RESTRICT, related_name="invoices")
    school_class = models.ForeignKey(
        "users.SchoolClass", on_delete=models.RESTRICT, null=True, blank=True, related_name="+"
    )
    structure = models.ForeignKey(
        FeeStructure, on_delete=models.RESTRICT, null=True, blank=True, related_name="invoices"
    )
    installment = models.ForeignKey(
        Installment, on_delete=models.RESTRICT, null=True, blank=True, related_name="+"
    )
    title = models.CharField(max_length=200)
    currency = models.CharField(max_length=3)
    status = models.CharField(
        max_length=20, choices=InvoiceStatus.choices, default=InvoiceStatus.ISSUED
    )
    issued_on = models.DateField()
    due_date = models.DateField()
    # Running totals, changed only together with the line, payment or refund that moves them.
    charges_total = money_field(default=ZERO, editable=False)
    discounts_total = money_field(default=ZERO, editable=False)
    fines_total = money_field(default=ZERO, editable=False)
    paid_total = money_field(default=ZERO, editable=False)
    refunded_total = money_field(default=ZERO, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["due_date", "title"]
        indexes = [
            models.Index(fields=["school", "student"]),
            models.Index(fields=["school", "status", "due_date"]),
        ]
        constraints = [
            # A structure invoices a student once per installment, however often it is applied.
            models.UniqueConstraint(
                fields=["structure", "installment", "student"],
                condition=Q(structure__isnull=False),
                name="unique_structure_invoice",
            )
        ]

    @property
    def balance(self) -> Decimal:
        return (
            self.charges_total
            - self.discounts_total
            + self.fines_total
            - self.paid_total
            + self.refunded_total
        )

    @property
    def net_paid(self) -> Decimal:
        return self.paid_total - self.refunded_total

    def __str__(self) -> str:
        return f"{self.title}: {self.student}"


class InvoiceLine(SchoolOwned):
    class Kind(models.TextChoices):
        CHARGE = "charge", "Charge"
        DISCOUNT = "discount", "Discount"
        FINE = "fine", "Late fine"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    kind = models.CharField(max_length=10, choices=Kind.choices)
    head = models.ForeignKey(FeeHead, on_delete=models.RESTRICT, null=True, blank=True)
    description = models.CharField(max_length=200)
    # Always positive; the kind says whether it adds to or takes from the balance.
    amount = money_field(validators=[MinValueValidator(Decimal("0.01"))])
    discount_rule = models.ForeignKey(
        DiscountRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    fine_rule = models.ForeignKey(
        LateFineRule, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    fine_date = models.DateField(null=True, blank=True)
    reason = models.CharField(max_length=200, blank=True)
    created_by = models.ForeignKey(
        "users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["invoice", "created_at", "kind"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="invoice_line_positive"),
            # What makes the daily fine task charge once per day, however often it runs.
            models.UniqueConstraint(
                fields=["invoice", "fine_rule", "fine_date"],
                condition=Q(kind="fine"),
                name="unique_fine_per_rule_and_day",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.description} {self.amount}"


class PaymentMethod(models.TextChoices):
    CASH = "cash", "Cash"
    BANK = "bank", "Bank transfer"
    CHEQUE = "cheque", "Cheque"
    ONLINE = "online", "Online (gateway)"


class PaymentStatus(models.TextChoices):
    PENDING = "pending", "Pending at the gateway"
    SUCCEEDED = "succeeded", "Succeeded"
    FAILED = "failed", "Failed"


class Payment(SchoolOwned, BufferedModel):
    """Money received for one invoice. Registered ``write_through`` with the write buffer: it is
    in PostgreSQL, with its receipt number and the invoice's new balance, before anyone is told
    it was taken."""

    invoice = models.ForeignKey(Invoice, on_delete=models.RESTRICT, related_name="payments")
    student = models.ForeignKey("users.User", on_delete=models.RESTRICT, related_name="+")
    amount = money_field()
    method = models.CharField(max_length=10, choices=PaymentMethod.choices)
    status = models.CharField(max_length=10, choices=PaymentStatus.choices)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    receipt_number = models.PositiveIntegerField(null=True, blank=True)
    balance_after = money_field(null=True, blank=True, editable=False)
    reference = models.CharField(max_length=100, blank=True, help_text="Bank or cheque reference")
    gateway = models.CharField(max_length=20, blank=True)
    gateway_reference = models.CharField(max_length=64, null=True, blank=True)
    recorded_by = models.ForeignKey(
        "users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField()
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="payment_positive"),
            models.UniqueConstraint(
                fields=["school", "idempotency_key"], name="unique_payment_idempotency_key"
            ),
            models.UniqueConstraint(
                fields=["school", "receipt_number"], name="unique_receipt_number"
            ),
            models.UniqueConstraint(
                fields=["gateway", "gateway_reference"], name="unique_gateway_reference"
            ),
        ]

    def __str__(self) -> str:
        number = f"receipt {self.receipt_number}" if self.receipt_number else self.status
        return f"{self.amount} {self.get_method_display()} ({number})"


class ReceiptSequence(SchoolOwned):
    """The last receipt number a school gave. Taken under a row lock in the payment's own
    transaction, so a rolled-back payment gives its number back: numbers have no gaps."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    last_number = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["school"], name="unique_receipt_sequence")]

    def __str__(self) -> str:
        return f"last receipt {self.last_number}"


class Refund(SchoolOwned):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    payment = models.ForeignKey(Payment, on_delete=models.RESTRICT, related_name="refunds")
    invoice = models.ForeignKey(Invoice, on_delete=models.RESTRICT, related_name="refunds")
    amount = money_field()
    reason = models.CharField(max_length=200)
    idempotency_key = models.CharField(max_length=255, null=True, blank=True)
    refunded_by = models.ForeignKey(
        "users.User", on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(condition=Q(amount__gt=0), name="refund_positive"),
            models.UniqueConstraint(
                fields=["school", "idempotency_key"], name="unique_refund_idempotency_key"
            ),
        ]


class GatewayEvent(models.Model):
    """A webhook event a gateway sent and we processed; seeing its id again is a replay."""

    id = models.BigAutoField(primary_key=True)
    gateway = models.CharField(max_length=20)
    event_id = models.CharField(max_length=100)
    received_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["gateway", "event_id"], name="unique_gateway_event")
        ]

    def __str__(self) -> str:
        return f"{self.gateway} {self.event_id}"


class ReminderSent(SchoolOwned):
    """A reminder sent, so the daily task never sends the same one twice."""

    class Kind(models.TextChoices):
        BEFORE_DUE = "before_due", "Before the due date"
        OVERDUE = "overdue", "Overdue"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=20, choices=Kind.choices)
    sent_at = models.DateTimeField(auto_now_add=True)
    recipients = models.PositiveSmallIntegerField(default=0)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["invoice", "kind"], name="unique_reminder")]

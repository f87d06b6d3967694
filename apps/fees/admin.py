"""Admin for fee setup (heads, structures, plans, rules, settings), invoices, payments and the
fee report, scoped to the admin's school.

Amounts that move money (payments, refunds, invoice totals) are read-only here: they change only
through the services, which lock the invoice and keep its totals and receipt numbers right.
"""

from __future__ import annotations

from typing import cast

from django.contrib import admin, messages
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import path

from apps.core.admin import SchoolScopedAdmin
from apps.core.errors import ApplicationError
from apps.fees.apis import csv_response
from apps.fees.models import (
    DiscountRule,
    FeeHead,
    FeeSettings,
    FeeStructure,
    FeeStructureLine,
    Installment,
    InstallmentPlan,
    Invoice,
    InvoiceLine,
    LateFineRule,
    Payment,
    Refund,
    StudentFeeProfile,
)
from apps.fees.selectors import REPORT_KINDS, fee_report
from apps.fees.services.invoices import invoice_cancel, structure_apply
from apps.users.models import User


class SchoolScopedInline(admin.TabularInline):
    extra = 0

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        model = formfield.queryset.model if formfield is not None else None
        if (
            model
            and not request.user.is_superuser
            and any(f.name == "school" for f in model._meta.concrete_fields)
        ):
            formfield.queryset = formfield.queryset.filter(school_id=request.user.school_id)
        return formfield


def _save_inline_school(formset, parent) -> None:
    # Inline rows carry their own school for scoping; it is always their parent's.
    for row in formset.save(commit=False):
        row.school_id = parent.school_id
        row.save()
    for row in formset.deleted_objects:
        row.delete()


@admin.register(FeeSettings)
class FeeSettingsAdmin(SchoolScopedAdmin):
    list_display = ["school", "currency", "currency_decimals", "allow_credit"]


@admin.register(FeeHead)
class FeeHeadAdmin(SchoolScopedAdmin):
    list_display = ["name", "code"]
    search_fields = ["name", "code"]


class InstallmentInline(SchoolScopedInline):
    model = Installment
    fields = ["sequence", "name", "due_date", "value"]
    exclude = ["school"]


@admin.register(InstallmentPlan)
class InstallmentPlanAdmin(SchoolScopedAdmin):
    list_display = ["name", "split"]
    inlines = [InstallmentInline]

    def save_formset(self, request, form, formset, change):
        _save_inline_school(formset, form.instance)


class FeeStructureLineInline(SchoolScopedInline):
    model = FeeStructureLine
    fields = ["head", "amount"]


@admin.register(FeeStructure)
class FeeStructureAdmin(SchoolScopedAdmin):
    list_display = ["name", "academic_year", "school_class", "category", "plan", "applied_at"]
    list_filter = ["academic_year", "school_class"]
    list_select_related = ["school_class", "plan"]
    inlines = [FeeStructureLineInline]
    actions = ["apply_structures"]

    def save_formset(self, request, form, formset, change):
        _save_inline_school(formset, form.instance)

    @admin.action(description="Apply to their classes (invoice every enrolled student)")
    def apply_structures(self, request, queryset):
        for structure in queryset.select_related("school", "plan"):
            try:
                created = structure_apply(structure=structure)
            except ApplicationError as error:
                self.message_user(request, f"{structure}: {error.message}", messages.ERROR)
            else:
                self.message_user(request, f"{structure}: {created} invoices created.")


@admin.register(StudentFeeProfile)
class StudentFeeProfileAdmin(SchoolScopedAdmin):
    list_display = ["student", "category", "staff_child"]
    search_fields = ["student__username", "student__last_name"]
    list_select_related = ["student"]


@admin.register(DiscountRule)
class DiscountRuleAdmin(SchoolScopedAdmin):
    list_display = ["name", "kind", "category", "percent", "is_active"]


@admin.register(LateFineRule)
class LateFineRuleAdmin(SchoolScopedAdmin):
    list_display = ["name", "kind", "amount", "cap", "grace_days", "is_active"]


class InvoiceLineInline(admin.TabularInline):
    model = InvoiceLine
    extra = 0
    fields = readonly_fields = ("kind", "description", "amount", "reason", "fine_date")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


class PaymentInline(admin.TabularInline):
    model = Payment
    extra = 0
    fields = readonly_fields = (
        "receipt_number", "amount", "method", "status", "paid_at", "balance_after",
    )  # fmt: skip
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Invoice)
class InvoiceAdmin(SchoolScopedAdmin):
    list_display = ["title", "student", "status", "due_date", "charges_total", "paid_total"]
    list_filter = ["status", "school_class"]
    search_fields = ["title", "student__username", "student__last_name"]
    list_select_related = ["student"]
    readonly_fields = [
        "student", "school_class", "structure", "installment", "currency", "status", "issued_on",
        "charges_total", "discounts_total", "fines_total", "paid_total", "refunded_total",
    ]  # fmt: skip
    inlines = [InvoiceLineInline, PaymentInline]
    actions = ["cancel_invoices"]

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False  # invoices come from structures (or the API), where totals are kept

    @admin.action(description="Cancel the selected invoices")
    def cancel_invoices(self, request, queryset):
        for invoice in queryset:
            invoice_cancel(invoice_id=invoice.pk)
        self.message_user(request, f"{queryset.count()} invoices cancelled.")

    def get_urls(self):
        report = self.admin_site.admin_view(self.report_view)
        return [path("report/", report, name="fees_invoice_report"), *super().get_urls()]

    def report_view(self, request: HttpRequest) -> HttpResponse:
        by = request.GET.get("by", "class")
        if by not in REPORT_KINDS:
            by = "class"
        rows = fee_report(user=cast(User, request.user), by=by)
        if request.GET.get("export") == "csv":
            return csv_response(rows, filename=f"fees-by-{by}.csv")
        context = {
            **self.admin_site.each_context(request),
            "title": f"Fee report by {by}",
            "rows": rows,
            "by": by,
            "kinds": REPORT_KINDS,
            "opts": self.model._meta,
        }
        return TemplateResponse(request, "admin/fees/report.html", context)


class ReadOnlyAdmin(SchoolScopedAdmin):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj=None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj=None) -> bool:
        return False


@admin.register(Payment)
class PaymentAdmin(ReadOnlyAdmin):
    list_display = ["receipt_number", "student", "amount", "method", "status", "paid_at"]
    list_filter = ["status", "method"]
    search_fields = ["student__username", "reference"]
    list_select_related = ["student"]


@admin.register(Refund)
class RefundAdmin(ReadOnlyAdmin):
    list_display = ["payment", "amount", "reason", "created_at"]
    list_select_related = ["payment"]

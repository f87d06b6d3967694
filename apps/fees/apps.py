from django.apps import AppConfig


class FeesConfig(AppConfig):
    name = "apps.fees"
    label = "fees"
    verbose_name = "Fees"

    def ready(self) -> None:
        from django.core import checks

        from apps.fees.checks import check_test_gateway
        from apps.fees.models import Payment

        checks.register(check_test_gateway, checks.Tags.security, deploy=True)
        from apps.writebuffer.registry import Policy, register

        # Money is right at once: a payment, its receipt number and the invoice's new balance
        # are in PostgreSQL, in one transaction, before the payer is told (README, "Fees").
        register(Payment, policy=Policy.WRITE_THROUGH, partition_field="invoice_id")

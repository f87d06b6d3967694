from django.apps import AppConfig


class FeesConfig(AppConfig):
    name = "apps.fees"
    label = "fees"
    verbose_name = "Fees"

    def ready(self) -> None:
        from apps.fees.models import Payment
        from apps.writebuffer.registry import Policy, register

        # Money is right at once: a payment, its receipt number and the invoice's new balance
        # are in PostgreSQL, in one transaction, before the payer is told (README, "Fees").
        register(Payment, policy=Policy.WRITE_THROUGH, partition_field="invoice_id")

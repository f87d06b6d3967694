"""Writes of the fees app: ``invoices`` (structures, discounts, fines), ``payments`` (payments,
refunds, gateways) and ``reminders``."""

"""The fees admin: scoped to the admin's school; applying a structure; the report and its CSV."""

import pytest
from django.test import Client
from django.urls import reverse

from apps.fees.models import Invoice
from apps.fees.tests.support import fee_structure, invoiced_world

pytestmark = pytest.mark.django_db


def admin_client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_apply_action_invoices_the_class(world):
    structure = fee_structure(world)
    response = admin_client(world.admin).post(
        reverse("admin:fees_feestructure_changelist"),
        {"action": "apply_structures", "_selected_action": [str(structure.pk)]},
        follow=True,
    )
    assert response.status_code == 200
    assert "6 invoices created" in response.content.decode()
    assert Invoice.objects.filter(structure=structure).count() == 6


def test_invoice_list_and_report_are_scoped_to_the_school(invoice, world, other_world):
    invoiced_world(other_world)
    client = admin_client(world.admin)
    listing = client.get(reverse("admin:fees_invoice_changelist"))
    assert listing.status_code == 200
    assert listing.context["cl"].result_count == 6
    report = client.get(reverse("admin:fees_invoice_report"), {"by": "class", "export": "csv"})
    assert report.content.decode().splitlines() == [
        "key,invoices,invoiced,collected,outstanding",
        f"{world.school_class},6,36000.00,0.00,36000.00",
    ]
    page = client.get(reverse("admin:fees_invoice_report"), {"by": "head"})
    assert page.status_code == 200 and "Tuition" in page.content.decode()

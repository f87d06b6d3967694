"""The check every school-owned model's admin passes: one school's admin sees and opens only
that school's rows (``SchoolScopedAdmin``)."""

from typing import Any

from django.db.models import Model
from django.test import Client
from django.urls import reverse


def assert_admin_shows_only_own_school(model: type[Model], world: Any, other_world: Any) -> None:
    """With one row of ``model`` in each ``ClassWorld``'s school, ``world``'s admin lists only
    its own, sees no name of the other school's class (the related filters), and opens its own
    row but not the other's."""
    client = Client()
    client.force_login(world.admin)
    opts = model._meta
    changelist = client.get(reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist"))
    assert changelist.status_code == 200
    listed = [obj.school_id for obj in changelist.context["cl"].result_list]
    assert listed == [world.school.pk], listed
    assert str(other_world.school_class) not in changelist.content.decode()
    own = model._default_manager.get(school=world.school)
    foreign = model._default_manager.get(school=other_world.school)
    change = f"admin:{opts.app_label}_{opts.model_name}_change"
    assert client.get(reverse(change, args=[own.pk])).status_code == 200
    # The admin answers another school's row as "does not exist": a redirect to its index.
    assert client.get(reverse(change, args=[foreign.pk])).status_code == 302

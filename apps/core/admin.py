"""Admin building blocks: every school-owned model's admin is scoped to the admin's school."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.contrib.admin.utils import get_fields_from_path
from django.db import models
from django.http import HttpRequest

from apps.core.tenancy import school_filter_for


def is_school_staff(user: Any) -> bool:
    """Who may use the admin at all: operators (superusers) and each school's admins."""
    return bool(
        user.is_active and user.is_staff and (user.is_superuser or user.role == "school_admin")
    )


def _scoped(queryset: models.QuerySet, user: Any) -> models.QuerySet:
    model = queryset.model
    if model._meta.label == "users.School":
        return queryset if user.is_superuser else queryset.filter(pk=user.school_id)
    if any(f.name == "school" for f in model._meta.concrete_fields):
        school_filter = school_filter_for(user)
        return queryset if school_filter is None else queryset.filter(**school_filter)
    return queryset


class SchoolScopedAdmin(admin.ModelAdmin):
    """A ModelAdmin that shows, offers in choice lists, and saves only the admin's own school.

    A school admin never sees the ``school`` field: it is set from their account on save, so
    they cannot move an object into another school, and every foreign-key choice list is scoped
    the same way, so they cannot link to another school's objects either.
    """

    def get_queryset(self, request: HttpRequest) -> models.QuerySet:
        return _scoped(super().get_queryset(request), request.user)

    def formfield_for_foreignkey(self, db_field, request, **kwargs):
        formfield = super().formfield_for_foreignkey(db_field, request, **kwargs)
        if formfield is not None and hasattr(formfield, "queryset"):
            formfield.queryset = _scoped(formfield.queryset, request.user)
        return formfield

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        formfield = super().formfield_for_manytomany(db_field, request, **kwargs)
        if formfield is not None and hasattr(formfield, "queryset"):
            formfield.queryset = _scoped(formfield.queryset, request.user)
        return formfield

    def get_exclude(self, request: HttpRequest, obj: Any = None) -> Any:
        exclude = list(super().get_exclude(request, obj) or [])
        if not request.user.is_superuser and any(
            f.name == "school" for f in self.model._meta.concrete_fields
        ):
            exclude.append("school")
        return exclude

    def get_list_filter(self, request: HttpRequest) -> Any:
        filters = list(super().get_list_filter(request))
        if request.user.is_superuser:
            return filters
        # Django's default filter for a foreign key lists every row of the related table, i.e.
        # every school's classes and subjects; offer only those the admin's own rows refer to.
        scoped = []
        for item in filters:
            if item == "school":
                continue
            if isinstance(item, str) and get_fields_from_path(self.model, item)[-1].is_relation:
                item = (item, admin.RelatedOnlyFieldListFilter)
            scoped.append(item)
        return scoped

    def get_form(self, request, obj=None, change=False, **kwargs):
        # change= by keyword: Django's UserAdmin.get_form takes (request, obj=None, **kwargs).
        form = super().get_form(request, obj, change=change, **kwargs)
        user = request.user
        if not user.is_superuser and any(
            f.name == "school" for f in self.model._meta.concrete_fields
        ):
            # Set the school before the form's own validation (model.full_clean) runs, so
            # cross-school checks see it.
            base_init = form.__init__

            def __init__(form_self, *args, **form_kwargs):
                base_init(form_self, *args, **form_kwargs)
                form_self.instance.school_id = user.school_id

            form.__init__ = __init__
        return form

    def has_module_permission(self, request: HttpRequest) -> bool:
        return is_school_staff(request.user)

    def has_view_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_school_staff(request.user)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return is_school_staff(request.user)

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_school_staff(request.user)

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return is_school_staff(request.user)

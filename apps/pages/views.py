"""Server-rendered pages for teachers (/teach/), students and guardians (/my/) and smart boards.

Views only parse input, call the same selectors and services as the API, and render. A refusal
from a service (``ApplicationError``) is shown beside the field it names, with what was typed kept.
"""

from __future__ import annotations

import uuid
from collections import Counter
from collections.abc import Callable
from functools import wraps
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _

from apps.attendance.models import AttendanceCode
from apps.attendance.selectors import access_class, classes_missing_register, student_daily_summary
from apps.attendance.services import MarkInput, register_take, school_today
from apps.core.errors import ApplicationError
from apps.homework.selectors import (
    access_homework,
    access_homework_to_manage,
    access_submission,
    assignable_class_and_subject,
    homework_list,
    student_submissions,
    submission_list,
)
from apps.homework.services import homework_create, submission_create, submission_grade
from apps.pages.forms import GradeForm, HomeworkForm, RegisterForm, SubmissionForm
from apps.pages.selectors import access_child, class_page, class_roster, subjects_taught
from apps.users.models import Role, User
from apps.users.selectors import classes_visible_to

TEACHING_ROLES = (Role.TEACHER, Role.SCHOOL_ADMIN)
FAMILY_ROLES = (Role.STUDENT, Role.GUARDIAN)


def for_roles(*roles: str) -> Callable:
    """Logged in, and of one of ``roles``; anyone else gets a page saying where to go instead."""

    def decorate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @login_required
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            user: User = request.user  # type: ignore[assignment]
            if user.role not in roles and not user.is_superuser:
                return render(request, "pages/wrong_role.html", status=403)
            try:
                return view(request, *args, **kwargs)
            except ApplicationError as error:
                return render(
                    request, "pages/error.html", {"error": error}, status=error.status_code
                )

        return wrapped

    return decorate


def show_service_error(form: forms.Form, error: ApplicationError) -> None:
    """Put a service's refusal beside the fields it names, or above the form."""
    placed = False
    for field, problems in error.fields.items():
        if field in form.fields:
            for problem in problems:
                form.add_error(field, str(problem))
            placed = True
    if not placed:
        form.add_error(None, error.message)


def home(request: HttpRequest) -> HttpResponse:
    """The landing page sends each kind of user to where they work."""
    user = request.user
    if user.is_authenticated and user.role in TEACHING_ROLES:
        return redirect("pages:teach")
    if user.is_authenticated and user.role in FAMILY_ROLES:
        return redirect("pages:my")
    return render(request, "home.html")


# --- teachers -------------------------------------------------------------------------------
@for_roles(*TEACHING_ROLES)
def teach_home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    classes = classes_visible_to(user).order_by("grade", "section")
    missing = set(
        classes_missing_register(user=user, on=school_today(user.school)).values_list(
            "pk", flat=True
        )
    )
    return render(request, "pages/teach_home.html", {"classes": classes, "missing": missing})


@for_roles(*TEACHING_ROLES)
def teach_class(request: HttpRequest, class_id: uuid.UUID) -> HttpResponse:
    page = class_page(user=request.user, class_id=class_id)  # type: ignore[arg-type]
    return render(request, "pages/teach_class.html", {"page": page})


@for_roles(*TEACHING_ROLES)
def teach_register(request: HttpRequest, class_id: uuid.UUID) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    school_class = access_class(user=user, school_class_id=class_id)
    students = class_roster(school_class=school_class)
    form = RegisterForm(request.POST or None, students=students, initial={"period": 0})
    if request.method == "POST" and form.is_valid():
        marks = [
            MarkInput(student_id=student.pk, code=form.cleaned_data[f"code_{student.pk}"])
            for student in students
        ]
        try:
            result, _created = register_take(
                school_class=school_class,
                on=school_today(school_class.school),
                period=form.cleaned_data["period"],
                marks=marks,
                marked_by=user,
            )
        except ApplicationError as error:
            show_service_error(form, error)
        else:
            counts = Counter(mark.code for mark in marks)
            messages.success(
                request,
                _(
                    "Register saved: %(present)d present, %(absent)d absent, %(late)d late, "
                    "%(excused)d excused."
                )
                % {code: counts[code] for code in AttendanceCode.values},
            )
            return redirect("pages:teach-class", class_id=school_class.pk)
    return render(
        request,
        "pages/teach_register.html",
        {"school_class": school_class, "form": form},
    )


@for_roles(*TEACHING_ROLES)
def teach_homework_new(request: HttpRequest, class_id: uuid.UUID) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    school_class = access_class(user=user, school_class_id=class_id)
    subjects = subjects_taught(user=user, school_class=school_class)
    form = HomeworkForm(request.POST or None, request.FILES or None, subjects=subjects)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            school_class, subject = assignable_class_and_subject(
                user=user, school_class_id=class_id, subject_id=uuid.UUID(data["subject"])
            )
            homework, _created = homework_create(
                assigned_by=user,
                school_class=school_class,
                subject=subject,
                title=data["title"],
                instructions=data["instructions"],
                due_at=data["due_at"],
                max_score=data["max_score"],
                attachments=data["attachments"],
            )
        except ApplicationError as error:
            show_service_error(form, error)
        else:
            messages.success(request, _("Homework set: %(title)s") % {"title": homework.title})
            return redirect("pages:teach-class", class_id=class_id)
    return render(
        request,
        "pages/teach_homework_new.html",
        {"school_class": school_class, "subjects": subjects, "form": form},
    )


@for_roles(*TEACHING_ROLES)
def teach_homework(request: HttpRequest, homework_id: uuid.UUID) -> HttpResponse:
    """Submissions of one homework; grading one opens the next ungraded one."""
    user: User = request.user  # type: ignore[assignment]
    homework = access_homework_to_manage(user=user, homework_id=homework_id)
    submissions = submission_list(user=user, homework=homework)
    ungraded = [s for s in submissions if s.graded_at is None]
    chosen_id = request.GET.get("submission")
    current = None
    if chosen_id:
        try:
            current = access_submission(
                user=user, homework=homework, submission_id=uuid.UUID(chosen_id)
            )
        except ValueError:
            current = None
    elif ungraded:
        current = ungraded[-1]  # the oldest first: submission_list is newest first
    form = GradeForm(request.POST or None)
    if request.method == "POST" and current is not None and form.is_valid():
        try:
            submission_grade(
                homework=homework,
                submission=current,
                grader=user,
                score=form.cleaned_data["score"],
                feedback=form.cleaned_data["feedback"],
            )
        except ApplicationError as error:
            show_service_error(form, error)
        else:
            messages.success(
                request,
                _("Graded %(student)s.")
                % {"student": current.student.get_full_name() or current.student.username},
            )
            return redirect("pages:teach-homework", homework_id=homework.pk)
    return render(
        request,
        "pages/teach_homework.html",
        {
            "homework": homework,
            "submissions": submissions,
            "ungraded": len(ungraded),
            "current": current,
            "form": form,
        },
    )


# --- students and guardians -----------------------------------------------------------------
def _child_id(request: HttpRequest) -> uuid.UUID | None:
    raw = request.GET.get("child", "")
    try:
        return uuid.UUID(raw) if raw else None
    except ValueError:
        return None


@for_roles(*FAMILY_ROLES)
def my_home(request: HttpRequest) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    child, children = access_child(user=user, student_id=_child_id(request))
    homework = list(homework_list(user=child)[:30])
    submitted = {}
    for item in homework:
        versions = student_submissions(homework=item, student_id=child.pk)
        submitted[item.pk] = next((v for v in versions if v.is_current), None)
    today = school_today(child.school)
    attendance = student_daily_summary(student=child, date_from=today.replace(day=1), date_to=today)
    return render(
        request,
        "pages/my_home.html",
        {
            "child": child,
            "children": children,
            "rows": [(item, submitted[item.pk]) for item in homework],
            "attendance": attendance,
        },
    )


@for_roles(Role.STUDENT)
def my_homework(request: HttpRequest, homework_id: uuid.UUID) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    homework = access_homework(user=user, homework_id=homework_id, with_attachments=True)
    versions = student_submissions(homework=homework, student_id=user.pk)
    form = SubmissionForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            submission_create(
                homework=homework,
                student=user,
                text=form.cleaned_data["text"],
                files=form.cleaned_data["uploads"],
            )
        except ApplicationError as error:
            show_service_error(form, error)
        else:
            messages.success(request, _("Your work is handed in."))
            return redirect(reverse("pages:my"))
    return render(
        request,
        "pages/my_homework.html",
        {"homework": homework, "versions": versions, "form": form},
    )


# --- smart boards ---------------------------------------------------------------------------
@login_required
def board(request: HttpRequest, class_id: uuid.UUID) -> HttpResponse:
    user: User = request.user  # type: ignore[assignment]
    # Guardians see their children's classes, but a classroom's board is for the room.
    if user.role == Role.GUARDIAN:
        return render(request, "pages/wrong_role.html", status=403)
    try:
        school_class = access_class(user=user, school_class_id=class_id)
    except ApplicationError as error:
        return render(request, "pages/error.html", {"error": error}, status=error.status_code)
    homework = list(homework_list(user=user, school_class_id=school_class.pk)[:8])
    return render(request, "pages/board.html", {"school_class": school_class, "homework": homework})

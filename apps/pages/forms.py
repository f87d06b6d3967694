"""Forms of the web pages: they parse and check input; the domain services do the writing."""

from __future__ import annotations

from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from apps.attendance.models import AttendanceCode
from apps.attendance.services import MAX_PERIOD


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def clean(self, data, initial=None):
        if isinstance(data, list | tuple):
            return [super(MultipleFileField, self).clean(item, initial) for item in data]
        return [super().clean(data, initial)] if data else []


# The codes with labels the pages translate (the model's labels are the API's, in English).
CODE_LABELS = [
    (AttendanceCode.PRESENT, _("Present")),
    (AttendanceCode.ABSENT, _("Absent")),
    (AttendanceCode.LATE, _("Late")),
    (AttendanceCode.EXCUSED, _("Excused")),
]


class RegisterForm(forms.Form):
    """A whole class's register: one code per student, present unless changed."""

    period = forms.IntegerField(
        label=_("Period (0 = whole day)"), min_value=0, max_value=MAX_PERIOD
    )

    def __init__(self, *args, students, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.students = students
        for student in students:
            self.fields[f"code_{student.pk}"] = forms.ChoiceField(
                label=student.get_full_name() or student.username,
                choices=CODE_LABELS,
                initial=AttendanceCode.PRESENT,
                widget=forms.RadioSelect,
            )

    def rows(self):
        for student in self.students:
            yield student, self[f"code_{student.pk}"]


class HomeworkForm(forms.Form):
    title = forms.CharField(label=_("Title"), max_length=200)
    subject = forms.ChoiceField(label=_("Subject"))
    instructions = forms.CharField(label=_("Instructions"), widget=forms.Textarea, required=False)
    due_at = forms.DateTimeField(
        label=_("Due"), widget=forms.DateTimeInput(attrs={"type": "datetime-local"})
    )
    max_score = forms.DecimalField(
        label=_("Maximum score"), min_value=Decimal(1), max_digits=6, decimal_places=2,
        initial=Decimal(100),
    )  # fmt: skip
    attachments = MultipleFileField(label=_("Attachments"), required=False)

    def __init__(self, *args, subjects, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        subject_field = self.fields["subject"]
        assert isinstance(subject_field, forms.ChoiceField)
        subject_field.choices = [(str(s.pk), s.name) for s in subjects]


class GradeForm(forms.Form):
    score = forms.DecimalField(label=_("Score"), min_value=Decimal(0), decimal_places=2)
    feedback = forms.CharField(label=_("Feedback"), widget=forms.Textarea, required=False)


class SubmissionForm(forms.Form):
    text = forms.CharField(label=_("Your answer"), widget=forms.Textarea, required=False)
    # Not "files": a form already has that attribute (the uploaded files it was given).
    uploads = MultipleFileField(label=_("Files"), required=False)

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("text") and not cleaned.get("uploads"):
            raise forms.ValidationError(_("Write an answer or attach a file."))
        return cleaned

"""Realistic school records for the benchmark, written the way the domain services write them.

One "class day" is what a class of 40 produces in a day: six lesson registers (40 marks and 40
change-log rows each, one buffered write per register as ``register_mark`` does), one homework
submission per student (one write each), and one assessment's marks (one write). Attendance
dominates the volume of school data, and the mix printed by the benchmark says so.
"""

from __future__ import annotations

import json
import random
import uuid
from datetime import date, timedelta
from decimal import Decimal
from typing import cast

import snappy
from django.contrib.auth.hashers import make_password
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from apps.attendance.models import AttendanceMark, AttendanceMarkChange, Register, mark_id
from apps.grades.models import Assessment, GradeMark, Term, grade_mark_id
from apps.homework.models import Homework, Submission, SubmissionStatus
from apps.users.models import Enrolment, Role, School, SchoolClass, Subject, TeacherAssignment, User
from apps.writebuffer import records
from apps.writebuffer.client import WriteBufferClient
from apps.writebuffer.connection import log_key
from apps.writebuffer.models import BufferedModel
from apps.writebuffer.registry import registration_for, registrations
from apps.writebuffer.services import buffered_save, buffered_save_many

PERIODS_PER_DAY = 6
ANSWERS = [
    "Solved questions 1-10; question 7 uses the quadratic formula, x = 3 or x = -1/2.",
    "My essay argues that the railway changed the town more than the factory did.",
    "Lab report: the pendulum's period did not depend on the mass, only on the length.",
    "Attached my worksheet. I was not sure about part (c) of the last question.",
    "Translated the passage; the hardest part was the idiom in the second paragraph.",
    "Map work done: rivers, the three largest cities and the mountain range are labelled.",
]
NOTES = ["", "", "", "", "bus was late", "doctor's appointment", "left at noon", ""]
COMMENTS = ["", "Good work", "Check your units", "Show your working", "Excellent", ""]


class BenchSchool:
    def __init__(self, school: School, teacher: User, classes: list[tuple[SchoolClass, list[User]]],
                 subject: Subject, term: Term) -> None:  # fmt: skip
        self.school = school
        self.teacher = teacher
        self.classes = classes
        self.subject = subject
        self.term = term
        self.rng = random.Random(2026)
        self.day = date(2026, 9, 1)


def create_school(*, students_per_class: int, classes: int) -> BenchSchool:
    suffix = uuid.uuid4().hex[:8]
    school = School.objects.create(name=f"Benchmark school {suffix}", slug=f"bench-{suffix}")
    password = make_password(None)
    teacher = User.objects.create(
        username=f"bench-{suffix}-teacher", school=school, role=Role.TEACHER, password=password
    )
    subject = Subject.objects.create(school=school, name="Mathematics", code="MATH")
    term = Term.objects.create(
        school=school, name="Term 1", academic_year="2026-27",
        starts_on=date(2026, 9, 1), ends_on=date(2026, 12, 20),
    )  # fmt: skip
    bench_classes = []
    for index in range(classes):
        school_class = SchoolClass.objects.create(
            school=school, grade=10, section=chr(ord("A") + index), academic_year="2026-27",
            class_teacher=teacher,
        )  # fmt: skip
        TeacherAssignment.objects.create(
            school=school, teacher=teacher, school_class=school_class, subject=subject
        )
        students = User.objects.bulk_create(
            User(username=f"bench-{suffix}-{index}-{n}", school=school, role=Role.STUDENT,
                 first_name="Student", last_name=str(n), password=password)
            for n in range(students_per_class)
        )  # fmt: skip
        Enrolment.objects.bulk_create(
            Enrolment(school=school, student=student, school_class=school_class, roll_number=n)
            for n, student in enumerate(students, start=1)
        )
        bench_classes.append((school_class, students))
    return BenchSchool(school, teacher, bench_classes, subject, term)


def delete_school(bench: BenchSchool) -> None:
    Assessment.objects.filter(school=bench.school).delete()  # Term is PROTECTed by assessments
    bench.school.delete()


def _class_day(bench: BenchSchool, school_class: SchoolClass, students: list[User]) -> dict:
    rng = bench.rng
    now = timezone.now()
    written = {"attendance marks": 0, "attendance changes": 0, "submissions": 0, "grade marks": 0}
    for period in range(1, PERIODS_PER_DAY + 1):
        register = Register.objects.create(
            school=bench.school, school_class=school_class, date=bench.day, period=period,
            created_by=bench.teacher, last_marked_at=now, last_marked_by=bench.teacher,
        )  # fmt: skip
        marks, changes = [], []
        for student in students:
            code = rng.choices(["present", "absent", "late", "excused"], [90, 5, 3, 2])[0]
            note = rng.choice(NOTES) if code != "present" else ""
            marks.append(AttendanceMark(
                id=mark_id(register.pk, student.pk), school=bench.school, register=register,
                student=student, code=code, note=note, marked_by=bench.teacher,
            ))  # fmt: skip
            changes.append(AttendanceMarkChange(
                school=bench.school, register=register, mark_id=marks[-1].id, student=student,
                code=code, note=note, changed_by=bench.teacher,
            ))  # fmt: skip
        buffered_save_many(marks)
        buffered_save_many(changes)
        written["attendance marks"] += len(marks)
        written["attendance changes"] += len(changes)

    homework = Homework.objects.create(
        school=bench.school, school_class=school_class, subject=bench.subject,
        assigned_by=bench.teacher, title=f"Worksheet {bench.day:%d %b}",
        due_at=now + timedelta(days=2),
    )  # fmt: skip
    for student in students:
        save_one(_submission(bench, homework, student))
        written["submissions"] += 1

    assessment = Assessment.objects.create(
        school=bench.school, school_class=school_class, subject=bench.subject, term=bench.term,
        kind="test", title=f"Quiz {bench.day:%d %b}", date=bench.day, created_by=bench.teacher,
    )  # fmt: skip
    buffered_save_many([
        GradeMark(
            id=grade_mark_id(assessment.pk, student.pk), school=bench.school,
            assessment=assessment, student=student,
            score=Decimal(rng.randint(35, 100)), comment=rng.choice(COMMENTS),
            marked_by=bench.teacher,
        )
        for student in students
    ])  # fmt: skip
    written["grade marks"] += len(students)
    return written


def _submission(bench: BenchSchool, homework: Homework, student: User) -> Submission:
    return Submission(
        school=bench.school, homework=homework, student=student, attempt=1, is_current=True,
        text=bench.rng.choice(ANSWERS), status=SubmissionStatus.ON_TIME,
        submitted_at=timezone.now(),
    )  # fmt: skip


def save_one(instance: BufferedModel) -> None:
    buffered_save(instance)


def write_school_days(bench: BenchSchool, n_records: int) -> dict[str, int]:
    """Write class days until at least ``n_records`` records are written; returns the mix."""
    totals: dict[str, int] = {}
    while sum(totals.values()) < n_records:
        for school_class, students in bench.classes:
            for kind, count in _class_day(bench, school_class, students).items():
                totals[kind] = totals.get(kind, 0) + count
        bench.day += timedelta(days=1)
    return totals


def submission_rows(bench: BenchSchool, count: int) -> list[Submission]:
    """``count`` new submissions (one homework per class per 40 students)."""
    rows: list[Submission] = []
    now = timezone.now()
    while len(rows) < count:
        for school_class, students in bench.classes:
            homework = Homework.objects.create(
                school=bench.school, school_class=school_class, subject=bench.subject,
                assigned_by=bench.teacher, title="Statement count", due_at=now + timedelta(days=2),
            )  # fmt: skip
            rows.extend(_submission(bench, homework, student) for student in students)
    return rows[:count]


def _entries(client: WriteBufferClient, label: str):
    for entry_id, fields in client.xrange(log_key(label)):
        yield entry_id, fields[b"d"]


def pending_rows(client: WriteBufferClient) -> list[tuple[str, dict]]:
    """Every pending record, as (model label, record with version)."""
    from apps.writebuffer.entries import Entry

    rows: list[tuple[str, dict]] = []
    for registration in registrations():
        for entry_id, raw in _entries(client, registration.label):
            entry = Entry(entry_id.decode(), raw, client.decode_payload(raw))
            rows.extend((registration.label, record) for record in entry.records)
    return rows


def buffered_samples(client: WriteBufferClient, *, limit: int) -> list[bytes]:
    """Training samples as ``writebuffer train-dictionary`` takes them: encoded entry payloads."""
    samples = []
    for registration in registrations():
        for _entry_id, raw in _entries(client, registration.label):
            samples.append(client._serializer.dumps(client.decode_payload(raw)))
    random.Random(7).shuffle(samples)
    return samples[:limit]


def raw_json(row: tuple[str, dict]) -> bytes:
    """A record as plain JSON: the row's columns, as an API or the original design would hold it."""
    label, record = row
    model = registration_for(label).model
    instance = cast(BufferedModel, records.instance_from_record(model, record))
    values = {"id": str(instance.pk), "version": instance.version}
    values.update({f.attname: f.value_from_object(instance) for f in records.payload_fields(model)})
    return json.dumps(values, cls=DjangoJSONEncoder, separators=(",", ":")).encode()


def seed_layout_bytes(redis, rows: list[tuple[str, dict]]) -> float:
    """Redis memory per record of the original design: ``write_buffer:<model>:<id>`` holding the
    Snappy-compressed JSON with a 2-hour TTL, and a ``meta:`` hash with ``synced=false``."""
    before = int(redis.info("memory")["used_memory"])
    pipe = redis.pipeline(transaction=False)
    keys = []
    for label, record in rows:
        key = f"write_buffer:{label.split('.')[1]}:{record['k']}"
        keys.extend([key, f"meta:{key}"])
        pipe.set(key, snappy.compress(raw_json((label, record))), ex=7200)
        pipe.hset(
            f"meta:{key}",
            mapping={"synced": "false", "created_at": str(record["v"] // 10_000), "model": label},
        )
        pipe.expire(f"meta:{key}", 7200)
    pipe.execute()
    after = int(redis.info("memory")["used_memory"])
    for start in range(0, len(keys), 1000):
        redis.delete(*keys[start : start + 1000])
    return (after - before) / len(rows)

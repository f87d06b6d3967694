"""Uploads cannot be smuggled: the stored name's extension is the checked one, the content must
match it, and the admin goes through the same checks."""

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from apps.core.uploads import clean_upload_name
from apps.homework.models import Homework, HomeworkAttachment
from apps.homework.tests.conftest import make_homework

pytestmark = pytest.mark.django_db

PDF = b"%PDF-1.4\n1 0 obj\n<<>>\nendobj\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 20


def create_homework(client, world, files):
    return client.post(
        reverse("homework-list"),
        {
            "school_class": str(world.school_class.pk),
            "subject": str(world.subject.pk),
            "title": "Poem",
            "due_at": (timezone.now() + timedelta(days=3)).isoformat(),
            "attachments": files,
        },
        format="multipart",
    )


class TestCleanUploadName:
    @pytest.mark.parametrize(
        ("sent", "stored"),
        [
            ("a" * 145 + ".html.txt", "a" * 145 + "..txt"),
            ("../../etc/passwd.txt", "passwd.txt"),
            ("C:\\Users\\me\\essay.PDF", "essay.pdf"),
            ("..", "file"),
            ("", "file"),
            ("my essay (final).docx", "my_essay_final.docx"),
        ],
    )
    def test_name_is_cleaned_and_cut_keeping_its_extension(self, sent, stored):
        cleaned = clean_upload_name(sent)
        assert cleaned == stored
        assert len(cleaned) <= 150


class TestTruncationBypass:
    def test_long_html_txt_name_is_stored_as_txt_and_served_as_text(self, world, client_for):
        name = "a" * 145 + ".html.txt"
        response = create_homework(
            client_for(world.teacher), world, [SimpleUploadedFile(name, b"<script>1</script>")]
        )

        assert response.status_code == 201, response.json()
        [attachment] = response.json()["attachments"]
        assert attachment["name"] == "a" * 145 + "..txt"
        assert attachment["content_type"] == "text/plain"
        stored = HomeworkAttachment.objects.get()
        assert stored.file.name.endswith(".txt")
        download = client_for(world.student).get(attachment["download_url"])
        assert download["Content-Type"] == "text/plain"
        assert download["Content-Disposition"].startswith("attachment;")
        assert download["X-Content-Type-Options"] == "nosniff"

    def test_long_name_ending_in_a_forbidden_type_is_refused(self, world, client_for):
        name = "a" * 145 + ".txt.html"

        response = create_homework(
            client_for(world.teacher), world, [SimpleUploadedFile(name, b"<b>hi</b>")]
        )

        assert response.status_code == 400
        assert response.json()["error"]["code"] == "file_type_not_allowed"
        assert Homework.objects.count() == 0 and HomeworkAttachment.objects.count() == 0

    def test_submission_with_the_bypass_name_is_stored_as_txt(self, world, homework, client_for):
        response = client_for(world.student).post(
            reverse("homework-submissions", args=[homework.pk]),
            {"files": [SimpleUploadedFile("b" * 145 + ".html.txt", b"my answer")]},
            format="multipart",
        )

        assert response.status_code == 201, response.json()
        [file] = response.json()["files"]
        assert file["content_type"] == "text/plain"
        assert file["name"] == "b" * 145 + "..txt"


class TestContentMustMatchTheName:
    @pytest.mark.parametrize(
        ("name", "content"),
        [
            ("report.pdf", b"<html><script>alert(1)</script></html>"),
            ("photo.png", PDF),
            ("photo.jpg", b"GIF89a..."),
            ("notes.txt", b"MZ\x90\x00\x03\x00\x00\x00"),
            ("essay.docx", b"<html></html>"),
        ],
    )
    def test_content_of_another_type_is_refused(self, world, client_for, name, content):
        response = create_homework(
            client_for(world.teacher), world, [SimpleUploadedFile(name, content)]
        )

        assert response.status_code == 400
        body = response.json()["error"]
        assert body["code"] == "file_type_not_allowed"
        assert body["fields"]["attachments"] == [
            f"{name}: the content is not a .{name.rsplit('.', 1)[1]} file."
        ]
        assert Homework.objects.count() == 0

    @pytest.mark.parametrize(
        ("name", "content", "content_type"),
        [
            ("report.pdf", PDF, "application/pdf"),
            ("photo.png", PNG, "image/png"),
            ("photo.jpeg", b"\xff\xd8\xff\xe0" + b"\x00" * 10, "image/jpeg"),
            ("notes.txt", "Grüße, 12 lines".encode(), "text/plain"),
        ],
    )
    def test_real_files_are_accepted(self, world, client_for, name, content, content_type):
        response = create_homework(
            client_for(world.teacher), world, [SimpleUploadedFile(name, content)]
        )

        assert response.status_code == 201, response.json()
        assert response.json()["attachments"][0]["content_type"] == content_type

    def test_submission_with_disguised_content_is_refused(self, world, homework, client_for):
        response = client_for(world.student).post(
            reverse("homework-submissions", args=[homework.pk]),
            {"files": [SimpleUploadedFile("work.pdf", b"<html></html>")]},
            format="multipart",
        )

        assert response.status_code == 400
        assert response.json()["error"]["code"] == "file_type_not_allowed"


class TestAdminGoesThroughTheSameChecks:
    def change(self, world, attachment, upload):
        client = Client()
        client.force_login(world.admin)
        return client.post(
            reverse("admin:homework_homeworkattachment_change", args=[attachment.pk]),
            {"file": upload},
        )

    @pytest.fixture
    def attachment(self, world):
        homework = make_homework(world)
        return HomeworkAttachment.objects.create(
            school=world.school, homework=homework, file="x.txt", name="x.txt", size_bytes=1,
            content_type="text/plain",
        )  # fmt: skip

    @pytest.mark.parametrize(
        ("upload", "message"),
        [
            (SimpleUploadedFile("page.html", b"<script></script>"), "type .html is not allowed"),
            (SimpleUploadedFile("a" * 145 + ".txt.html", b"x"), "type .html is not allowed"),
            (SimpleUploadedFile("fake.pdf", b"<html>"), "the content is not a .pdf file"),
        ],
    )
    def test_admin_cannot_replace_a_file_with_a_forbidden_one(
        self, world, attachment, upload, message
    ):
        response = self.change(world, attachment, upload)

        assert response.status_code == 200  # the form again, with the error
        assert message in response.content.decode()
        attachment.refresh_from_db()
        assert (attachment.file.name, attachment.content_type) == ("x.txt", "text/plain")

    def test_admin_replacement_over_the_size_limit_is_refused(self, world, attachment, settings):
        settings.HOMEWORK_MAX_ATTACHMENT_BYTES = 10

        response = self.change(world, attachment, SimpleUploadedFile("big.pdf", PDF))

        assert response.status_code == 200
        assert "is over the limit of 10" in response.content.decode()

    def test_admin_replacement_takes_the_new_files_name_size_and_type(self, world, attachment):
        response = self.change(world, attachment, SimpleUploadedFile("new report.pdf", PDF))

        assert response.status_code == 302
        attachment.refresh_from_db()
        assert (attachment.name, attachment.size_bytes, attachment.content_type) == (
            "new_report.pdf",
            len(PDF),
            "application/pdf",
        )
        assert attachment.file.name.endswith("/new_report.pdf")

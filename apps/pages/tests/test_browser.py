"""The pages in a real browser (headless chromium) against a running ASGI server (Daphne).

What a teacher, a student, a guardian and a classroom's board do, end to end: keyboard, forms,
uploads, websockets. Slow (a browser per test): ``pytest -m "not browser"`` skips them locally;
``make test`` and CI run them.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from decimal import Decimal

import pytest
from channels.testing import ChannelsLiveServerTestCase
from django.utils import timezone
from selenium.webdriver.common.action_chains import ActionChains
from selenium.webdriver.common.by import By
from selenium.webdriver.common.keys import Keys
from selenium.webdriver.support.ui import Select

from apps.attendance.models import Register
from apps.attendance.selectors import register_marks
from apps.homework.models import Homework
from apps.homework.selectors import student_submissions
from apps.homework.services import homework_create, submission_create
from apps.pages.tests.browser import chromium, file_to_upload, log_in, screenshot, wait_for
from apps.users.tests.factories import (
    PASSWORD,
    ClassWorld,
    EnrolmentFactory,
    GuardianLinkFactory,
    SchoolClassFactory,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def set_homework(world, title):
    homework, _ = homework_create(
        assigned_by=world.teacher,
        school_class=world.school_class,
        subject=world.subject,
        title=title,
        due_at=timezone.now() + timedelta(days=2),
        max_score=Decimal(10),
    )
    return homework


class BrowserTestCase(ChannelsLiveServerTestCase):
    def setUp(self):
        super().setUp()
        self.world = ClassWorld(students=5)
        self.driver = chromium()
        self.addCleanup(self.driver.quit)

    def log_in(self, user):
        log_in(self.driver, self.live_server_url, user.username, PASSWORD)


class TeacherTests(BrowserTestCase):
    def test_a_teacher_takes_a_whole_register_by_keyboard(self):
        driver, world = self.driver, self.world
        self.log_in(world.teacher)
        assert driver.current_url == f"{self.live_server_url}/teach/"
        driver.find_element(By.LINK_TEXT, "Take it now").click()
        wait_for(driver, "#register")
        # Focus starts on the first student; one key per student, then Enter saves.
        # Keys go to whatever has the focus, as a user's keyboard does.
        ActionChains(driver).send_keys("p", "a", "l", "p", "e", Keys.ENTER).perform()
        saved = "Register saved: 2 present, 1 absent, 1 late, 1 excused."
        wait_for(driver, ".messages", text=saved)
        screenshot(driver, "teacher-register")

        register = Register.objects.get(school_class=world.school_class)
        codes = {mark.student_id: mark.code for mark in register_marks(register=register)}
        roster = sorted(world.students, key=lambda s: (s.enrolments.get().roll_number,))
        assert [codes[student.pk] for student in roster] == [
            "present", "absent", "late", "present", "excused",
        ]  # fmt: skip
        assert "Today's register is taken." in driver.page_source

    def test_a_teacher_sets_homework_with_an_attachment(self):
        driver, world = self.driver, self.world
        self.log_in(world.teacher)
        driver.get(f"{self.live_server_url}/teach/classes/{world.school_class.pk}/homework/new/")
        driver.find_element(By.NAME, "title").send_keys("Fractions worksheet")
        Select(driver.find_element(By.NAME, "subject")).select_by_visible_text(world.subject.name)
        driver.find_element(By.NAME, "instructions").send_keys("Questions 1 to 10.")
        # An empty due date first: the error shows beside the field and the title stays typed.
        driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
        error = wait_for(driver, "#id_due_at-error")
        assert error.text == "This field is required."
        assert driver.find_element(By.NAME, "title").get_attribute("value") == (
            "Fractions worksheet"
        )
        due = (timezone.localtime() + timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
        driver.execute_script("document.querySelector('[name=due_at]').value = arguments[0]", due)
        attachment = file_to_upload("worksheet.txt", b"1/2 + 1/4 = ?\n")
        driver.find_element(By.NAME, "attachments").send_keys(str(attachment))
        driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
        wait_for(driver, ".messages", text="Homework set: Fractions worksheet")
        screenshot(driver, "teacher-homework")

        homework = Homework.objects.get(school_class=world.school_class)
        assert homework.title == "Fractions worksheet"
        assert homework.assigned_by == world.teacher
        assert [(a.name, a.size_bytes) for a in homework.attachments.all()] == [
            ("worksheet.txt", 14)
        ]
        assert "Fractions worksheet" in driver.find_element(By.CSS_SELECTOR, "main table").text

    def test_a_teacher_grades_a_submission(self):
        driver, world = self.driver, self.world
        homework = set_homework(world, "Essay on rivers")
        student = world.students[0]
        submission, _ = submission_create(
            homework=homework, student=student, text="Rivers flow downhill."
        )
        self.log_in(world.teacher)
        driver.get(f"{self.live_server_url}/teach/homework/{homework.pk}/")
        wait_for(driver, ".grading", text="Rivers flow downhill.")
        score = driver.find_element(By.NAME, "score")
        score.send_keys("11")  # above the maximum of 10: refused beside the field
        driver.find_element(By.CSS_SELECTOR, ".grading button[type=submit]").click()
        assert wait_for(driver, "#id_score-error").text == "Must be between 0 and 10.00."
        score = driver.find_element(By.NAME, "score")
        score.clear()
        score.send_keys("8.5")
        driver.find_element(By.NAME, "feedback").send_keys("Clear and short.")
        driver.find_element(By.CSS_SELECTOR, ".grading button[type=submit]").click()
        wait_for(driver, ".messages", text="Graded")
        wait_for(driver, "main", text="Everything handed in is graded.")
        screenshot(driver, "teacher-grade")

        [current] = student_submissions(homework=homework, student_id=student.pk)
        assert (current.pk, current.score, current.feedback, current.graded_by_id) == (
            submission.pk, Decimal("8.50"), "Clear and short.", world.teacher.pk,
        )  # fmt: skip


class FamilyTests(BrowserTestCase):
    def test_a_student_hands_in_work_with_a_file(self):
        driver, world = self.driver, self.world
        homework = set_homework(world, "Map of the coast")
        student = world.students[0]
        self.log_in(student)
        assert driver.current_url == f"{self.live_server_url}/my/"
        driver.find_element(By.LINK_TEXT, "Map of the coast").click()
        driver.find_element(By.NAME, "text").send_keys("My map is attached.")
        upload = file_to_upload("map.txt", b"coastline\n")
        driver.find_element(By.NAME, "uploads").send_keys(str(upload))
        driver.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
        wait_for(driver, ".messages", text="Your work is handed in.")
        screenshot(driver, "student-submit")

        [submission] = student_submissions(homework=homework, student_id=student.pk)
        assert submission.text == "My map is attached."
        assert [f["name"] for f in submission.files] == ["map.txt"]
        assert "Handed in" in driver.find_element(By.CSS_SELECTOR, ".homework-item").text

    def test_a_guardian_switches_between_children(self):
        driver, world = self.driver, self.world
        first = world.student
        other_class = SchoolClassFactory(school=world.school)
        second = EnrolmentFactory(school_class=other_class).student
        GuardianLinkFactory(guardian=world.guardian, student=second, school=world.school)
        set_homework(world, "Only for the first child")
        self.log_in(world.guardian)
        children = sorted([first, second], key=lambda c: (c.first_name, c.last_name, c.username))
        assert driver.find_element(By.ID, "child-name").text == children[0].get_full_name()
        Select(driver.find_element(By.ID, "child")).select_by_value(str(children[1].pk))
        wait_for(driver, "#child-name", text=children[1].get_full_name())
        screenshot(driver, "guardian-switch")
        page = driver.find_element(By.TAG_NAME, "main").text
        if children[1] == first:
            assert "Only for the first child" in page
        else:
            assert "Only for the first child" not in page
            assert "No homework yet." in page


class BoardTests(BrowserTestCase):
    def test_a_board_shows_new_homework_live_without_a_reload(self):
        driver, world = self.driver, self.world
        self.log_in(world.teacher)
        driver.get(f"{self.live_server_url}/boards/{world.school_class.pk}/")
        wait_for(driver, "#board-status.live")
        driver.execute_script("window.notReloaded = true")
        homework = set_homework(world, f"Read chapter {uuid.uuid4().hex[:4]}")
        item = wait_for(driver, f'#homework-list li[data-homework="{homework.pk}"]')
        assert homework.title in item.text
        assert driver.execute_script("return window.notReloaded") is True
        screenshot(driver, "board-live")

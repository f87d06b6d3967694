"""``manage.py seed_demo``: a realistic demo school; safe to run again (idempotent)."""

from django.core.management.base import BaseCommand, CommandError

from apps.users.demo import seed_demo
from apps.users.models import School


class Command(BaseCommand):
    help = "Create (or complete) the demo school and print the logins it has."

    def add_arguments(self, parser):
        parser.add_argument("--students", type=int, default=120, help="number of students")
        parser.add_argument("--password", default="schools24", help="password of every demo login")
        parser.add_argument(
            "--if-empty", action="store_true", help="do nothing if the database has a school"
        )

    def handle(self, *args, students: int, password: str, **options):
        if options["if_empty"] and School.objects.exists():
            self.stdout.write("The database already has a school; not seeding the demo.")
            return
        if students < 1:
            raise CommandError("--students must be at least 1 (student1 is always created)")
        context = seed_demo(students=students, password=password, progress=options["verbosity"] > 0)
        self.stdout.write(self.style.SUCCESS(f"Demo school ready: {context.school.name}"))
        self.stdout.write(f"Logins (password: {password}):")
        for username, description in context.logins:
            self.stdout.write(f"  {username:<10} {description}")

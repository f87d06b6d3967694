"""``manage.py quiz_leaderboards rebuild [--quiz ID]``: rebuild the leaderboards in Redis from
the attempts (in PostgreSQL, plus those still waiting in the write buffer), e.g. after the read
cache's Redis lost them."""

from __future__ import annotations

from django.core.management.base import BaseCommand, CommandError

from apps.quizzes.models import Quiz, QuizStatus
from apps.quizzes.services.results import leaderboards_rebuild


class Command(BaseCommand):
    help = "Rebuild quiz leaderboards from the stored attempts."

    def add_arguments(self, parser):
        actions = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
        rebuild = actions.add_parser("rebuild", help="rebuild one quiz's boards, or all")
        rebuild.add_argument("--quiz", help="a quiz id (default: every published quiz)")

    def handle(self, *args, action: str, **options):
        quizzes = Quiz.objects.filter(status=QuizStatus.PUBLISHED)
        if options.get("quiz"):
            quizzes = Quiz.objects.filter(pk=options["quiz"])
            if not quizzes.exists():
                raise CommandError(f"No quiz {options['quiz']}.")
        total = 0
        for quiz in quizzes.order_by("opens_at"):
            placed = leaderboards_rebuild(quiz=quiz)
            total += placed
            self.stdout.write(f"{quiz.title} ({quiz.pk}): {placed} students placed")
        self.stdout.write(f"Rebuilt {quizzes.count()} quizzes, {total} students placed.")

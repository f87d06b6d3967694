"""GIN indexes on the question bank's JSONB (bodies and tags), on PostgreSQL only: the
embedded SQLite default has no such index and needs none."""

from django.db import migrations

INDEXES = [
    ("quizzes_questionversion_body_gin", "quizzes_questionversion", "body"),
    ("quizzes_question_tags_gin", "quizzes_question", "tags"),
]


def create(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, table, column in INDEXES:
        schema_editor.execute(
            f'CREATE INDEX IF NOT EXISTS "{name}" ON "{table}" USING gin ("{column}" jsonb_path_ops)'
        )


def drop(apps, schema_editor):
    if schema_editor.connection.vendor != "postgresql":
        return
    for name, _, _ in INDEXES:
        schema_editor.execute(f'DROP INDEX IF EXISTS "{name}"')


class Migration(migrations.Migration):
    dependencies = [("quizzes", "0001_initial")]
    operations = [migrations.RunPython(create, drop)]

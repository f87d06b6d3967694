from django.apps import AppConfig


class HomeworkConfig(AppConfig):
    name = "apps.homework"
    label = "homework"
    verbose_name = "Homework"

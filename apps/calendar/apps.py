from django.apps import AppConfig


class CalendarConfig(AppConfig):
    name = "apps.calendar"
    label = "school_calendar"
    verbose_name = "School calendar"

from django.urls import path

from apps.attendance import apis

urlpatterns = [
    path("registers/", apis.RegisterListCreateApi.as_view(), name="attendance-registers"),
    path(
        "registers/missing/",
        apis.MissingRegistersApi.as_view(),
        name="attendance-registers-missing",
    ),
    path(
        "registers/<uuid:register_id>/",
        apis.RegisterDetailApi.as_view(),
        name="attendance-register",
    ),
    path(
        "registers/<uuid:register_id>/marks/",
        apis.RegisterMarkApi.as_view(),
        name="attendance-register-marks",
    ),
    path(
        "registers/<uuid:register_id>/changes/",
        apis.RegisterChangesApi.as_view(),
        name="attendance-register-changes",
    ),
    path(
        "students/<uuid:student_id>/daily/",
        apis.StudentDailySummaryApi.as_view(),
        name="attendance-student-daily",
    ),
    path(
        "classes/<uuid:school_class_id>/rate/",
        apis.ClassAttendanceRateApi.as_view(),
        name="attendance-class-rate",
    ),
]

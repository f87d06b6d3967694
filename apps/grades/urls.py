from django.urls import path

from apps.grades import apis

urlpatterns = [
    path("terms/", apis.TermListApi.as_view(), name="grades-terms"),
    path("assessments/", apis.AssessmentListCreateApi.as_view(), name="grades-assessments"),
    path(
        "assessments/<uuid:assessment_id>/",
        apis.AssessmentDetailApi.as_view(),
        name="grades-assessment",
    ),
    path(
        "assessments/<uuid:assessment_id>/marks/",
        apis.AssessmentMarksApi.as_view(),
        name="grades-assessment-marks",
    ),
    path("marks/", apis.MarkListApi.as_view(), name="grades-marks"),
    path("gradebook/", apis.GradebookApi.as_view(), name="grades-gradebook"),
    path(
        "students/<uuid:student_id>/report-card/",
        apis.ReportCardApi.as_view(),
        name="grades-report-card",
    ),
    path(
        "classes/<uuid:class_id>/report-cards/",
        apis.ClassReportCardsApi.as_view(),
        name="grades-class-report-cards",
    ),
]

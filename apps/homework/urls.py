from django.urls import path

from apps.homework import apis

urlpatterns = [
    path("", apis.HomeworkListCreateApi.as_view(), name="homework-list"),
    path("<uuid:homework_id>/", apis.HomeworkDetailApi.as_view(), name="homework-detail"),
    path(
        "<uuid:homework_id>/attachments/",
        apis.AttachmentCreateApi.as_view(),
        name="homework-attachments",
    ),
    path(
        "<uuid:homework_id>/attachments/<uuid:attachment_id>/",
        apis.AttachmentDownloadApi.as_view(),
        name="homework-attachment",
    ),
    path(
        "<uuid:homework_id>/extensions/",
        apis.ExtensionListCreateApi.as_view(),
        name="homework-extensions",
    ),
    path(
        "<uuid:homework_id>/submissions/",
        apis.SubmissionListCreateApi.as_view(),
        name="homework-submissions",
    ),
    path(
        "<uuid:homework_id>/submissions/<uuid:submission_id>/",
        apis.SubmissionDetailApi.as_view(),
        name="homework-submission",
    ),
    path(
        "<uuid:homework_id>/submissions/<uuid:submission_id>/grade/",
        apis.SubmissionGradeApi.as_view(),
        name="homework-submission-grade",
    ),
    path(
        "<uuid:homework_id>/submissions/<uuid:submission_id>/files/<int:index>/",
        apis.SubmissionFileDownloadApi.as_view(),
        name="homework-submission-file",
    ),
]

from django.urls import path

from apps.quizzes import apis

# /api/v1/quizzes/
urlpatterns = [
    path("", apis.QuizListCreateApi.as_view(), name="quiz-list"),
    path("questions/", apis.QuestionListCreateApi.as_view(), name="quiz-questions"),
    path("questions/<uuid:question_id>/", apis.QuestionDetailApi.as_view(), name="quiz-question"),
    path("<uuid:quiz_id>/", apis.QuizDetailApi.as_view(), name="quiz-detail"),
    path("<uuid:quiz_id>/publish/", apis.QuizPublishApi.as_view(), name="quiz-publish"),
    path("<uuid:quiz_id>/attempts/", apis.AttemptStartApi.as_view(), name="quiz-attempts"),
    path("<uuid:quiz_id>/results/", apis.QuizResultsApi.as_view(), name="quiz-results"),
    path("<uuid:quiz_id>/results.csv", apis.QuizResultsCsvApi.as_view(), name="quiz-results-csv"),
    path("<uuid:quiz_id>/regrade/", apis.QuizRegradeApi.as_view(), name="quiz-regrade"),
    path("<uuid:quiz_id>/leaderboard/", apis.LeaderboardApi.as_view(), name="quiz-leaderboard"),
]

# /api/v1/attempts/
attempt_urlpatterns = [
    path("<uuid:attempt_id>/", apis.AttemptDetailApi.as_view(), name="attempt-detail"),
    path(
        "<uuid:attempt_id>/answers/<uuid:question_id>/",
        apis.AnswerSaveApi.as_view(),
        name="attempt-answer",
    ),
    path("<uuid:attempt_id>/submit/", apis.AttemptSubmitApi.as_view(), name="attempt-submit"),
    path(
        "<uuid:attempt_id>/overrides/", apis.AttemptOverrideApi.as_view(), name="attempt-override"
    ),
]

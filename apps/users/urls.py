from django.urls import path

from apps.users.apis import (
    ClassDetailApi,
    ClassListApi,
    ClassStudentListApi,
    LogoutApi,
    MeApi,
    SubjectListApi,
    TokenObtainView,
    TokenRefreshApi,
)

urlpatterns = [
    path("auth/token/", TokenObtainView.as_view(), name="token-obtain"),
    path("auth/token/refresh/", TokenRefreshApi.as_view(), name="token-refresh"),
    path("auth/logout/", LogoutApi.as_view(), name="logout"),
    path("me/", MeApi.as_view(), name="me"),
    path("classes/", ClassListApi.as_view(), name="class-list"),
    path("classes/<uuid:class_id>/", ClassDetailApi.as_view(), name="class-detail"),
    path("classes/<uuid:class_id>/students/", ClassStudentListApi.as_view(), name="class-students"),
    path("subjects/", SubjectListApi.as_view(), name="subject-list"),
]

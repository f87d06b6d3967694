from django.urls import path

from apps.analytics import apis

urlpatterns = [
    path("", apis.EarlyWarningListApi.as_view(), name="early-warnings"),
]

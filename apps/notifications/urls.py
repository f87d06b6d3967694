from django.urls import path

from apps.notifications import apis

urlpatterns = [
    path("", apis.InboxApi.as_view(), name="notification-inbox"),
    path("read-all/", apis.ReadAllApi.as_view(), name="notification-read-all"),
    path("preferences/", apis.PreferencesApi.as_view(), name="notification-preferences"),
    path("<uuid:notification_id>/read/", apis.ReadApi.as_view(), name="notification-read"),
]

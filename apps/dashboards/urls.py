from django.urls import path

from apps.dashboards import apis

urlpatterns = [
    path("dashboard/", apis.DashboardApi.as_view(), name="dashboard"),
    path("boards/devices/", apis.BoardDeviceListCreateApi.as_view(), name="board-devices"),
    path(
        "boards/devices/<uuid:device_id>/revoke/",
        apis.BoardDeviceRevokeApi.as_view(),
        name="board-device-revoke",
    ),
    path("boards/<uuid:class_id>/", apis.BoardStateApi.as_view(), name="board-state"),
    path(
        "boards/<uuid:class_id>/announcements/",
        apis.AnnouncementListCreateApi.as_view(),
        name="board-announcements",
    ),
    path("boards/<uuid:class_id>/show/", apis.BoardShowApi.as_view(), name="board-show"),
]

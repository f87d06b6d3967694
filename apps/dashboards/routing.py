from django.urls import path

from apps.dashboards.consumers import BoardConsumer, DashboardConsumer

websocket_urlpatterns = [
    # Channels routes ASGI applications with Django's path(); the stubs expect views.
    path("ws/dashboard/", DashboardConsumer.as_asgi()),  # type: ignore[arg-type]
    path("ws/boards/<uuid:class_id>/", BoardConsumer.as_asgi()),  # type: ignore[arg-type]
]

from django.urls import path

from apps.dashboards.consumers import BoardConsumer, DashboardConsumer

websocket_urlpatterns = [
    path("ws/dashboard/", DashboardConsumer.as_asgi()),
    path("ws/boards/<uuid:class_id>/", BoardConsumer.as_asgi()),
]

"""ASGI entry point: HTTP through Django, websockets through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "schools24.settings.local")

django_asgi_app = get_asgi_application()

from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402

from apps.dashboards.auth import origin_checked, websocket_auth_stack  # noqa: E402
from apps.dashboards.routing import websocket_urlpatterns  # noqa: E402
from apps.events.live import LiveRelayMiddleware  # noqa: E402

application = ProtocolTypeRouter(
    {
        "http": django_asgi_app,
        # URLRouter takes Django's path() patterns; the stubs want Channels' own pattern type.
        "websocket": LiveRelayMiddleware(
            origin_checked(
                websocket_auth_stack(URLRouter(websocket_urlpatterns))  # type: ignore[arg-type]
            )
        ),
    }
)

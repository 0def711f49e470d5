"""ASGI entry point: HTTP through Django, its bodies bounded first; websockets through Channels."""

import os

from django.core.asgi import get_asgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "fieldsales.settings")
django_asgi_app = get_asgi_application()

from channels.auth import AuthMiddlewareStack  # noqa: E402
from channels.routing import ProtocolTypeRouter, URLRouter  # noqa: E402
from channels.security.websocket import AllowedHostsOriginValidator  # noqa: E402
from django.conf import settings  # noqa: E402
from django.urls import path  # noqa: E402

from fieldsales.bodies import bounded_bodies  # noqa: E402
from fieldsales.consumers import RepConsumer  # noqa: E402
from fieldsales.health import health_endpoints  # noqa: E402
from fieldsales.jobs import start_in_process  # noqa: E402
from workflows.consumers import BoardConsumer  # noqa: E402

websocket_urlpatterns: list = [
    path("ws/rep/", RepConsumer.as_asgi()),
    path("ws/board/", BoardConsumer.as_asgi()),
]

if settings.JOBS_IN_PROCESS:
    # A job worker in a thread of this server process (fieldsales/jobs.py); off, `manage.py run_jobs` runs them.
    start_in_process()

application = ProtocolTypeRouter(
    {
        # The load balancer's probes first (fieldsales/health.py), then bodies bounded before Django reads them
        # (fieldsales/bodies.py).
        "http": health_endpoints(bounded_bodies(django_asgi_app)),
        "websocket": AllowedHostsOriginValidator(AuthMiddlewareStack(URLRouter(websocket_urlpatterns))),
    }
)

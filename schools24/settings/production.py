"""Production: no default secret, secure cookies, hosts from the environment."""

from schools24.logconfig import logging_config

from .base import *  # noqa: F403
from .base import LOG_LEVEL, env

SECRET_KEY = env("DJANGO_SECRET_KEY")  # no default: refuse to start without one
DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
# The TLS-terminating proxy says the request came over HTTPS with this header; it must set it
# itself (overwriting any the client sent), or plain-HTTP requests could pass as secure.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
# Health checks and Prometheus scrape the containers directly over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz/$", r"^livez/$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("DJANGO_HSTS_SECONDS", default=365 * 24 * 60 * 60)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("DJANGO_HSTS_INCLUDE_SUBDOMAINS", default=True)
# Preloading is the domain owner's decision (browsers ship the list; leaving it is slow), so it
# is off unless asked for, and the check that recommends it is silenced with it off.
SECURE_HSTS_PRELOAD = env.bool("DJANGO_HSTS_PRELOAD", default=False)
if not SECURE_HSTS_PRELOAD:
    SILENCED_SYSTEM_CHECKS = ["security.W021"]
SECURE_CONTENT_TYPE_NOSNIFF = True
# The test payment gateway marks payments paid without money: never on in production unless a
# staging site asks for it (and then `check --deploy` wants its own secret).
FEES_TEST_GATEWAY_ENABLED = env.bool("FEES_TEST_GATEWAY_ENABLED", default=False)
# One JSON object per log line (timestamp, level, logger, message, request_id) for the log
# collector; LOG_FORMAT=plain to read them by eye.
LOGGING = logging_config(env("LOG_FORMAT", default="json"), LOG_LEVEL)

"""The OpenAPI description of the project's JWT authentication (simplejwt's bearer scheme)."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class CachedJWTScheme(SimpleJWTScheme):
    target_class = "apps.users.user_cache.CachedJWTAuthentication"

"""The OpenAPI description of the project's JWT authentication (simplejwt's bearer scheme)."""

from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme


class RevocableJWTScheme(SimpleJWTScheme):
    """The bearer scheme for the authentication class of ``REST_FRAMEWORK`` (an exact match:
    drf-spectacular does not match subclasses)."""

    target_class = "apps.users.tokens.RevocableJWTAuthentication"
    name = "jwtAuth"

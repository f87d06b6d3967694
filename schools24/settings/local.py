"""Local development: debug on by default, everything else from base's working defaults."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
WHITENOISE_USE_FINDERS = True  # serve static files straight from the apps, no collectstatic

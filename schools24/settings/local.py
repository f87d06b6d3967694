"""Local development: debug on by default, everything else from base's working defaults.

``make run`` writes the addresses it chose (its own Redis for the buffer, the SQLite file or the
database, the Celery broker, queue and key prefixes) to ``var/run.env``. They are read here
before anything else, so every ``manage.py`` command in the checkout (``writebuffer status`` in
a second terminal) talks to the same servers as the running app, with nothing exported by hand.
A variable set in the environment still wins; ``SCHOOLS24_RUN_FILE`` names another file.
"""

import os
from pathlib import Path

import environ

_run_file = os.environ.get(
    "SCHOOLS24_RUN_FILE", str(Path(__file__).resolve().parent.parent.parent / "var" / "run.env")
)
if os.path.exists(_run_file):
    environ.Env.read_env(_run_file)  # sets only what the environment does not have

from .base import *  # noqa: E402, F403
from .base import env  # noqa: E402

DEBUG = env.bool("DJANGO_DEBUG", default=True)
WHITENOISE_USE_FINDERS = True  # serve static files straight from the apps, no collectstatic

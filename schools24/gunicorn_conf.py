"""gunicorn's configuration file (``scripts/serve.sh`` passes it): its own log lines in the
same format as Django's (LOG_FORMAT: "plain" or "json", schools24/logconfig.py)."""

import os

from schools24.logconfig import logging_config

_config = logging_config(os.environ.get("LOG_FORMAT", "plain"), os.environ.get("LOG_LEVEL", "INFO"))
# gunicorn's loggers hand their lines to the root handler (the format above).
_config["loggers"].update(
    {
        "gunicorn.error": {"level": "INFO", "propagate": True},
        "gunicorn.access": {"level": "INFO", "propagate": True},
    }
)
logconfig_dict = _config

"""gunicorn settings that ``scripts/serve.sh`` passes with ``--config``: the command line sets
the rest.

prometheus_client's multiprocess mode keeps each worker's metrics in files under
``PROMETHEUS_MULTIPROC_DIR``; a worker that exits has its live gauges removed here, while its
counters stay in the sums (they must never go down).

gunicorn's own log lines take the same format as Django's (LOG_FORMAT: "plain" or "json",
schools24/logconfig.py).
"""

import os

from prometheus_client import multiprocess

from schools24.logconfig import logging_config


def child_exit(server, worker):
    multiprocess.mark_process_dead(worker.pid)


def _logconfig() -> dict:
    config = logging_config(
        os.environ.get("LOG_FORMAT", "plain"), os.environ.get("LOG_LEVEL", "INFO")
    )
    # gunicorn's loggers hand their lines to the root handler (the format above).
    config["loggers"].update(
        {
            "gunicorn.error": {"level": "INFO", "propagate": True},
            "gunicorn.access": {"level": "INFO", "propagate": True},
        }
    )
    return config


logconfig_dict = _logconfig()

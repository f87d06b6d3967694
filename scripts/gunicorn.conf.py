"""gunicorn settings that ``scripts/serve.sh`` passes with ``--config``: the command line sets
the rest. prometheus_client's multiprocess mode keeps each worker's metrics in files under
``PROMETHEUS_MULTIPROC_DIR``; a worker that exits has its live gauges removed here, while its
counters stay in the sums (they must never go down)."""

from prometheus_client import multiprocess


def child_exit(server, worker):
    multiprocess.mark_process_dead(worker.pid)

"""gunicorn settings for production: ``gunicorn -c python:bookstore.ops.gunicorn_config wsgi:app``.

Command-line options (``--workers``, ``--bind``...) still apply on top. What this adds:

- the request id in every access-log line (the ``X-Request-ID`` the app put on the response);
- Prometheus multiprocess mode when ``PROMETHEUS_MULTIPROC_DIR`` is set: the folder is emptied
  when gunicorn starts (figures of an earlier run must not count) and a dead worker's live
  gauges are dropped, so ``/metrics`` adds up every worker (see ``bookstore/ops/metrics.py``).
"""

import os
from pathlib import Path

access_log_format = (
    '%(h)s %(l)s %(u)s %(t)s "%(r)s" %(s)s %(b)s "%(f)s" "%(a)s" %(M)sms '
    "request_id=%({x-request-id}o)s"
)


def on_starting(server) -> None:
    """Empty the metrics folder before the first worker starts."""
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for stale in Path(folder).glob("*.db"):
            stale.unlink()


def child_exit(server, worker) -> None:
    """Forget a worker that ended (its counters stay in the totals)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        multiprocess.mark_process_dead(worker.pid)

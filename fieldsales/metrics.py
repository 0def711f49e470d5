"""Prometheus metrics: django-prometheus' (requests by view, method and status, their latency) and ours, served at
`/metrics` to a scraper with the token (`METRICS_TOKEN`, sent as `Authorization: Bearer ...`) or a superuser.

Under several worker processes (`make serve`), each writes its figures to PROMETHEUS_MULTIPROC_DIR and a scrape adds
them up (prometheus-client's multiprocess mode; django-prometheus' view reads that directory when it is set).
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseForbidden
from django_prometheus.exports import ExportToDjangoView
from prometheus_client import Counter, Gauge

from fieldsales.jobs import lag_seconds

PUSH_OPS = Counter("fieldsales_push_ops", "Ops pushed by devices, by their outcome.", ["status"])
JOBS = Counter("fieldsales_jobs", "Jobs run by this node's workers, by job and outcome.", ["job", "status"])
# Read from the database at each scrape: every node answers the same.
QUEUE_LAG = Gauge(
    "fieldsales_job_queue_lag_seconds",
    "How long the oldest job ready to run has waited.",
    multiprocess_mode="mostrecent",
)


def count_push(results: Iterable[dict[str, Any]]) -> None:
    """Count a push's ops by outcome: applied, duplicate, conflict, rejected."""
    for result in results:
        PUSH_OPS.labels(status=result["status"]).inc()


def count_job(*, sender: Any, task_result: Any, **kwargs: Any) -> None:
    """Receiver of django-tasks' `task_finished`."""
    JOBS.labels(job=task_result.task.name, status=str(task_result.status).lower()).inc()


def _allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    return bool(request.user.is_authenticated and request.user.is_superuser)


def metrics(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return HttpResponseForbidden()
    QUEUE_LAG.set(lag_seconds())
    return ExportToDjangoView(request)

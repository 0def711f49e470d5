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
from prometheus_client import Counter

PUSH_OPS = Counter("fieldsales_push_ops", "Ops pushed by devices, by their outcome.", ["status"])


def count_push(results: Iterable[dict[str, Any]]) -> None:
    """Count a push's ops by outcome: applied, duplicate, conflict, rejected."""
    for result in results:
        PUSH_OPS.labels(status=result["status"]).inc()


def _allowed(request: HttpRequest) -> bool:
    token = settings.METRICS_TOKEN
    given = request.headers.get("Authorization", "")
    if token and hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        return True
    return bool(request.user.is_authenticated and request.user.is_superuser)


def metrics(request: HttpRequest) -> HttpResponse:
    if not _allowed(request):
        return HttpResponseForbidden()
    return ExportToDjangoView(request)

"""Prometheus metrics at /metrics (fieldsales/metrics.py): ours (push ops by outcome) and django-prometheus' requests,
read by a scraper with the token or by a superuser, and by no one else."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.test import Client as HttpClient
from django.utils import timezone

from fieldsales.jobs import run_ready
from fieldsales.models import Job
from kpis.tasks import refresh_all_cards
from tests.factories import UserFactory
from tests.sync.conftest import device_for, new_id, op
from tests.sync.test_push import client_fields

pytestmark = pytest.mark.django_db


def figure(text: str, name: str, **labels: str) -> float:
    wanted = ",".join(f'{key}="{value}"' for key, value in sorted(labels.items()))
    for line in text.splitlines():
        match = re.fullmatch(rf"{name}\{{(.*)\}} (\S+)", line)
        if match and ",".join(sorted(match.group(1).split(","))) == wanted:
            return float(match.group(2))
    return 0.0


def scrape(settings) -> str:  # type: ignore[no-untyped-def]
    settings.METRICS_TOKEN = "scraper-secret"
    response = HttpClient().get("/metrics", HTTP_AUTHORIZATION="Bearer scraper-secret")
    assert response.status_code == 200
    return response.content.decode()


def test_a_push_is_counted_by_outcome(settings, awa, pos_list_editable):
    before = scrape(settings)
    device = device_for(awa)
    created = op("client.create", data=client_fields(pos_list_editable))
    device.push(created, op("client.update", new_id(), {"name": "X"}, base_version=1))
    device.push(created)
    after = scrape(settings)

    def delta(status: str) -> float:
        return figure(after, "fieldsales_push_ops_total", status=status) - figure(
            before, "fieldsales_push_ops_total", status=status
        )

    assert (delta("applied"), delta("rejected"), delta("duplicate")) == (1, 1, 1)
    assert figure(after, "django_http_responses_total_by_status_total", status="200") > 0


def test_only_the_scraper_and_superusers_read_the_metrics(settings):
    settings.METRICS_TOKEN = "scraper-secret"
    assert HttpClient().get("/metrics").status_code == 403
    assert HttpClient().get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 403
    staff = HttpClient()
    staff.force_login(UserFactory(is_staff=True))
    assert staff.get("/metrics").status_code == 403
    admin = HttpClient()
    admin.force_login(UserFactory(is_staff=True, is_superuser=True))
    assert admin.get("/metrics").status_code == 200
    settings.METRICS_TOKEN = ""
    assert HttpClient().get("/metrics", HTTP_AUTHORIZATION="Bearer ").status_code == 403


def test_the_queue_lag_and_the_jobs_run_are_measured(settings):
    waiting = Job.objects.filter(pk=refresh_all_cards.enqueue().id)
    waiting.update(enqueued_at=timezone.now() - dt.timedelta(seconds=90))
    lagging = scrape(settings)
    assert 90 <= float(re.search(r"^fieldsales_job_queue_lag_seconds (\S+)$", lagging, re.M).group(1)) < 150

    assert run_ready() == 1

    after = scrape(settings)
    assert float(re.search(r"^fieldsales_job_queue_lag_seconds (\S+)$", after, re.M).group(1)) == 0
    ran = figure(after, "fieldsales_jobs_total", job="refresh_all_cards", status="successful")
    assert ran - figure(lagging, "fieldsales_jobs_total", job="refresh_all_cards", status="successful") == 1

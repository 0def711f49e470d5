"""The load balancer's probes (fieldsales/health.py), answered in front of Django: live, and ready when the database,
Redis and the storage answer; after PostgreSQL drops every connection, a probe replaces the pool's dead ones."""

from __future__ import annotations

import datetime as dt
import json
import time
from typing import Any

import psycopg
import pytest
from django.db import connection
from django.test import Client as HttpClient
from django.utils import timezone

from fieldsales.models import Job
from kpis.tasks import refresh_all_cards
from tests.asgi import call, http_scope


def probe(path: str) -> tuple[int, dict[str, Any]]:
    """GET `path` as a balancer does: plain HTTP, to the node's address (no allowed host), no cookie."""

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    sent = call(http_scope(path, {"Host": "10.0.0.7:8000"}), receive)
    return sent[0]["status"], json.loads(sent[1]["body"])


def test_live_answers_without_asking_anything():
    assert probe("/health/live") == (200, {"status": "ok"})


@pytest.mark.django_db(transaction=True)
def test_ready_answers_each_check_and_200_when_all_pass():
    status, body = probe("/health/ready")
    assert (status, body["status"]) == (200, "ok")
    assert {name: check["status"] for name, check in body["checks"].items()} == {
        "database": "ok",
        "redis": "ok",
        "storage": "ok",
        "jobs": "ok",
    }
    assert body["checks"]["jobs"]["lag_s"] == 0


@pytest.mark.django_db(transaction=True)
def test_ready_reports_how_long_the_oldest_waiting_job_has_waited_without_failing_on_it():
    waited = Job.objects.filter(pk=refresh_all_cards.enqueue().id)
    waited.update(enqueued_at=timezone.now() - dt.timedelta(minutes=10))
    later = Job.objects.filter(
        pk=refresh_all_cards.using(run_after=timezone.now() + dt.timedelta(hours=1)).enqueue().id
    )
    later.update(enqueued_at=timezone.now() - dt.timedelta(hours=2))  # not due yet: it is not late

    status, body = probe("/health/ready")

    assert status == 200
    assert 600 <= body["checks"]["jobs"]["lag_s"] < 660


@pytest.mark.django_db(transaction=True)
def test_ready_answers_503_naming_redis_when_it_is_out_of_reach(settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"  # nothing listens there
    status, body = probe("/health/ready")
    assert (status, body["status"]) == (503, "unavailable")
    assert body["checks"]["redis"]["status"].startswith("ConnectionError")
    assert body["checks"]["database"]["status"] == "ok"


def terminate_other_connections() -> int:
    """What a PostgreSQL restart does to the pool's connections: every other connection to this database ends."""
    settings = connection.settings_dict
    with psycopg.connect(
        host=settings["HOST"], port=settings["PORT"] or 5432, user=settings["USER"], dbname="postgres", autocommit=True
    ) as admin:
        rows = admin.execute(
            # With a timeout, it returns once each has ended, as after a restart (without, they end a little later).
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            [settings["NAME"]],
        ).fetchall()
    return len(rows)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_after_postgresql_drops_every_connection_one_probe_and_the_next_requests_are_answered(awa):
    http = HttpClient(raise_request_exception=False)
    http.force_login(awa)
    connection.close()
    # The pool holds several idle connections, as after a busy minute.
    held = [connection.pool.getconn() for _ in range(8)]
    for conn in held:
        connection.pool.putconn(conn)
    assert terminate_other_connections() >= 8

    started = time.monotonic()
    status, body = probe("/health/ready")
    assert (status, body["checks"]["database"]["status"]) == (200, "ok")
    assert [http.get("/api/me").status_code for _ in range(5)] == [200] * 5
    print(f"answered again {time.monotonic() - started:.2f} s after every connection was dropped")

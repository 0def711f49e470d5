"""The job queue (fieldsales/jobs.py): a job commits or rolls back with its data, a failed one is tried again later
each time, a schedule runs once per slot whatever the number of workers, a job left by a stopped worker runs again,
and several workers never run one job twice."""

from __future__ import annotations

import datetime as dt
import threading
import zoneinfo
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, transaction
from django.utils import timezone

from fieldsales.jobs import BACKOFF, job, run_ready, schedule_due, stalled_requeue, start_in_process
from fieldsales.models import Job, ScheduleMark
from kpis.models import KpiCard, KpiDefinition, KpiFolder, StatementDelivery
from kpis.services import statement_send
from kpis.tasks import deliver_statement, refresh_cards
from tests.factories import ClientFactory, RepFactory
from tests.jobs import job_done

pytestmark = pytest.mark.django_db


@job(label="test: fails until its n-th attempt", attempts=3)
def flaky(*, path: str, succeed_at: int) -> int:
    """Writes a line per attempt; fails before the `succeed_at`-th."""
    log = Path(path)
    attempt = len(log.read_text().splitlines()) + 1 if log.exists() else 1
    log.write_text(log.read_text() + f"{attempt}\n" if log.exists() else f"{attempt}\n")
    if attempt < succeed_at:
        raise ConnectionError(f"provider down (attempt {attempt})")
    return attempt


@job(label="test: records who ran it")
def recorded(*, number: int, work_ms: int = 0) -> str:
    threading.Event().wait(work_ms / 1000)  # the job's own work, a few milliseconds long
    return f"{number}:{threading.get_ident()}"


def due_now(job_id: Any) -> None:
    """The clock moved on to the job's next attempt."""
    Job.objects.filter(pk=job_id).update(run_after=timezone.now())


def test_a_job_enqueued_in_a_transaction_that_rolls_back_is_gone_with_it():
    shop = ClientFactory(statement_enabled=True)
    rep = RepFactory()
    with pytest.raises(RuntimeError), transaction.atomic():
        statement_send(user=rep, client=shop, channel="email", recipient="a@example.com", language="fr")
        assert Job.objects.count() == 1
        raise RuntimeError("the request failed after")
    assert not StatementDelivery.objects.exists()
    assert not Job.objects.exists()

    delivery = statement_send(user=rep, client=shop, channel="email", recipient="a@example.com", language="fr")
    [queued] = Job.objects.all()
    assert (queued.task_path, queued.args_kwargs["kwargs"]) == (
        deliver_statement.module_path,
        {"delivery_id": str(delivery.pk)},
    )


def test_a_failed_job_is_tried_again_later_each_time_until_it_succeeds(tmp_path):
    log = tmp_path / "attempts"
    result = flaky.enqueue(path=str(log), succeed_at=3)
    waits = []
    for attempt in (1, 2):
        started = timezone.now()
        assert run_ready() == 1
        row = Job.objects.get(pk=result.id)
        assert (row.status, len(row.worker_ids)) == ("READY", attempt)
        assert f"provider down (attempt {attempt})" in row.traceback
        waits.append((row.run_after - started).total_seconds())
        assert run_ready() == 0  # not before its time
        due_now(row.pk)
    assert run_ready() == 1

    row = Job.objects.get(pk=result.id)
    assert (row.status, row.return_value, len(row.worker_ids)) == ("SUCCESSFUL", 3, 3)
    seconds = BACKOFF.total_seconds()
    assert 0.75 * seconds <= waits[0] <= 1.25 * seconds + 1
    assert 1.5 * seconds <= waits[1] <= 2.5 * seconds + 1


def test_a_job_that_fails_every_attempt_stops_failed_with_its_last_error(tmp_path):
    result = flaky.enqueue(path=str(tmp_path / "attempts"), succeed_at=99)
    for _ in range(3):
        assert run_ready() == 1
        due_now(result.id)
    assert run_ready() == 0

    row = Job.objects.get(pk=result.id)
    assert (row.status, len(row.worker_ids)) == ("FAILED", 3)
    assert "provider down (attempt 3)" in row.traceback


def test_a_schedule_enqueues_each_run_once_and_starts_from_now(settings):
    settings.TIME_ZONE = "Africa/Abidjan"
    settings.JOBS_NIGHTLY_AT = "02:30"
    night = dt.datetime(2026, 12, 5, 2, 29, tzinfo=zoneinfo.ZoneInfo("Africa/Abidjan"))

    assert schedule_due(night) == []  # a new site: nothing of last night runs
    assert schedule_due(night + dt.timedelta(minutes=1)) == ["statements-due", "imports-lost", "kpi-cards"]
    assert schedule_due(night + dt.timedelta(minutes=2)) == []
    assert schedule_due(night + dt.timedelta(minutes=16)) == ["statements-due", "imports-lost", "plans-window"]
    assert schedule_due(night + dt.timedelta(minutes=31)) == ["statements-due", "imports-lost", "sync-ops-prune"]
    assert schedule_due(night + dt.timedelta(days=1, minutes=31)) == [
        "statements-due",
        "imports-lost",
        "kpi-cards",
        "plans-window",
        "sync-ops-prune",
    ]
    assert Job.objects.count() == 3 + 3 + 3 + 5
    assert ScheduleMark.objects.get(name="sync-ops-prune").last_due == dt.datetime(2026, 12, 6, 3, 0, tzinfo=dt.UTC)


def test_a_job_left_running_by_a_stopped_worker_runs_again(settings):
    settings.JOBS_STALLED_MINUTES = 15
    result = recorded.enqueue(number=1)
    row = Job.objects.get(pk=result.id)
    row.claim("node-a:123:1")  # then node-a's process was killed
    Job.objects.filter(pk=row.pk).update(started_at=timezone.now() - dt.timedelta(minutes=14))
    assert stalled_requeue() == 0  # a long job is not taken from a live worker

    Job.objects.filter(pk=row.pk).update(started_at=timezone.now() - dt.timedelta(minutes=16))
    assert stalled_requeue() == 1
    assert run_ready() == 1
    row.refresh_from_db()
    assert (row.status, row.worker_ids[0]) == ("SUCCESSFUL", "node-a:123:1")
    assert len(row.worker_ids) == 2


def test_run_jobs_once_runs_what_is_ready(capsys):
    recorded.enqueue(number=1)
    recorded.enqueue(number=2)
    call_command("run_jobs", "--once")
    assert "2" in capsys.readouterr().out
    assert set(Job.objects.values_list("status", flat=True)) == {"SUCCESSFUL"}


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_four_workers_take_every_job_once_and_schedules_once():
    results = [recorded.enqueue(number=number, work_ms=5) for number in range(60)]
    barrier = threading.Barrier(4)
    enqueued: list[list[str]] = []

    def worker() -> None:
        try:
            barrier.wait()
            enqueued.append(schedule_due(timezone.now() + dt.timedelta(minutes=5)))
            run_ready()
        finally:
            connection.close()

    schedule_due()
    threads = [threading.Thread(target=worker) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)

    rows = Job.objects.filter(pk__in=[result.id for result in results])
    assert [(row.status, len(row.worker_ids)) for row in rows] == [("SUCCESSFUL", 1)] * 60
    assert len({row.worker_ids[0] for row in rows}) > 1  # shared out, not run by one
    assert sorted(name for names in enqueued for name in names) == ["imports-lost", "statements-due"]


@pytest.mark.django_db(transaction=True)
def test_the_in_process_worker_runs_the_jobs_waiting():
    folder = KpiFolder.objects.create(name_en="Sales", name_fr="Ventes")
    KpiDefinition.objects.create(
        key="visits", metric="visits_count", folder=folder, label_en="Visits", label_fr="Visites"
    )
    shop = ClientFactory()
    refresh_cards.enqueue(client_ids=[str(shop.pk)])
    with job_done(refresh_cards) as finished:
        stop = start_in_process()
        try:
            assert finished.wait(30), "the worker did not run the job"
        finally:
            stop()
    [kpi] = KpiCard.objects.get(client=shop).folders[0]["kpis"]
    assert (kpi["key"], kpi["value"]) == ("visits", 0)


def test_the_back_office_reads_each_job_its_attempts_and_its_error_in_its_language(clerk_client, tmp_path):
    failing = flaky.enqueue(path=str(tmp_path / "attempts"), succeed_at=99)
    run_ready()
    refresh_cards.enqueue(client_ids=[])

    page = clerk_client.get("/admin/fieldsales/job/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()
    detail = clerk_client.get(f"/admin/fieldsales/job/{failing.id}/change/", HTTP_ACCEPT_LANGUAGE="fr").content.decode()

    assert "Tâches de fond" in page
    assert "Fiches KPI après une synchronisation" in page and "en attente" in page
    assert "ConnectionError" in page  # the failed attempt's error, its next attempt in 30 s
    assert "provider down (attempt 1)" in detail and "Prochain essai" in detail

"""The job queue: everything that runs off the request (docs/jobs.md says why this one).

A job is a row of the database (django-tasks-db, behind Django's task API from django-tasks), so it is enqueued in the
transaction of the data it follows: a push that rolls back leaves no job, a push that commits leaves its job. Workers
take a job with `SELECT … FOR UPDATE SKIP LOCKED` (on SQLite, in an exclusive transaction), so two workers on two nodes
never run one job at the same time. What the library leaves to us, here:

- **retries with backoff**: a job declared with `attempts=n` that fails is made ready again, later each time, until its
  n-th attempt; the admin shows its attempts and its last error;
- **schedules without cron**: `SCHEDULE` says what runs every few minutes or nightly; every worker looks, and the one
  that moves the schedule's mark (one conditional UPDATE) enqueues the run, so each run is enqueued once whatever the
  number of workers and nodes;
- **stalled jobs**: a job left running by a worker that stopped is made ready again (every job here is safe to run
  twice: each claims its own work);
- **the worker**: `work` runs jobs until told to stop; `manage.py run_jobs` runs it, and with `JOBS_IN_PROCESS` each
  server process runs it in a thread (`make run` needs no other service).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import random
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.db import OperationalError, close_old_connections, transaction
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django_tasks import TaskResultStatus, task
from django_tasks.signals import task_finished
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult, get_date_max
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

logger = logging.getLogger(__name__)

# A failed attempt waits BACKOFF × 2^(attempt − 1), at most BACKOFF_MAX, give or take a quarter (jitter).
BACKOFF = dt.timedelta(seconds=30)
BACKOFF_MAX = dt.timedelta(hours=1)
# How often a worker looks at the schedule and for stalled jobs.
HOUSEKEEPING = dt.timedelta(seconds=15)
# Jobs a worker runs between two looks at whether it is told to stop.
BURST = 20

# A job's status as the back office reads it.
JOB_STATUS = {
    TaskResultStatus.READY: _("waiting"),
    TaskResultStatus.RUNNING: _("running"),
    TaskResultStatus.SUCCESSFUL: _("done"),
    TaskResultStatus.FAILED: _("failed"),
}

# By the job's path: the attempts it is allowed (one when not named) and its name in the back office.
_attempts: dict[str, int] = {}
_labels: dict[str, Any] = {}


def job(*, label: Any, attempts: int = 1, priority: int = 0) -> Callable[[Callable[..., Any]], Any]:
    """A function made a job (`f.enqueue(**kwargs)`, arguments in JSON), tried up to `attempts` times."""

    def declare(func: Callable[..., Any]) -> Any:
        made = task(priority=priority)(func)
        _attempts[made.module_path] = attempts
        _labels[made.module_path] = label
        return made

    return declare


def job_label(path: str) -> Any:
    """The job's name in the back office: its label, or its function's name for a job no longer in the code."""
    return _labels.get(path) or path.rpartition(".")[2]


def backoff(attempt: int) -> dt.timedelta:
    """The wait after a failed `attempt` (1 for the first)."""
    wait = min(BACKOFF * 2 ** (attempt - 1), BACKOFF_MAX)
    return wait * random.uniform(0.75, 1.25)  # noqa: S311 (jitter, not secrecy)


def _retry(*, sender: Any, task_result: Any, **kwargs: Any) -> None:
    """Receiver of `task_finished`: a failed job with attempts left is made ready again, after its backoff."""
    if task_result.status != TaskResultStatus.FAILED:
        return
    attempt = len(task_result.worker_ids)
    if attempt >= _attempts.get(task_result.task.module_path, 1):
        return
    DBTaskResult.objects.filter(pk=task_result.id, status=TaskResultStatus.FAILED).update(
        status=TaskResultStatus.READY, finished_at=None, run_after=timezone.now() + backoff(attempt)
    )
    logger.warning("job %s failed (attempt %d): run again later", task_result.task.name, attempt)


task_finished.connect(_retry, dispatch_uid="fieldsales.jobs.retry")


def enqueue_once(made: Any, **kwargs: Any) -> None:
    """Enqueue a job unless the same one already waits: work that redoes everything each time (every KPI card), asked
    for three times in a row, runs once more, not three times."""
    waiting = DBTaskResult.objects.filter(
        task_path=made.module_path, status=TaskResultStatus.READY, args_kwargs={"args": [], "kwargs": kwargs}
    )
    if not waiting.exists():
        made.enqueue(**kwargs)


# Schedules


@dataclass(frozen=True)
class Every:
    """A job run every `minutes`, on the clock (every 5 minutes: at :00, :05, …)."""

    name: str
    job: str
    minutes: int

    def last_due(self, now: dt.datetime) -> dt.datetime:
        period = self.minutes * 60
        return dt.datetime.fromtimestamp(int(now.timestamp()) // period * period, tz=dt.UTC)


@dataclass(frozen=True)
class Nightly:
    """A job run once a day at `settings.JOBS_NIGHTLY_AT` in the site's time zone, `offset` minutes after."""

    name: str
    job: str
    offset: int = 0

    def last_due(self, now: dt.datetime) -> dt.datetime:
        hours, minutes = (int(part) for part in settings.JOBS_NIGHTLY_AT.split(":"))
        local = timezone.localtime(now)
        due = local.replace(hour=hours, minute=minutes, second=0, microsecond=0) + dt.timedelta(minutes=self.offset)
        return due if due <= local else due - dt.timedelta(days=1)


SCHEDULE: tuple[Every | Nightly, ...] = (
    # Statements a provider refused, sent again when their time comes (and any whose job was lost).
    Every("statements-due", "kpis.tasks.deliver_due_statements", minutes=5),
    # Imports whose worker stopped on the way resume after their last committed batch.
    Every("imports-lost", "fieldsales.tasks.run_lost_imports", minutes=5),
    # Days since the last visit and statuses move with time: every card, nightly.
    Nightly("kpi-cards", "kpis.tasks.refresh_all_cards"),
    # The plans' days on the phones move with the day: every plan a phone holds, nightly.
    Nightly("plans-window", "workflows.tasks.move_plans_window", offset=15),
    # The results of pushed ops older than the sync contract keeps them.
    Nightly("sync-ops-prune", "fieldsales.tasks.prune_sync_ops", offset=30),
)


def schedule_due(now: dt.datetime | None = None) -> list[str]:
    """Enqueue the scheduled jobs whose time has come since their last run. A schedule seen for the first time starts
    from now (a new site does not run last night's work). Safe beside other workers: each run is enqueued by the one
    whose UPDATE moved the mark. Returns the names enqueued."""
    from django.utils.module_loading import import_string

    from fieldsales.models import ScheduleMark

    now = now or timezone.now()
    due = {entry: entry.last_due(now) for entry in SCHEDULE}
    ScheduleMark.objects.bulk_create(
        [ScheduleMark(name=entry.name, last_due=last) for entry, last in due.items()], ignore_conflicts=True
    )
    enqueued = []
    for entry, last in due.items():
        with transaction.atomic():
            if ScheduleMark.objects.filter(name=entry.name, last_due__lt=last).update(last_due=last):
                import_string(entry.job).enqueue()
                enqueued.append(entry.name)
    return enqueued


def stalled_requeue(now: dt.datetime | None = None) -> int:
    """Make ready again the jobs left running by a worker that stopped. Returns how many."""
    now = now or timezone.now()
    lost = now - dt.timedelta(minutes=settings.JOBS_STALLED_MINUTES)
    count = DBTaskResult.objects.filter(status=TaskResultStatus.RUNNING, started_at__lt=lost).update(
        status=TaskResultStatus.READY, run_after=now
    )
    if count:
        logger.warning("%d stalled jobs made ready again", count)
    return count


def lag_seconds(now: dt.datetime | None = None) -> float:
    """How long the oldest job that could run has waited: 0 when none waits."""
    now = now or timezone.now()
    never = get_date_max()
    ready = DBTaskResult.objects.ready()
    since = [
        ready.filter(run_after=never).aggregate(oldest=Min("enqueued_at"))["oldest"],
        ready.exclude(run_after=never).aggregate(oldest=Min("run_after"))["oldest"],
    ]
    return max([0.0, *((now - moment).total_seconds() for moment in since if moment is not None)])


# Workers


def worker_id() -> str:
    return f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident() % 10_000}"[:64]


def run_ready(*, limit: int | None = None) -> int:
    """Run the jobs ready now, here, one at a time, until none is left (or `limit` ran). Returns how many ran. Each is
    taken in a transaction of its own (SKIP LOCKED; on SQLite, exclusive), then run by django-tasks-db's worker."""
    worker = Worker(
        queue_names=["*"],
        interval=0,
        batch=True,
        backend_name="default",
        startup_delay=False,
        max_tasks=None,
        worker_id=worker_id(),
        excluded_queue_names=[],
    )
    ran = 0
    while limit is None or ran < limit:
        try:
            with exclusive_transaction():
                row = DBTaskResult.objects.ready().get_locked()
                if row is None:
                    break
                row.claim(worker.worker_id)
        except OperationalError as error:
            if is_locked_database_exception(error):
                break  # SQLite's one writer is busy: at the next poll
            raise
        worker.run_task(row)
        ran += 1
    return ran


def work(stop: threading.Event, *, poll: float | None = None) -> None:
    """Run jobs until `stop` is set: the ready ones, then the schedule and stalled jobs every HOUSEKEEPING, waiting
    `poll` seconds when idle. A failure of the database is logged and tried again at the next poll."""
    poll = settings.JOBS_POLL_SECONDS if poll is None else poll
    housekept: dt.datetime | None = None
    while not stop.is_set():
        try:
            now = timezone.now()
            if housekept is None or now - housekept >= HOUSEKEEPING:
                schedule_due(now)
                stalled_requeue(now)
                housekept = now
            if run_ready(limit=BURST) == BURST:
                continue  # more may be ready: no wait, but `stop` is looked at between bursts
        except Exception:
            logger.exception("job worker")
        finally:
            close_old_connections()
        stop.wait(poll)


def start_in_process(*, poll: float | None = None) -> Callable[[], None]:
    """Start `work` in a daemon thread of this process. Returns what stops it (after the job it is running)."""
    stop = threading.Event()
    thread = threading.Thread(target=work, args=(stop,), kwargs={"poll": poll}, name="fieldsales-jobs", daemon=True)
    thread.start()

    def stopped() -> None:
        stop.set()
        thread.join()

    return stopped

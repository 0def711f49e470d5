"""Waiting for a job that a worker thread runs (fieldsales/jobs.py): told by django-tasks' `task_finished`, not
found by polling."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from django_tasks import TaskResultStatus
from django_tasks.signals import task_finished


@contextmanager
def job_done(made: Any) -> Iterator[threading.Event]:
    """An event set once a job of `made` (a job function) has run successfully, from now on."""
    done = threading.Event()

    def seen(*, task_result: Any, **kwargs: Any) -> None:
        if task_result.task.module_path == made.module_path and task_result.status == TaskResultStatus.SUCCESSFUL:
            done.set()

    uid = f"tests.jobs.job_done.{id(done)}"
    task_finished.connect(seen, dispatch_uid=uid, weak=False)
    try:
        yield done
    finally:
        task_finished.disconnect(dispatch_uid=uid)

"""Work that follows a request without making it wait: run in a thread once the request's transaction commits.

What runs here is always made up for by a command (`deliver_statements --loop`, the daily `refresh_kpi_cards`), so a
thread lost with its process loses nothing. `BACKGROUND_THREADS` off (the tests) leaves it to those commands.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

from django.conf import settings
from django.db import close_old_connections, transaction

logger = logging.getLogger(__name__)


def _run(func: Callable[[], object]) -> None:
    try:
        func()
    except Exception:  # its command tries again; nothing is lost
        logger.exception("background %s", getattr(func, "__name__", func))
    finally:
        close_old_connections()


def after_commit_in_thread(func: Callable[[], object]) -> None:
    if settings.BACKGROUND_THREADS:
        transaction.on_commit(lambda: threading.Thread(target=_run, args=(func,), daemon=True).start())


# The work `after_commit_in_one_thread` runs now, each with whether it was asked for again meanwhile.
_again: dict[Callable[[], object], bool] = {}
_again_lock = threading.Lock()


def after_commit_in_one_thread(func: Callable[[], object]) -> None:
    """`after_commit_in_thread` for work that redoes everything each time (every KPI card): asked for while it runs,
    it runs once more when it ends, instead of in one more thread beside it (three saves in a row were three
    recomputes of every card at once, each slowing the admin further)."""
    if settings.BACKGROUND_THREADS:
        transaction.on_commit(lambda: _start_once(func))


def _start_once(func: Callable[[], object]) -> None:
    with _again_lock:
        if func in _again:
            _again[func] = True
            return
        _again[func] = False
    threading.Thread(target=_run_until_done, args=(func,), daemon=True).start()


def _run_until_done(func: Callable[[], object]) -> None:
    while True:
        _run(func)
        with _again_lock:
            if not _again[func]:
                del _again[func]
                return
            _again[func] = False

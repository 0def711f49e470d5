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

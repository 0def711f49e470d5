"""Work done after the request: a recompute of everything asked for again while it runs runs once more after it,
in the same thread, never twice at once."""

from __future__ import annotations

import threading

from fieldsales import background

WAIT = 30


def test_work_asked_for_while_it_runs_runs_once_more_after_it_not_beside_it(settings, monkeypatch):
    settings.BACKGROUND_THREADS = True
    threads: list[threading.Thread] = []

    class Recorded(threading.Thread):
        def start(self) -> None:
            threads.append(self)
            super().start()

    monkeypatch.setattr(background.threading, "Thread", Recorded)
    started, release, runs = threading.Semaphore(0), threading.Event(), []

    def work() -> None:
        runs.append(len(runs))
        started.release()
        assert release.wait(WAIT)

    background._start_once(work)
    assert started.acquire(timeout=WAIT)
    background._start_once(work)  # asked for twice while it runs: one more run, no second thread
    background._start_once(work)
    release.set()
    threads[0].join(WAIT)
    assert (len(threads), runs, threads[0].is_alive()) == (1, [0, 1], False)
    assert work not in background._again

    background._start_once(work)  # done: asked for again, it runs again
    threads[-1].join(WAIT)
    assert (len(threads), runs) == (2, [0, 1, 2])

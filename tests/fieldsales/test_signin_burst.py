"""Fifty reps sign in at the same moment (the morning meeting ends), against a node of its own whose pool has 3
connections, with production's password hasher (PBKDF2, about 0.2 s of CPU each): nobody gets a server error, and
everyone is signed in. A request that waits too long for a connection would be answered 503 with Retry-After, which
the sign-in page's user (or the app) sends again after; before the fix, 5 to 11 of them got 500 after 30 s."""

from __future__ import annotations

import statistics
import threading
import time
from collections.abc import Iterator
from typing import Any

import pytest

from tests.factories import RepFactory
from tests.servers import Node, exchange, node_environment, production_passwords, sign_in_attempt, start_node

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

REPS = 50


@pytest.fixture
def node(transactional_db: None) -> Iterator[Node]:
    started = start_node("a", node_environment(DB_POOL_MAX="3", DB_POOL_MIN="1", DB_POOL_TIMEOUT="10"), workers=1)
    yield started
    started.stop()


def signed_in(address: tuple[str, int], username: str) -> tuple[list[int], float]:
    """The statuses of every POST of the sign-in form until one signs in (a 503 sent again after its Retry-After),
    and how long the successful one took."""
    statuses = []
    while True:
        answer, _cookies, seconds = sign_in_attempt(address, username)
        statuses.append(answer.status)
        if answer.status != 503 or len(statuses) == 5:
            return statuses, seconds
        threading.Event().wait(float(answer.headers["Retry-After"]))


def test_fifty_reps_signing_in_at_once_are_all_signed_in_without_a_server_error(node):
    reps = [RepFactory(username=f"rep{number:02d}") for number in range(REPS)]
    production_passwords(*reps)
    exchange(node.address, "GET", "/health/ready")  # the node has started
    barrier = threading.Barrier(REPS)
    results: dict[str, Any] = {}

    def one(username: str) -> None:
        barrier.wait()
        results[username] = signed_in(node.address, username)

    threads = [threading.Thread(target=one, args=(rep.username,)) for rep in reps]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(120)
    seconds = time.perf_counter() - started

    statuses = [status for sent, _ in results.values() for status in sent]
    durations = sorted(took for _, took in results.values())
    print(
        f"\n{REPS} sign-ins at once, pool of 3, PBKDF2: all done in {seconds:.1f} s, each p50 "
        f"{statistics.median(durations):.2f} s, max {durations[-1]:.2f} s; 503s sent again: {statuses.count(503)}"
    )
    assert len(results) == REPS
    assert 500 not in statuses
    assert [sent[-1] for sent, _ in results.values()] == [302] * REPS

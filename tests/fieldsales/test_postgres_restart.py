"""PostgreSQL restarted under load: a node keeps answering (503 with Retry-After while the database is away, never
500), and is back as soon as the database is, its pool's dead connections replaced; every op a phone sent is applied
once. On a PostgreSQL server of the test's own (initdb on a temporary directory, the test database copied into it),
restarted with `pg_ctl restart`: the shared server of the other tests is left alone."""

from __future__ import annotations

import glob
import json
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

from tests.factories import RepFactory, make_client, make_pos_list, reps_may_edit
from tests.servers import Node, exchange, node_environment, production_passwords, sign_in, start_node, wait_until
from tests.sync.conftest import new_id, op

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

BINARIES = sorted(glob.glob("/usr/lib/postgresql/*/bin"))
PHONES = 4


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@dataclass
class Server:
    """A PostgreSQL server of the test's own; `run` runs its programs as the user that owns its files."""

    bin: Path
    data: Path
    port: int
    user: list[str] = field(default_factory=list)

    def run(self, program: str, *args: str, **kwargs: Any) -> subprocess.CompletedProcess[bytes]:
        return subprocess.run([*self.user, str(self.bin / program), *args], check=True, capture_output=True, **kwargs)

    def ctl(self, *args: str) -> None:
        options = f"-p {self.port} -k {self.data} -c listen_addresses=127.0.0.1 -c fsync=off"
        self.run("pg_ctl", "-D", str(self.data / "db"), "-o", options, "-l", str(self.data / "log"), "-w", *args)


@pytest.fixture
def postgres(transactional_db: None) -> Iterator[Server]:
    if not BINARIES:
        pytest.skip("no PostgreSQL server programs (apt-get install postgresql); CI installs them")
    data = Path(tempfile.mkdtemp(prefix="fieldsales-pg-"))
    server = Server(Path(BINARIES[-1]), data, free_port())
    if os.geteuid() == 0:  # PostgreSQL refuses to run as root
        owner = pwd.getpwnam("postgres")
        os.chown(data, owner.pw_uid, owner.pw_gid)
        server.user = ["runuser", "-u", "postgres", "--"]
    server.run("initdb", "-D", str(data / "db"), "-A", "trust", "-U", "postgres", "--no-sync")
    server.ctl("start")
    try:
        yield server
    finally:
        server.ctl("stop", "-m", "immediate")
        shutil.rmtree(data, ignore_errors=True)


def copy_test_database(server: Server) -> str:
    """The test database, as it is now, in the test's own server."""
    database = connection.settings_dict
    dump = subprocess.run(
        ["pg_dump", "--no-owner", "-h", database["HOST"], "-p", str(database["PORT"]), "-U", database["USER"],
         database["NAME"]],
        check=True,
        capture_output=True,
    ).stdout  # fmt: skip
    address = ["-h", "127.0.0.1", "-p", str(server.port), "-U", "postgres"]
    subprocess.run(["createdb", *address, "fieldsales"], check=True)
    subprocess.run(["psql", *address, "-q", "-v", "ON_ERROR_STOP=1", "fieldsales"], input=dump, check=True,
                   capture_output=True)  # fmt: skip
    return f"postgres://postgres@127.0.0.1:{server.port}/fieldsales"


@dataclass
class Record:
    sent: float
    answered: float
    status: int


def test_a_node_answers_503_not_500_while_postgresql_restarts_and_is_back_at_once(postgres):
    rep = RepFactory(username="awa")
    shop = make_client(reps_may_edit(make_pos_list()), user=rep, reps=(rep,))
    production_passwords(rep)
    url = copy_test_database(postgres)
    node: Node = start_node("a", node_environment(DATABASE_URL=url, DB_POOL_MAX="4", DB_POOL_TIMEOUT="3"), workers=1)
    records: list[Record] = []
    sent: list[str] = []
    stop = threading.Event()
    threads: list[threading.Thread] = []
    try:
        cookies = sign_in(node.address, "awa")
        headers = {
            "Cookie": "; ".join(f"{name}={value}" for name, value in cookies.items()),
            "X-CSRFToken": cookies["csrftoken"],
            "Content-Type": "application/json",
        }

        def phone() -> None:
            """Pushes a note at a time, each sent again until answered 200 (as the app's outbox does)."""
            device = new_id()
            while not stop.is_set():
                note = op("note.create", data={"client": str(shop.pk), "text": "Stock bas"})
                body = json.dumps({"device": device, "ops": [note]}).encode()
                while True:
                    started = time.monotonic()
                    answer = exchange(node.address, "POST", "/api/sync/push", body, headers)
                    records.append(Record(started, time.monotonic(), answer.status))
                    if answer.status == 200:
                        sent.append(note["op_id"])
                        break
                    threading.Event().wait(0.05)  # the app waits Retry-After; a test waits less

        def balancer() -> None:
            while not stop.is_set():
                exchange(node.address, "GET", "/health/ready")
                threading.Event().wait(0.25)

        threads += [threading.Thread(target=phone) for _ in range(PHONES)] + [threading.Thread(target=balancer)]
        for thread in threads:
            thread.start()
        wait_until(lambda: len(sent) >= 20)  # under load
        restart_began = time.monotonic()
        postgres.ctl("restart", "-m", "fast")
        back = time.monotonic()
        wait_until(lambda: any(record.sent > back and record.status == 200 for record in records))
        first_200 = min(record.answered for record in records if record.sent > back and record.status == 200)
        count = len(sent)
        wait_until(lambda: len(sent) >= count + 40)  # and after it
    finally:
        stop.set()  # the phones stop, whatever failed
        for thread in threads:
            thread.join(60)
        node.stop()

    statuses = [record.status for record in records]
    after = [record.status for record in records if record.sent > first_200]  # sent once it was back
    print(
        f"\nPostgreSQL restarted under {PHONES} phones' pushes: restart {back - restart_began:.2f} s, first push "
        f"applied {first_200 - back:.2f} s after it was back; answers: {statuses.count(200)} × 200, "
        f"{statuses.count(503)} × 503, {len(statuses) - statuses.count(200) - statuses.count(503)} other"
    )
    assert set(statuses) <= {200, 503}
    assert set(after) == {200}
    assert first_200 - back < 5
    stored = subprocess.run(
        ["psql", "-h", "127.0.0.1", "-p", str(postgres.port), "-U", "postgres", "-tAq", "fieldsales", "-c",
         "SELECT (SELECT count(DISTINCT op_id) FROM fieldsales_syncop), (SELECT count(*) FROM workflows_note)"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    assert stored == f"{len(sent)}|{len(sent)}"  # every note applied, once

"""Two app nodes behind a real reverse proxy, as a company that outgrew one server runs FieldSales: each node is
`uvicorn` with two worker processes and its job worker threads, on its own port; HAProxy (Debian's) sends to node A
and, once its readiness probe fails, to node B; both share PostgreSQL, Redis and an S3 store (moto's, on loopback).

A rep's phone pushes through the proxy while a supervisor's board is connected to node B: the board sees the visit
node A applied. A photo uploaded through node A is served by node B. Node A is killed in the middle of a push: the
phone, retrying through the proxy, ends with every op applied once.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.request import urlopen

import boto3
import pytest
from django.db import connection, transaction
from django.utils import timezone
from moto.server import ThreadedMotoServer
from websockets.sync.client import connect

from clients.models import Client
from fieldsales.models import Blob, Job, Profile, SyncOp
from kpis.tasks import refresh_cards
from tests.factories import (
    RepFactory,
    SupervisorFactory,
    make_client,
    make_pos_list,
    make_visit_workflow,
    reps_may_edit,
)
from tests.servers import (
    STOPS_S,
    Answer,
    Node,
    exchange,
    listening_socket,
    node_environment,
    production_passwords,
    sign_in,
    start_node,
    wait_until,
)
from tests.sockets import redis_reachable
from tests.sync.conftest import new_id, op
from tests.sync.test_blobs import jpeg_bytes
from tests.sync.test_push import checkin_data
from workflows.models import Note, Visit

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]

HAPROXY = shutil.which("haproxy") or shutil.which("haproxy", path="/usr/sbin")
BUCKET = "fieldsales-two-nodes"
KEYS = {"aws_access_key_id": "test-key", "aws_secret_access_key": "test-secret", "region_name": "us-east-1"}
# The channel layer of the nodes: a Redis database of their own, so that no other test's messages reach them.
REDIS_DB = 9


def haproxy_config(front: socket.socket, a: Node, b: Node) -> str:
    """A sends everything while its readiness probe passes; B, the backup, takes over. A connection refused is
    dispatched again to the server that is up; a request already sent is not (the phone sends it again)."""
    (host_a, port_a), (host_b, port_b) = a.address, b.address
    return f"""
global
    maxconn 256
defaults
    mode http
    timeout connect 2s
    timeout client 60s
    timeout server 60s
    timeout tunnel 1h
    timeout check 10s
    retries 3
    option redispatch
    retry-on conn-failure
frontend phones
    bind fd@{front.fileno()}
    default_backend nodes
backend nodes
    option httpchk GET /health/ready
    http-check expect status 200
    http-response set-header X-Node %[srv_name]
    server a {host_a}:{port_a} check inter 300ms fall 1 rise 2
    server b {host_b}:{port_b} check inter 300ms fall 1 rise 2 backup
"""


@dataclass
class Cluster:
    a: Node
    b: Node
    proxy: tuple[str, int]


@pytest.fixture
def s3_store() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    boto3.client("s3", endpoint_url=endpoint, **KEYS).create_bucket(Bucket=BUCKET)
    yield endpoint
    server.stop()


@pytest.fixture
def cluster(transactional_db: None, s3_store: str, tmp_path: Path) -> Iterator[Cluster]:
    if HAPROXY is None:
        pytest.skip("no haproxy (apt-get install haproxy); CI installs it")
    if not redis_reachable():
        pytest.skip("no Redis; CI runs one")
    env = node_environment(
        REDIS_URL=f"redis://127.0.0.1:6379/{REDIS_DB}",
        S3_BUCKET=BUCKET,
        S3_ENDPOINT_URL=s3_store,
        S3_REGION=KEYS["region_name"],
        S3_ACCESS_KEY=KEYS["aws_access_key_id"],
        S3_SECRET_KEY=KEYS["aws_secret_access_key"],
        MEDIA_ROOT=str(tmp_path / "not-used"),
        JOBS_IN_PROCESS="true",
        JOBS_POLL_SECONDS="0.2",
    )
    a, b = start_node("a", env), start_node("b", env)
    front = listening_socket()
    config = tmp_path / "haproxy.cfg"
    config.write_text(haproxy_config(front, a, b))
    proxy = subprocess.Popen(
        [HAPROXY, "-db", "-f", str(config)],
        stdout=(tmp_path / "haproxy.log").open("wb"),  # which server went down, and why
        stderr=subprocess.STDOUT,
        env={"PATH": os.environ["PATH"]},
        pass_fds=(front.fileno(),),
        start_new_session=True,
    )
    address = front.getsockname()[:2]
    front.close()
    try:
        yield Cluster(a, b, address)
    finally:
        for node in (Node("proxy", address, proxy), a, b):
            node.stop()


@pytest.fixture
def team(transactional_db: None) -> dict[str, Any]:
    pos_list = reps_may_edit(make_pos_list())
    bintou = SupervisorFactory(username="bintou")
    awa = RepFactory(username="awa", first_name="Awa", last_name="Koné")
    Profile.objects.create(user=awa, supervisor=bintou)
    shop = make_client(pos_list, user=bintou, reps=(awa,), name="Épicerie Chez Awa")
    production_passwords(bintou, awa)
    return {"bintou": bintou, "awa": awa, "shop": shop, **make_visit_workflow()}


@dataclass
class Phone:
    """The rep's phone: its session through the proxy, and its push sent again, word for word, until answered."""

    server: tuple[str, int]
    cookies: dict[str, str]
    device: str = ""

    def headers(self, **more: str) -> dict[str, str]:
        cookie = "; ".join(f"{name}={value}" for name, value in self.cookies.items())
        return {"Cookie": cookie, "X-CSRFToken": self.cookies["csrftoken"], **more}

    def push_once(self, ops: list[dict[str, Any]]) -> Answer:
        body = json.dumps({"device": self.device or new_id(), "ops": ops}).encode()
        return exchange(
            self.server, "POST", "/api/sync/push", body, self.headers(**{"Content-Type": "application/json"})
        )

    def push(self, ops: list[dict[str, Any]], attempts: int = 20) -> tuple[Answer, int]:
        """Sends until an answer other than the proxy's 502/503 comes, as the app's outbox does (waiting more each
        time); returns it and how many sends it took."""
        self.device = self.device or new_id()
        for attempt in range(1, attempts + 1):
            try:
                answer = self.push_once(ops)
            except (ConnectionError, OSError):
                answer = None
            if answer is not None and answer.status not in (502, 503, 504):
                return answer, attempt
            threading.Event().wait(0.1 * attempt)  # the app's backoff, shortened
        raise AssertionError(f"no answer after {attempts} sends: {answer and (answer.status, answer.body[:300])}")


def waiting_on_a_lock() -> bool:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'"
        )
        return cursor.fetchone()[0] > 0


def test_two_nodes_behind_a_proxy_share_everything_and_a_node_killed_mid_push_loses_nothing(cluster, team, s3_store):
    phone = Phone(cluster.proxy, sign_in(cluster.proxy, "awa"))
    board_cookies = sign_in(cluster.b.address, "bintou")
    host_b, port_b = cluster.b.address

    # The supervisor's board, on node B.
    with connect(
        f"ws://{host_b}:{port_b}/ws/board/",
        additional_headers={
            "Cookie": f"sessionid={board_cookies['sessionid']}",
            "Origin": f"http://{host_b}:{port_b}",
        },
        open_timeout=STOPS_S,
    ) as board:
        now = timezone.now().isoformat()  # the board shows today's visits
        checkin = op("visit.checkin", data=checkin_data(team["shop"], team["workflow"]), made_at=now)
        answer, sends = phone.push([checkin])
        assert (answer.status, sends, answer.headers["X-Node"]) == (200, 1, "a")
        message = json.loads(board.recv(timeout=STOPS_S))
        assert message["type"] == "visits"
        assert [(visit["id"], visit["client_name"]) for visit in message["visits"]] == [
            (checkin["entity_id"], "Épicerie Chez Awa")
        ]

    # A photo uploaded through node A, served by node B (from the shared store, by a signed URL).
    photo_id = new_id()
    uploaded = exchange(
        cluster.proxy,
        "PUT",
        f"/api/sync/blobs/{photo_id}",
        jpeg_bytes(),
        phone.headers(**{"Content-Type": "image/jpeg"}),
    )
    assert (uploaded.status, uploaded.headers["X-Node"]) == (201, "a")
    rep_on_b = Phone(cluster.b.address, phone.cookies)
    served = exchange(cluster.b.address, "GET", f"/api/sync/blobs/{photo_id}", headers=rep_on_b.headers())
    assert served.status == 302
    in_bucket = (
        boto3.client("s3", endpoint_url=s3_store, **KEYS)
        .get_object(Bucket=BUCKET, Key=Blob.objects.get(pk=photo_id).file.name)["Body"]
        .read()
    )
    with urlopen(served.headers["Location"]) as stored:  # noqa: S310 (the test's own S3 server)
        assert stored.read() == in_bucket

    # Node A is killed while its push waits for a client row the back office holds.
    ops = [
        op("client.update", str(team["shop"].pk), {"name": "Épicerie Chez Awa (2)"}, base_version=team["shop"].version),
        *(op("note.create", data={"client": str(team["shop"].pk), "text": f"Note {number}"}) for number in range(20)),
    ]
    answers: list[tuple[Answer, int]] = []
    with transaction.atomic():
        Client.objects.select_for_update().get(pk=team["shop"].pk)
        pushing = threading.Thread(target=lambda: answers.append(phone.push(ops)))
        pushing.start()
        wait_until(waiting_on_a_lock)
        cluster.a.kill()
    pushing.join(60)

    [(answer, sends)] = answers
    assert answer.status == 200 and sends >= 2
    assert answer.headers["X-Node"] == "b"
    assert [result["status"] for result in json.loads(answer.body)["results"]] == ["applied"] * 21
    team["shop"].refresh_from_db()
    assert (team["shop"].name, team["shop"].version) == ("Épicerie Chez Awa (2)", 2)
    assert Note.objects.filter(client=team["shop"]).count() == 20
    assert SyncOp.objects.filter(op_id__in=[sent["op_id"] for sent in ops]).count() == 21

    # Sent once more (the phone never heard the answer): every op is a duplicate, nothing is applied twice.
    again, _ = phone.push(ops)
    assert {result["status"] for result in json.loads(again.body)["results"]} == {"duplicate"}
    assert Note.objects.filter(client=team["shop"]).count() == 20
    assert Visit.objects.count() == 1

    # The KPI card jobs of both pushes, run by the nodes' workers: each once.
    jobs = Job.objects.filter(task_path=refresh_cards.module_path)
    wait_until(lambda: set(jobs.values_list("status", flat=True)) == {"SUCCESSFUL"})
    assert jobs.exists() and all(len(job.worker_ids) == 1 for job in jobs)

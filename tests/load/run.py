"""Load test: `make load` (or `python -m tests.load.run`).

100 reps' apps (tests/load/locustfile.py, run by Locust) against the server started as production starts it,
`make serve`: HTTPS with a throwaway self-signed certificate, DEBUG off, uvicorn's workers. On a throwaway PostgreSQL
database, DATABASE_URL's (default postgres://postgres@127.0.0.1:5432/fieldsales_load; its name must start with
fieldsales_load, as it is dropped afterwards), seeded with the demo's list, workflows, products and KPIs and 100 reps
of 50 clients each, every client with six months of visits, orders and ledger and its KPI card.

Prints, per endpoint, the requests, failures, p50, p95, p99 and requests/s of the run, with a baseline measured in the
same run: the p50 of one rep alone, its actions back to back. Then every failure, the errors the server logged, and
the visits written against the pushes answered. Exits 1 if any request failed, the server logged an error, or the
visits written and the pushes applied differ (goal: 0 errors).

With --capacity, the capacity test instead: reps whose day is compressed in time (tests/load/locustfile.py
`PacedRep`: a sync every 3 minutes and 10 visits in an 8-hour day, --compression times faster), in steps of more and
more reps, each step's figures taken once all its reps have signed in. Prints, for one rep alone (a visit at every
sync, for the push's baseline) and for each step, the p50 and p95 of the pull and the push; the capacity is the most
reps of a step whose pull and push p95 stay under 300 ms without a failure, and the real reps that many compressed
ones stand for (times the compression).
"""

from __future__ import annotations

import argparse
import datetime as dt
import ipaddress
import json
import multiprocessing
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass, field, replace
from decimal import Decimal
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from tests.bench.throwaway import on_throwaway_db

BASE_DIR = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
DEFAULT_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/fieldsales_load"
DATABASE_PREFIX = "fieldsales_load"
REPS = 100
CLIENTS_PER_REP = 50
USERNAME = "loadrep{:03d}"
SPAWN_RATE = 20
DURATION = "60s"
BASELINE_DURATION = "15s"
# `make serve` checks the deployment, migrates and collects the static files before it listens.
SERVER_START_TIMEOUT = 300
# After the run's time is up, a rep finishes the action it is in (a push and its pull) before it stops.
STOP_TIMEOUT = 30
# Django's log of a 500, uvicorn's access log of a 5xx, uvicorn replacing a worker that died or did not answer its
# health check in time (its requests in flight lost).
SERVER_ERROR = re.compile(r"Internal Server Error|\bERROR\b|\" 5\d\d |Child process \[\d+\] died")
PID = re.compile(r"\[\d+\]")
QUERY = re.compile(r"\?[^ ]+")
CHAINED = ("During handling of the above exception", "The above exception was the direct cause")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
# The locustfile's names of the push and the pull (not imported: importing Locust patches this process for gevent).
PUSH = "POST /api/sync/push (visit with order)"
PULL = "GET /api/sync/pull (since cursor)"
# The capacity test: a real rep syncs every 3 minutes and makes 10 visits in an 8-hour day; steps of reps; each
# step's run time once its reps have signed in; the goal of the pull's and the push's p95.
SYNC_EVERY_S = 180
VISIT_EVERY_S = 8 * 3600 / 10
COMPRESSION = 60
CAPACITY_STEPS = (10, 20, 30, 40, 50, 60, 80, 100)
STEP_DURATION = "60s"
GOAL_P95_MS = 300


@dataclass
class Stats:
    """One Locust run's figures (the locustfile's report): by endpoint name and in total (requests, failures, p50,
    p95, p99, max in ms, rps), its failures and the exceptions its users raised."""

    endpoints: dict[str, dict[str, Any]]
    total: dict[str, Any]
    failures: list[dict[str, Any]]
    exceptions: list[dict[str, Any]]
    cpu_peak: float | None  # Locust's own process, % of a core
    log: str

    def count(self, name: str, figure: str) -> int:
        return int(self.endpoints.get(name, {}).get(figure) or 0)


@dataclass
class Server:
    process: subprocess.Popen[bytes]
    url: str
    log: Path
    errors: list[str] = field(default_factory=list)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=REPS, help="simulated reps (at most the seeded %(default)s)")
    parser.add_argument("--duration", default=DURATION, help="Locust's run time (default %(default)s)")
    parser.add_argument("--capacity", action="store_true", help="the most reps 2 cores hold (p95 under 300 ms)")
    parser.add_argument(
        "--compression", type=float, default=COMPRESSION, help="how much faster a rep's day runs (%(default)s)"
    )
    options = parser.parse_args()
    if not 1 <= options.users <= REPS:
        parser.error(f"--users must be from 1 to {REPS}")
    url = os.environ.setdefault("DATABASE_URL", DEFAULT_DATABASE_URL)
    parsed = urlsplit(url)
    database = parsed.path.lstrip("/")
    if not parsed.scheme.startswith("postgres") or not database.startswith(DATABASE_PREFIX):
        sys.exit(
            f"DATABASE_URL must name a PostgreSQL database whose name starts with {DATABASE_PREFIX} "
            f"(the load test creates it and drops it): {url}"
        )
    outcome: list[bool] = []
    test = (
        (lambda: outcome.append(capacity(url, options.compression)))
        if options.capacity
        else (lambda: outcome.append(run(url, options.users, options.duration)))
    )
    on_throwaway_db(test, "fieldsales-load", database=database)
    sys.exit(0 if outcome and outcome[0] else 1)


def run(database_url: str, users: int, duration: str) -> bool:
    password = secrets.token_urlsafe(16)
    print(f"FieldSales load test: {users} reps' apps for {duration}, {CLIENTS_PER_REP} clients each", flush=True)
    started = time.perf_counter()
    seeded = seed(password)
    print(f"  setup: {time.perf_counter() - started:.1f} s ({seeded})", flush=True)
    visits_before = visit_count()
    # The certificate, and the server's and Locust's logs: kept when the run fails.
    workdir = Path(tempfile.mkdtemp(prefix="fieldsales-load-"))
    certfile, keyfile = self_signed_certificate(workdir)
    server = start_server(database_url, certfile, keyfile, workdir / "server.log")
    try:
        started = time.perf_counter()
        wait_until_up(server, certfile)
        workers = os.environ.get("WORKERS", "its default")
        print(
            f"  make serve (WORKERS {workers}) answering on {server.url} after {time.perf_counter() - started:.1f} s",
            flush=True,
        )
        locust_env = {**os.environ, "LOAD_USERNAME": USERNAME, "LOAD_PASSWORD": password, "PYTHONPATH": str(BASE_DIR)}
        alone = {**locust_env, "LOAD_WAIT": "0,0"}
        baseline = run_locust(server.url, workdir / "baseline", 1, 1, BASELINE_DURATION, alone)
        print(f"  baseline: one rep alone, {BASELINE_DURATION} back to back", flush=True)
        load = run_locust(server.url, workdir / "load", users, SPAWN_RATE, duration, locust_env)
    finally:
        stop_server(server)
    visits_written = visit_count() - visits_before
    print_table(load, baseline, users, duration)
    passed = print_outcome(load, baseline, server, visits_written)
    if passed:
        shutil.rmtree(workdir)
    else:
        print(f"logs kept in {workdir}")
    return passed


def capacity(database_url: str, compression: float) -> bool:
    """The capacity test (--capacity): one paced rep alone, then steps of more, until a step misses the goal."""
    password = secrets.token_urlsafe(16)
    print(
        f"FieldSales capacity test: reps' days {compression:g} times faster (a sync every "
        f"{SYNC_EVERY_S / compression:.1f} s, a visit every {VISIT_EVERY_S / compression:.0f} s), steps of "
        f"{', '.join(map(str, CAPACITY_STEPS))} reps, {STEP_DURATION} each; goal: pull and push p95 < {GOAL_P95_MS} ms",
        flush=True,
    )
    started = time.perf_counter()
    seeded = seed(password)
    print(f"  setup: {time.perf_counter() - started:.1f} s ({seeded})", flush=True)
    workdir = Path(tempfile.mkdtemp(prefix="fieldsales-capacity-"))
    certfile, keyfile = self_signed_certificate(workdir)
    server = start_server(database_url, certfile, keyfile, workdir / "server.log")
    paced = {
        **os.environ,
        "LOAD_USERNAME": USERNAME,
        "LOAD_PASSWORD": password,
        "PYTHONPATH": str(BASE_DIR),
        "LOAD_PACE_SYNC": str(SYNC_EVERY_S / compression),
        "LOAD_PACE_VISIT": str(VISIT_EVERY_S / compression),
    }
    held, steps = 0, []
    try:
        wait_until_up(server, certfile)
        for users in (1, *CAPACITY_STEPS):
            each = {**paced, "LOAD_PACE_USERS": str(users)}
            if users == 1:  # one rep alone, a visit at every sync: the baseline of the push too
                each["LOAD_PACE_VISIT"] = each["LOAD_PACE_SYNC"]
            stats = run_locust(
                server.url, workdir / f"step-{users}", users, SPAWN_RATE, STEP_DURATION, each, "PacedRep"
            )
            steps.append((users, stats))
            if users == 1:
                continue
            if not within_goal(stats):
                break
            held = users
    finally:
        stop_server(server)
    print_capacity(steps, held, compression, server)
    return not server.errors


def within_goal(stats: Stats) -> bool:
    return stats.total["failures"] == 0 and all(
        (stats.endpoints.get(name, {}).get("p95") or 0) < GOAL_P95_MS for name in (PULL, PUSH)
    )


def print_capacity(steps: list[tuple[int, Stats]], held: int, compression: float, server: Server) -> None:
    print(f"\n{'reps':>5}  {'pull p50':>8}  {'pull p95':>8}  {'push p50':>8}  {'push p95':>8}  {'req/s':>6}  failures")
    for users, stats in steps:
        pull, push = stats.endpoints.get(PULL, {}), stats.endpoints.get(PUSH, {})
        print(
            f"{users:>5}  {pull.get('p50') or 0:>8.0f}  {pull.get('p95') or 0:>8.0f}  {push.get('p50') or 0:>8.0f}  "
            f"{push.get('p95') or 0:>8.0f}  {stats.total['rps']:>6.1f}  {stats.total['failures']}"
        )
        for row in stats.failures:
            print(f"       {row['occurrences']} x {row['name']}: {row['error']}")
    reached = "" if held < CAPACITY_STEPS[-1] else " (every step held: at least)"
    print(
        f"capacity: {held} reps at {compression:g}x{reached}, the load of {held * compression:.0f} reps' real days "
        f"(goal: pull and push p95 < {GOAL_P95_MS} ms); the first line is one rep alone"
    )
    print(f"server log: {len(server.errors)} error lines (goal: 0)")
    for line, count in Counter(server.errors).most_common(10):
        print(f"  {count} x {line[:300]}")


# -- The data ---------------------------------------------------------------------------------------------------


def seed(password: str) -> str:
    """The demo's list, workflows, products and KPIs (seed_demo's own pieces), then REPS reps with one password and
    CLIENTS_PER_REP clients each, every client with seed_demo's six months of history, and the reps' monthly
    targets, sync feeds and KPI cards."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password
    from django.contrib.auth.models import Group
    from django.db import connection, transaction

    from clients.models import Assignment
    from fieldsales.accounts import REPS as REPS_GROUP
    from fieldsales.demo.clients import build_client
    from fieldsales.demo.data import FIRST_NAMES, LAST_NAMES
    from fieldsales.demo.history import build_history
    from fieldsales.demo.identity import demo_random
    from fieldsales.demo.kpis import seed_targets
    from fieldsales.demo.reference import seed_reference_data
    from fieldsales.demo.rows import CHUNK, Batch, SalesByRepMonth
    from fieldsales.demo.users import seed_users
    from fieldsales.models import Profile
    from fieldsales.sync.feed import refresh_reps
    from kpis.models import KpiCard
    from workflows.models import OrderLine, Visit

    user_model = get_user_model()
    laps: list[str] = []
    lap_started = time.perf_counter()

    def lap(name: str) -> None:
        nonlocal lap_started
        laps.append(f"{name} {time.perf_counter() - lap_started:.0f} s")
        lap_started = time.perf_counter()

    with transaction.atomic():
        demo_users = seed_users(password)
        demo = seed_reference_data(demo_users)
        encoded = make_password(password)  # one hash for all: PBKDF2 is slow on purpose
        names = demo_random("load-reps", 0)
        reps = user_model.objects.bulk_create(
            user_model(
                username=USERNAME.format(number),
                first_name=names.choice(FIRST_NAMES),
                last_name=names.choice(LAST_NAMES),
                email=f"{USERNAME.format(number)}@fieldsales.example",
                password=encoded,
            )
            for number in range(1, REPS + 1)
        )
        group = Group.objects.get(name=REPS_GROUP)
        user_model.groups.through.objects.bulk_create(
            user_model.groups.through(user_id=rep.pk, group_id=group.pk) for rep in reps
        )
        Profile.objects.bulk_create(Profile(user=rep, supervisor=demo_users["sup1"]) for rep in reps)
        sales: SalesByRepMonth = defaultdict(Decimal)
        clients_by_rep: list[list[str]] = [[] for _rep in reps]
        total = REPS * CLIENTS_PER_REP
        for start in range(0, total, CHUNK):
            batch = Batch()
            for index in range(start, min(start + CHUNK, total)):
                client, _demo_reps, position = build_client(index, demo)
                rep = reps[index // CLIENTS_PER_REP]
                client.created_by_id = client.updated_by_id = rep.pk
                clients_by_rep[index // CLIENTS_PER_REP].append(str(client.id))
                batch.clients.append(client)
                batch.assignments.append(Assignment(client_id=client.id, rep_id=rep.pk))
                for key, value in build_history(index, client, [rep.pk], position, demo, batch).items():
                    sales[key] += value
            batch.write()
        seed_targets(replace(demo, rep_ids={rep.username: rep.pk for rep in reps}), sales)
        lap("rows")
        refresh_reps([rep.pk for rep in reps])
        lap("sync feeds")
    refresh_kpi_cards(clients_by_rep)
    lap("KPI cards")
    # A live database has its planner statistics; a bulk load has none until analysed.
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    lap("ANALYZE")
    return (
        f"{REPS} reps, {total} clients, {Visit.objects.count()} visits, {OrderLine.objects.count()} order lines, "
        f"{KpiCard.objects.count()} KPI cards; {', '.join(laps)}"
    )


def refresh_kpi_cards(clients_by_rep: list[list[str]]) -> None:
    """seed_demo's `kpi_cards_refresh_all`, in a process per core: it costs some 50 ms a client. Each process takes
    whole reps, so that no two publish to one rep's feed."""
    from django.db import connection, connections

    workers = os.cpu_count() or 1
    shares = [
        [client for rep_clients in clients_by_rep[start::workers] for client in rep_clients] for start in range(workers)
    ]
    # Each process opens its own connections: none may cross the fork, nor a pool's (with its threads).
    connections.close_all()
    if hasattr(connection, "close_pool"):
        connection.close_pool()
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context("fork")) as pool:
        list(pool.map(refresh_kpi_cards_of, shares))


def refresh_kpi_cards_of(client_ids: list[str]) -> int:
    from kpis.services import kpi_cards_refresh_in_batches

    return kpi_cards_refresh_in_batches(client_ids=client_ids)


def visit_count() -> int:
    from workflows.models import Visit

    return Visit.objects.count()


# -- The server -------------------------------------------------------------------------------------------------


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 valid for a day, and its key."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = dt.datetime.now(dt.UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(minutes=5))
        .not_valid_after(now + dt.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    certfile, keyfile = directory / "cert.pem", directory / "key.pem"
    certfile.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    keyfile.touch(mode=0o600)
    keyfile.write_bytes(
        key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    )
    return certfile, keyfile


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(database_url: str, certfile: Path, keyfile: Path, log: Path) -> Server:
    """`make serve` on a free port, in its own process group (make, its shell, uvicorn and its workers)."""
    port = free_port()
    env = {
        **os.environ,
        # A key of its own that passes `check --deploy`; this process's is for the seeding only.
        "SECRET_KEY": secrets.token_urlsafe(50),
        "DATABASE_URL": database_url,
        "HOST": "127.0.0.1",
        "PORT": str(port),
        "SSL_CERTFILE": str(certfile),
        "SSL_KEYFILE": str(keyfile),
    }
    # Production's settings (`make serve` turns DEBUG off), not this process's (the make line's).
    for name in ("STATIC_MANIFEST", "HTTPS", "DJANGO_SETTINGS_MODULE"):
        env.pop(name, None)
    with log.open("wb") as output:
        process = subprocess.Popen(
            ["make", "--no-print-directory", "serve"],
            cwd=BASE_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return Server(process, f"https://127.0.0.1:{port}", log)


def wait_until_up(server: Server, certfile: Path) -> None:
    """Until the sign-in page answers 200 over HTTPS (checked against the certificate), the server exits, or
    SERVER_START_TIMEOUT."""
    context = ssl.create_default_context(cafile=str(certfile))
    deadline = time.monotonic() + SERVER_START_TIMEOUT
    last = "no answer"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{server.url}/accounts/login/", context=context, timeout=5) as response:  # noqa: S310 (our URL)
                if response.status == 200:
                    return
                last = f"HTTP {response.status}"
        except urllib.error.HTTPError as error:
            last = f"HTTP {error.code}"
        except OSError as error:
            last = str(error)
        try:
            code = server.process.wait(timeout=0.5)
        except subprocess.TimeoutExpired:
            continue
        raise SystemExit(f"make serve exited with {code} before answering:\n{tail(server.log)}")
    stop_server(server)
    raise SystemExit(f"make serve not answering after {SERVER_START_TIMEOUT} s ({last}):\n{tail(server.log)}")


def stop_server(server: Server) -> None:
    """SIGTERM to the server's process group (uvicorn's workers finish their requests), SIGKILL if it lingers; then
    the errors its log holds."""
    if server.process.poll() is None:
        os.killpg(server.process.pid, signal.SIGTERM)
        try:
            server.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(server.process.pid, signal.SIGKILL)
            server.process.wait()
    server.errors = server_errors(server.log.read_text(errors="replace"))


def server_errors(log: str) -> list[str]:
    """The error lines of the server's log: each 500 Django logged with its path, each 5xx uvicorn answered, each
    worker uvicorn replaced, and the exception that ended each traceback (of a chain, only the last one raised: it
    tells the others)."""
    errors = []
    lines = [line for line in log.splitlines() if line.strip()]
    for number, line in enumerate(lines):
        if not line.startswith("Traceback"):
            if SERVER_ERROR.search(line):
                errors.append(masked(line.split(" - ", 1)[-1].removeprefix("INFO:").strip()))
            continue
        # The exception: the first line after the traceback's frames that is not indented.
        end = next((index for index in range(number + 1, len(lines)) if not lines[index].startswith((" ", "\t"))), None)
        if end is None:
            errors.append("a traceback without its exception")
            continue
        after = next((later for later in lines[end + 1 :] if later.startswith(("Traceback", *CHAINED))), "")
        if not after.startswith(CHAINED):
            errors.append(masked(lines[end]))
    return errors


def masked(line: str) -> str:
    """The line with its ids, process ids and query strings masked: one error on other records reads the same."""
    return QUERY.sub("?...", PID.sub("[pid]", UUID.sub("[id]", line)))


def tail(path: Path, lines: int = 40) -> str:
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


# -- Locust -----------------------------------------------------------------------------------------------------


def run_locust(
    host: str,
    prefix: Path,
    users: int,
    spawn_rate: int,
    duration: str,
    env: dict[str, str],
    user_class: str = "Rep",
) -> Stats:
    log, report = prefix.with_suffix(".log"), prefix.with_suffix(".json")
    command = [
        str(BIN / "locust"),
        "-f",
        str(LOCUSTFILE),
        "--headless",
        "--users",
        str(users),
        "--spawn-rate",
        str(spawn_rate),
        "--run-time",
        duration,
        "--stop-timeout",
        str(STOP_TIMEOUT),
        "--host",
        host,
        "--only-summary",
        "--loglevel",
        "WARNING",
        user_class,
    ]
    with log.open("wb") as output:
        subprocess.run(
            command,
            cwd=BASE_DIR,
            env={**env, "LOAD_REPORT": str(report)},
            stdout=output,
            stderr=subprocess.STDOUT,
            check=False,
        )
    if not report.exists():
        raise SystemExit(f"Locust wrote no report:\n{tail(log)}")
    figures = json.loads(report.read_text())
    return Stats(
        endpoints={row["name"]: row for row in figures["endpoints"]},
        total=figures["total"],
        failures=figures["failures"],
        exceptions=figures["exceptions"],
        cpu_peak=figures["cpu_peak"],
        log=log.read_text(errors="replace"),
    )


# -- The report -------------------------------------------------------------------------------------------------


def print_table(load: Stats, baseline: Stats, users: int, duration: str) -> None:
    names = list(load.endpoints)
    width = max(len(name) for name in [*names, "endpoint"])
    header = (
        f"{'endpoint':<{width}}  {'requests':>8}  {'failures':>8}  {'p50 ms':>7}  {'p95 ms':>7}  {'p99 ms':>7}  "
        f"{'max ms':>7}  {'req/s':>6} | {'alone p50':>9}"
    )
    print(
        f"\n{users} reps, {duration}; alone p50: one rep, its actions back to back (Locust rounds times to 2 figures)"
    )
    print(header)
    print("-" * len(header))

    def line(label: str, row: dict[str, Any], alone: dict[str, Any]) -> str:
        def ms(value: float | None) -> str:
            return "-" if value is None else f"{value:.0f}"

        return (
            f"{label:<{width}}  {row['requests']:>8}  {row['failures']:>8}  {ms(row['p50']):>7}  {ms(row['p95']):>7}  "
            f"{ms(row['p99']):>7}  {ms(row['max']):>7}  {row['rps']:>6.1f} | {ms(alone.get('p50')):>9}"
        )

    for name in names:
        print(line(name, load.endpoints[name], baseline.endpoints.get(name, {})))
    print("-" * len(header))
    print(line("total", load.total, baseline.total))


def print_outcome(load: Stats, baseline: Stats, server: Server, visits_written: int) -> bool:
    failed = load.total["failures"] + baseline.total["failures"]
    raised = sum(row["count"] for row in [*load.exceptions, *baseline.exceptions])
    print(f"\nfailures: {failed} (goal: 0)")
    for run, stats in (("baseline", baseline), ("load", load)):
        for row in stats.failures:
            print(f"  {run}: {row['occurrences']} x {row['name']}: {row['error']}")
    if raised:
        print(f"errors raised in the locustfile: {raised}")
        for row in [*baseline.exceptions, *load.exceptions]:
            print(f"  {row['count']} x {row['message']}\n{row['traceback']}")
    if load.cpu_peak is not None:
        skewed = " (over 90 %: Locust's own timings lag)" if load.cpu_peak > 90 else ""
        print(f"Locust's CPU: at most {load.cpu_peak:.0f} % of a core{skewed}")
    print(f"server log: {len(server.errors)} error lines (goal: 0)")
    for line, count in Counter(server.errors).most_common(20):
        print(f"  {count} x {line[:300]}")
    pushed = sum(stats.count(PUSH, "requests") - stats.count(PUSH, "failures") for stats in (baseline, load))
    print(f"visits written: {visits_written}, pushes applied: {pushed} (goal: equal)")
    if not load.total["requests"]:
        print(f"Locust made no request:\n{load.log[-3000:]}")
        return False
    return failed == 0 and raised == 0 and not server.errors and visits_written == pushed


if __name__ == "__main__":
    main()

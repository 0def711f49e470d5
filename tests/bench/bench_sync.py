"""Sync and client-list benchmark: `make bench` (or `python -m tests.bench.bench_sync`).

A rep with 10,000 clients (the demo list's schema), on a throwaway database of the configured
kind (SQLite unless DATABASE_URL names PostgreSQL). Each figure is printed with a baseline measured
in the same run: raw SQL over the same rows plus `json.dumps`, the least any implementation pays.

- full first pull: following the cursor through the HTTP stack (seconds, MB, queries);
- push of 1,000 mixed ops (client updates, notes, check-ins, orders, visit ends), in batches of 200;
- client-list page (GET /api/clients/, 25 rows): p50 over repeated requests.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from typing import Any

from tests.bench.throwaway import on_throwaway_db

CLIENTS = int(os.environ.get("BENCH_CLIENTS", "10000"))
PUSH_OPS = 1000
WARM_OPS = 50
LIST_REQUESTS = 60


def main() -> None:
    on_throwaway_db(run, "fieldsales-bench")


def timed(function: Callable[[], Any]) -> tuple[float, Any]:
    started = time.perf_counter()
    result = function()
    return time.perf_counter() - started, result


def build(rep_name: str = "bench") -> tuple[Any, Any, list[str]]:
    from django.core.management import call_command

    from clients.models import Assignment, Client, ClientList
    from clients.schema import search_text
    from fieldsales.accounts import REPS
    from fieldsales.sync.feed import refresh_reps
    from tests.factories import RepFactory

    call_command("seed_demo", clients=1, verbosity=0)
    client_list = ClientList.objects.prefetch_related("attributes").get(name="Points de vente")
    specs = client_list.specs()
    rep = RepFactory(username=rep_name)
    rep.groups.add(*rep.groups.model.objects.filter(name=REPS))
    rng = random.Random(7)
    quartiers = ["Cocody", "Plateau", "Yopougon", "Treichville", "Marcory", "Adjamé", "Koumassi", "Abobo"]
    categories = ["Épicerie", "Boutique", "Supermarché", "Maquis", "Kiosque", "Pharmacie"]
    clients = []
    for index in range(CLIENTS):
        attributes = {
            "quartier": rng.choice(quartiers),
            "categorie": rng.choice(categories),
            "gerant": f"Gérant {index}",
            "surface_m2": rng.randint(8, 400),
            "ca_mensuel": f"{rng.randint(100, 9000)}000",
            "frigo": rng.random() < 0.5,
            "services": ["Mobile money", "Livraison"][: rng.randint(0, 2)],
        }
        name = f"{rng.choice(categories)} Bench {index:05d}"
        clients.append(
            Client(
                client_list=client_list,
                name=name,
                lat=5.28 + rng.random() * 0.15,
                lng=-4.10 + rng.random() * 0.17,
                accuracy_m=10.0,
                phone=f"+225 07 {index:08d}",
                attributes=attributes,
                search_text=search_text(specs, name, attributes),
                created_by=rep,
                updated_by=rep,
            )
        )
    Client.objects.bulk_create(clients, batch_size=1000)
    Assignment.objects.bulk_create([Assignment(client=client, rep=rep) for client in clients], batch_size=1000)
    refresh_reps([rep.pk])
    # A live database has its planner statistics (autovacuum, or SQLite's ANALYZE at deployment); a bulk load
    # has none until analysed, and would be measured with plans no production database runs.
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")
    return rep, client_list, [str(client.pk) for client in clients]


def http_for(rep: Any) -> Any:
    from django.test import Client as HttpClient

    http = HttpClient()
    http.force_login(rep)
    return http


def bench_pull(rep: Any, client_ids: list[str]) -> dict[str, float]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    http = http_for(rep)

    def full_pull() -> tuple[int, int, int]:
        cursor, pages, size, changes = None, 0, 0, 0
        while True:
            response = http.get("/api/sync/pull", {"limit": 2000, **({"cursor": cursor} if cursor else {})})
            body = response.content
            size += len(body)
            page = json.loads(body)
            changes += len(page["changes"])
            pages += 1
            cursor = page["cursor"]
            if not page["more"]:
                return pages, size, changes

    full_pull()  # warm-up: connection, caches
    with CaptureQueriesContext(connection) as queries:
        seconds, (pages, size, changes) = timed(full_pull)
    # The same rows and columns the pull serves, with the creators' and editors' names.
    sql = (
        "SELECT c.id, c.client_list_id, c.name, c.lat, c.lng, c.accuracy_m, c.phone, c.photo_id, c.attributes, "
        "c.statement_enabled, c.version, c.created_at, c.updated_at, cu.username AS created_by, "
        "cu.first_name AS created_first, cu.last_name AS created_last, uu.username AS updated_by, "
        "uu.first_name AS updated_first, uu.last_name AS updated_last FROM clients_client c "
        "JOIN clients_assignment a ON a.client_id = c.id LEFT JOIN auth_user cu ON cu.id = c.created_by_id "
        "LEFT JOIN auth_user uu ON uu.id = c.updated_by_id WHERE a.rep_id = %s AND c.archived_at IS NULL ORDER BY c.id"
    )

    def raw() -> int:
        with connection.cursor() as cursor:
            cursor.execute(sql, [rep.pk])
            names = [column[0] for column in cursor.description]
            rows = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
        for row in rows:
            if isinstance(row["attributes"], str):
                row["attributes"] = json.loads(row["attributes"])
        return len(json.dumps(rows, default=str))

    raw()
    baseline, raw_size = timed(raw)
    return {
        "seconds": seconds,
        "baseline": baseline,
        "mb": size / 1_000_000,
        "raw_mb": raw_size / 1_000_000,
        "queries": len(queries),
        "pages": pages,
        "changes": changes,
    }


def bench_push(rep: Any, client_ids: list[str]) -> dict[str, float]:
    from django.db import connection

    from clients.models import Client
    from workflows.models import Activity, Product, Workflow

    http = http_for(rep)
    workflow = Workflow.objects.get(name_en="Sales visit")
    order = Activity.objects.get(workflow=workflow, kind="order")
    products = list(Product.objects.values_list("pk", flat=True)[:3])
    positions = {str(pk): (lat, lng) for pk, lat, lng in Client.objects.values_list("pk", "lat", "lng")}
    made_at = "2026-11-22T09:14:03+00:00"

    def generate(count: int, seed: int) -> list[dict[str, Any]]:
        rng = random.Random(seed)
        ops: list[dict[str, Any]] = []

        def add(type_: str, entity_id: str, data: dict[str, Any], **extra: Any) -> None:
            ops.append(
                {
                    "op_id": str(uuid.uuid4()),
                    "type": type_,
                    "entity_id": entity_id,
                    "made_at": made_at,
                    "data": data,
                    **extra,
                }
            )

        while len(ops) < count:
            client_id = rng.choice(client_ids)
            kind = rng.random()
            if kind < 0.4:
                add("client.update", client_id, {"attributes": {"surface_m2": rng.randint(8, 400)}}, base_version=1)
            elif kind < 0.7:
                add("note.create", str(uuid.uuid4()), {"client": client_id, "text": "Le gérant demande une promotion."})
            else:
                visit_id = str(uuid.uuid4())
                lat, lng = positions[client_id]
                add(
                    "visit.checkin",
                    visit_id,
                    {"client": client_id, "workflow": workflow.pk, "lat": lat, "lng": lng, "accuracy_m": 8},
                )
                add(
                    "activity.submit",
                    str(uuid.uuid4()),
                    {
                        "visit": visit_id,
                        "activity": order.pk,
                        "values": {},
                        "lines": [{"product": p, "quantity": 2, "unit_price": "1500"} for p in products],
                    },
                )
                add("visit.end", visit_id, {"at": "2026-11-22T09:40:00+00:00"})
        return ops[:count]

    # A server's pooled connections are warm: PostgreSQL keeps, per connection, what it planned for the foreign keys'
    # checks and read of the tables' catalogue. One push of the same mix first, not counted, warms this run's.
    warm = http.post(
        "/api/sync/push",
        json.dumps({"device": str(uuid.uuid4()), "ops": generate(WARM_OPS, 5)}),
        content_type="application/json",
    )
    assert warm.status_code == 200, warm.content
    from fieldsales.jobs import run_ready

    run_ready()
    ops = generate(PUSH_OPS, 11)

    def push_all() -> list[dict[str, Any]]:
        results = []
        for start in range(0, len(ops), 200):
            response = http.post(
                "/api/sync/push",
                json.dumps({"device": str(uuid.uuid4()), "ops": ops[start : start + 200]}),
                content_type="application/json",
            )
            results.extend(response.json()["results"])
        return results

    seconds, results = timed(push_all)
    # The KPI cards the pushes changed: one job per push, run by a worker after it (fieldsales/jobs.py).
    jobs_seconds, jobs = timed(run_ready)
    statuses: dict[str, int] = {}
    for result in results:
        statuses[result["status"]] = statuses.get(result["status"], 0) + 1

    # Baseline: the same writes in raw SQL, one transaction per op, each answer json-dumped.
    def uid(value: Any) -> Any:
        return Client._meta.pk.get_db_prep_value(uuid.UUID(str(value)), connection)  # type: ignore[union-attr]

    visit_ids: dict[str, str] = {}
    visit_clients: dict[str, str] = {}

    def raw() -> None:
        from django.db import transaction

        for op in ops:
            with transaction.atomic(), connection.cursor() as cursor:
                data = op["data"]
                if op["type"] == "client.update":
                    cursor.execute(
                        "UPDATE clients_client SET attributes = %s, version = version + 1 WHERE id = %s",
                        [json.dumps(data["attributes"]), uid(op["entity_id"])],
                    )
                elif op["type"] == "note.create":
                    cursor.execute(
                        "INSERT INTO workflows_note (id, client_id, author_id, text, created_at, version) "
                        "VALUES (%s, %s, %s, %s, %s, 1)",
                        [uid(uuid.uuid4()), uid(data["client"]), rep.pk, data["text"], made_at],
                    )
                elif op["type"] == "visit.checkin":
                    visit_ids[op["entity_id"]] = str(uuid.uuid4())
                    visit_clients[op["entity_id"]] = data["client"]
                    cursor.execute(
                        "INSERT INTO workflows_visit (id, rep_id, client_id, workflow_id, checkin_lat, checkin_lng, "
                        "checkin_accuracy_m, checkin_flags, checked_in_at, version, created_at) VALUES (%s, %s, %s, "
                        "%s, %s, %s, %s, '[]', %s, 1, %s)",
                        [
                            uid(visit_ids[op["entity_id"]]),
                            rep.pk,
                            uid(data["client"]),
                            data["workflow"],
                            data["lat"],
                            data["lng"],
                            data["accuracy_m"],
                            made_at,
                            made_at,
                        ],
                    )
                elif op["type"] == "activity.submit":
                    submission = uid(uuid.uuid4())
                    cursor.execute(
                        "INSERT INTO workflows_activitysubmission (id, visit_id, client_id, activity_id, values, "
                        "order_total, submitted_at, version) VALUES (%s, %s, %s, %s, %s, %s, %s, 1)".replace(
                            "values,", '"values",'
                        ),
                        [
                            submission,
                            uid(visit_ids[data["visit"]]),
                            uid(visit_clients[data["visit"]]),
                            data["activity"],
                            "{}",
                            "9000",
                            made_at,
                        ],
                    )
                    for line in data["lines"]:
                        cursor.execute(
                            "INSERT INTO workflows_orderline (submission_id, product_id, quantity, unit_price, value) "
                            "VALUES (%s, %s, %s, %s, %s)",
                            [submission, line["product"], line["quantity"], line["unit_price"], "3000"],
                        )
                else:
                    cursor.execute(
                        "UPDATE workflows_visit SET ended_at = %s, version = version + 1 WHERE id = %s",
                        [data["at"], uid(visit_ids[op["entity_id"]])],
                    )
            json.dumps({"op_id": op["op_id"], "status": "applied", "entity_id": op["entity_id"], "version": 1})

    baseline_seconds, _ = timed(raw)
    return {
        "seconds": seconds,
        "ops_per_s": len(ops) / seconds,
        "baseline_ops_per_s": len(ops) / baseline_seconds,
        "statuses": statuses,  # type: ignore[dict-item]
        "jobs": jobs,
        "jobs_seconds": jobs_seconds,
    }


def bench_list(rep: Any) -> dict[str, float]:
    from django.db import connection

    http = http_for(rep)

    def page() -> None:
        response = http.get("/api/clients/")
        assert response.status_code == 200 and len(response.json()["results"]) == 25

    sql = (
        "SELECT c.id, c.client_list_id, c.name, c.lat, c.lng, c.accuracy_m, c.phone, c.photo_id, c.attributes, "
        "c.statement_enabled, c.version, c.created_at, c.updated_at FROM clients_client c "
        "JOIN clients_assignment a ON a.client_id = c.id WHERE a.rep_id = %s AND c.archived_at IS NULL "
        "ORDER BY c.name, c.id LIMIT 25"
    )

    def raw() -> None:
        with connection.cursor() as cursor:
            cursor.execute(sql, [rep.pk])
            names = [column[0] for column in cursor.description]
            json.dumps([dict(zip(names, row, strict=True)) for row in cursor.fetchall()], default=str)

    def p50(function: Callable[[], Any]) -> float:
        function()
        return statistics.median(timed(function)[0] for _ in range(LIST_REQUESTS))

    return {"p50": p50(page), "baseline": p50(raw)}


def run() -> None:
    from django.db import connection

    print(f"FieldSales sync benchmark on {connection.vendor}, {CLIENTS} clients for one rep", flush=True)
    seconds, (rep, _client_list, client_ids) = timed(build)
    print(f"  setup: {seconds:.1f} s", flush=True)

    pull = bench_pull(rep, client_ids)
    print(
        f"first pull: {pull['seconds']:.3f} s, {pull['mb']:.2f} MB, {pull['queries']} queries, "
        f"{pull['pages']} pages, {pull['changes']} changes | raw SQL + json.dumps: {pull['baseline']:.3f} s "
        f"({pull['raw_mb']:.2f} MB) | ratio {pull['seconds'] / pull['baseline']:.2f}x "
        f"(goal: < 4x and < 2 s)"
    )
    push = bench_push(rep, client_ids)
    print(
        f"push: {PUSH_OPS} mixed ops in {push['seconds']:.2f} s = {push['ops_per_s']:.0f} ops/s {push['statuses']} | "
        f"raw SQL insert + json.dumps: {push['baseline_ops_per_s']:.0f} ops/s | "
        f"ratio {push['baseline_ops_per_s'] / push['ops_per_s']:.2f}x "
        "(goal: >= 1,000 ops/s on PostgreSQL, >= 1,500 on SQLite)"
    )
    print(f"  then the KPI cards they changed: {push['jobs']} jobs run by a worker in {push['jobs_seconds']:.2f} s")
    listing = bench_list(rep)
    print(
        f"client list page (25): p50 {listing['p50'] * 1000:.2f} ms | raw SQL + json.dumps p50 "
        f"{listing['baseline'] * 1000:.2f} ms | ratio {listing['p50'] / listing['baseline']:.2f}x (goal: < 5x)"
    )
    sys.stdout.flush()


if __name__ == "__main__":
    main()

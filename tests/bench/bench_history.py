"""Client history benchmark: `make bench-history` (or `python -m tests.bench.bench_history`).

What keeping every client's history (clients/recording.py, django-simple-history) costs a rep's push: pushes of 200 ops
through the HTTP stack, timed with the history on and, as the baseline in the same run, off
(`SIMPLE_HISTORY_ENABLED=False`), in alternate rounds so that neither gets a warmer cache. Goal (issue 18): a push of
200 ops within 10% of its time without history.

- 200 client edits: every op changes a client, the worst case;
- 200 mixed ops as a rep's day makes them (client edits, notes, check-ins with an order, visit ends), as `make bench`.

On a throwaway database of the configured kind (SQLite unless DATABASE_URL names PostgreSQL), with the demo's schema
and BENCH_CLIENTS clients (2,000 by default) for one rep.
"""

from __future__ import annotations

import json
import os
import random
import statistics
import sys
import time
import uuid
from typing import Any

os.environ.setdefault("BENCH_CLIENTS", "2000")

from tests.bench.bench_sync import build, http_for, timed
from tests.bench.throwaway import on_throwaway_db

OPS = 200
ROUNDS = int(os.environ.get("ROUNDS", "9"))
MADE_AT = "2026-11-22T09:14:03+00:00"


def main() -> None:
    on_throwaway_db(run, "fieldsales-bench-history")


class Pusher:
    """A rep's phone pushing batches of 200 fresh ops, built outside the timing."""

    def __init__(self, rep: Any, client_ids: list[str]) -> None:
        from clients.models import Client
        from workflows.models import Activity, Product, Workflow

        self.http = http_for(rep)
        self.device = str(uuid.uuid4())
        self.client_ids = client_ids
        self.rng = random.Random(18)
        self.positions = {str(pk): (lat, lng) for pk, lat, lng in Client.objects.values_list("pk", "lat", "lng")}
        self.workflow = Workflow.objects.get(name_en="Sales visit")
        self.order = Activity.objects.get(workflow=self.workflow, kind="order")
        self.products = list(Product.objects.values_list("pk", flat=True)[:3])
        self.kinds = [self.rng.random() for _ in range(OPS)]

    @staticmethod
    def op(type_: str, entity_id: str, data: dict[str, Any], **extra: Any) -> dict[str, Any]:
        return {
            "op_id": str(uuid.uuid4()),
            "type": type_,
            "entity_id": entity_id,
            "made_at": MADE_AT,
            "data": data,
            **extra,
        }

    def edit(self, client_id: str, versions: dict[str, int]) -> dict[str, Any]:
        data = {
            "attributes": {"surface_m2": self.rng.randint(8, 400)},
            "name": f"Boutique {self.rng.randint(1, 10**6)}",
        }
        return self.op("client.update", client_id, data, base_version=versions[client_id])

    def edits(self) -> list[dict[str, Any]]:
        """200 edits of 200 different clients, each on its current version (no conflict)."""
        chosen = self.rng.sample(self.client_ids, OPS)
        versions = self.versions(chosen)
        return [self.edit(client_id, versions) for client_id in chosen]

    @staticmethod
    def versions(ids: list[str]) -> dict[str, int]:
        from clients.models import Client

        return {str(pk): version for pk, version in Client.objects.filter(pk__in=ids).values_list("pk", "version")}

    def mixed(self) -> list[dict[str, Any]]:
        """A rep's day: 40% client edits, 30% notes, the rest visits (check-in, an order, the end); the same kinds in
        the same order in every push (`self.kinds`), so that the pushes with history and without do the same work."""
        ops: list[dict[str, Any]] = []
        edited = self.rng.sample(self.client_ids, OPS)
        versions = self.versions(edited)
        kinds = iter(self.kinds)
        while len(ops) < OPS:
            client_id = edited[len(ops)]
            kind = next(kinds)
            if kind < 0.4:
                ops.append(self.edit(client_id, versions))
            elif kind < 0.7:
                ops.append(self.op("note.create", str(uuid.uuid4()), {"client": client_id, "text": "Promotion ?"}))
            else:
                ops.extend(self.visit(client_id))
        return ops[:OPS]

    def visit(self, client_id: str) -> list[dict[str, Any]]:
        visit_id = str(uuid.uuid4())
        lat, lng = self.positions[client_id]
        lines = [{"product": product, "quantity": 2, "unit_price": "1500"} for product in self.products]
        checkin = {"client": client_id, "workflow": self.workflow.pk, "lat": lat, "lng": lng, "accuracy_m": 8}
        return [
            self.op("visit.checkin", visit_id, checkin),
            self.op(
                "activity.submit",
                str(uuid.uuid4()),
                {"visit": visit_id, "activity": self.order.pk, "values": {}, "lines": lines},
            ),
            self.op("visit.end", visit_id, {"at": "2026-11-22T09:40:00+00:00"}),
        ]

    def push(self, ops: list[dict[str, Any]]) -> tuple[float, float, dict[str, int]]:
        """Wall and CPU seconds of one push, and its results' statuses."""
        body = json.dumps({"device": self.device, "ops": ops})
        cpu = time.process_time()
        seconds, response = timed(lambda: self.http.post("/api/sync/push", body, content_type="application/json"))
        cpu = time.process_time() - cpu
        statuses: dict[str, int] = {}
        for result in response.json()["results"]:
            statuses[result["status"]] = statuses.get(result["status"], 0) + 1
        return seconds, cpu, statuses

    def queries(self, ops: list[dict[str, Any]]) -> int:
        """The statements of one push (not timed: capturing them costs time)."""
        from django.db import connection, reset_queries
        from django.test.utils import CaptureQueriesContext

        reset_queries()
        with CaptureQueriesContext(connection) as captured:
            self.http.post(
                "/api/sync/push", json.dumps({"device": self.device, "ops": ops}), content_type="application/json"
            )
        return len(captured)


def compare(pusher: Pusher, make_ops: Any) -> dict[str, Any]:
    """Median push time (wall and CPU) with history on and off, in alternate rounds (a first round of each to warm
    up); then the statements of one push of each."""
    from django.test import override_settings

    wall: dict[bool, list[float]] = {True: [], False: []}
    cpu: dict[bool, list[float]] = {True: [], False: []}
    statuses: dict[str, int] = {}
    for round_ in range(ROUNDS + 1):
        for history in (round_ % 2 == 0, round_ % 2 == 1):
            ops = make_ops()
            with override_settings(SIMPLE_HISTORY_ENABLED=history):
                seconds, used, status = pusher.push(ops)
            if round_:
                wall[history].append(seconds)
                cpu[history].append(used)
            if history:
                statuses = status
    queries = {}
    for history in (True, False):
        with override_settings(SIMPLE_HISTORY_ENABLED=history):
            queries[history] = pusher.queries(make_ops())
    return {
        "wall": {history: statistics.median(times) for history, times in wall.items()},
        "cpu": {history: statistics.median(times) for history, times in cpu.items()},
        "queries": queries,
        "statuses": statuses,
    }


def report(name: str, figures: dict[str, Any]) -> None:
    wall, cpu, queries = figures["wall"], figures["cpu"], figures["queries"]
    ratio, cpu_ratio = wall[True] / wall[False], cpu[True] / cpu[False]
    print(
        f"{name} {figures['statuses']}: with history {wall[True] * 1000:.0f} ms ({OPS / wall[True]:.0f} ops/s, "
        f"CPU {cpu[True] * 1000:.0f} ms), {queries[True]} statements | without history (baseline) "
        f"{wall[False] * 1000:.0f} ms ({OPS / wall[False]:.0f} ops/s, CPU {cpu[False] * 1000:.0f} ms), "
        f"{queries[False]} statements | ratio {ratio:.3f} ({(ratio - 1) * 100:+.1f}%), CPU {cpu_ratio:.3f} "
        f"({(cpu_ratio - 1) * 100:+.1f}%) (goal: within 10%) {'OK' if max(ratio, cpu_ratio) <= 1.10 else 'OVER'}",
        flush=True,
    )


def run() -> None:
    from django.db import connection

    from clients.models import Client

    print(f"FieldSales client history benchmark on {connection.vendor}: pushes of {OPS} ops, median of {ROUNDS} rounds")
    seconds, (rep, _client_list, client_ids) = timed(lambda: build("bench-history"))
    print(f"  setup: {seconds:.1f} s, {len(client_ids)} clients", flush=True)
    pusher = Pusher(rep, client_ids)
    report(f"push of {OPS} client edits", compare(pusher, pusher.edits))
    report(f"push of {OPS} mixed ops", compare(pusher, pusher.mixed))
    print(f"  history rows written: {Client.history.count()}")
    sys.stdout.flush()


if __name__ == "__main__":
    main()

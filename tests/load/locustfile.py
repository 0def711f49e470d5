"""Reps' apps against a running FieldSales server; `python -m tests.load.run` seeds the reps, starts the server and
runs this file (it can also run on its own: `locust -f tests/load/locustfile.py --host https://...`).

Each simulated rep signs in through /accounts/login/ as a browser does (GET for the CSRF cookie, POST of the form,
the session kept), pulls its complete state following the cursor, then until the run ends, with a pause between
actions: pulls what changed; pushes a visit with an order as the app's outbox does (check-in near the client's
position, the order, sometimes a note, the end of the visit; fresh ids made on the device), then pulls as the app
does after each write; opens the KPI card of one of its clients. Every answer is checked, not only its status: a push
counts as failed unless every op was applied. Requests are named by endpoint, never by a URL with ids.

Environment: LOAD_PASSWORD (required), LOAD_USERNAME (a format of the rep's number, from 1: "loadrep{:03d}"),
LOAD_WAIT (seconds between a rep's actions, "min,max": "1,4"; "0,0" runs them back to back), LOAD_REPORT (a file to
write the final figures to as JSON, for run.py: Locust's --csv files are rewritten each second, so they miss the
last requests of a run).

`PacedRep` (run by `make load` with --capacity) is a rep's day compressed in time instead: a sync every
LOAD_PACE_SYNC seconds and a visit every LOAD_PACE_VISIT seconds on average (3 minutes and 48 minutes, 10 visits in
an 8-hour day, divided by the compression), the KPI card of a client opened at one visit in two; once the
LOAD_PACE_USERS reps have all signed in, the figures start again.
"""

from __future__ import annotations

import itertools
import json
import math
import os
import random
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlencode

from locust import FastHttpUser, between, constant_pacing, events, task
from locust.env import Environment
from locust.exception import StopUser

USERNAME = os.environ.get("LOAD_USERNAME", "loadrep{:03d}")
PASSWORD = os.environ.get("LOAD_PASSWORD", "")
WAIT = tuple(float(part) for part in os.environ.get("LOAD_WAIT", "1,4").split(","))
REPORT = os.environ.get("LOAD_REPORT")
PACE_SYNC = float(os.environ.get("LOAD_PACE_SYNC", "3"))
PACE_VISIT = float(os.environ.get("LOAD_PACE_VISIT", "48"))
PACE_USERS = int(os.environ.get("LOAD_PACE_USERS", "0"))
PULL_LIMIT = 1000  # as the app asks (static/js/lib/sync.js)
QUANTITIES = (1, 2, 3, 4, 5, 6, 10, 12, 24)
EARTH_RADIUS_M = 6_371_008.8

LOGIN_PAGE = "GET /accounts/login/"
LOGIN = "POST /accounts/login/"
FIRST_PULL = "GET /api/sync/pull (first, full)"
PULL = "GET /api/sync/pull (since cursor)"
PUSH = "POST /api/sync/push (visit with order)"
KPIS = "GET /api/clients/[id]/kpis/"

# Each simulated rep signs in as the next seeded rep: one process runs them all.
rep_numbers = itertools.count(1)
signed_in: list[str] = []


def new_id() -> str:
    return str(uuid.uuid4())


def near(lat: float, lng: float, distance_m: float) -> tuple[float, float]:
    """A point `distance_m` from (lat, lng) in a random direction (a flat earth is exact enough below 1 km)."""
    bearing = random.uniform(0, 2 * math.pi)
    dlat = distance_m * math.cos(bearing) / EARTH_RADIUS_M
    dlng = distance_m * math.sin(bearing) / (EARTH_RADIUS_M * math.cos(math.radians(lat)))
    return round(lat + math.degrees(dlat), 6), round(lng + math.degrees(dlng), 6)


def op(type_: str, entity_id: str, data: dict[str, Any], at: datetime) -> dict[str, Any]:
    return {"op_id": new_id(), "type": type_, "entity_id": entity_id, "made_at": at.isoformat(), "data": data}


class Rep(FastHttpUser):
    wait_time = between(*WAIT)
    # A phone holds one connection to the server.
    concurrency = 1

    def on_start(self) -> None:
        if not PASSWORD:
            raise RuntimeError("Set LOAD_PASSWORD to the seeded reps' password.")
        self.username = USERNAME.format(next(rep_numbers))
        self.device = new_id()
        self.cursor: str | None = None
        self.clients: dict[str, tuple[float, float]] = {}
        self.order: tuple[int, int, float] | None = None  # workflow, activity, radius in metres
        self.products: dict[int, str] = {}  # id: unit price
        if not self.sign_in() or not self.pull(FIRST_PULL):
            raise StopUser
        if not (self.clients and self.order and self.products):
            # Recorded as a failure of the first pull: this rep cannot work.
            self.environment.events.request.fire(
                request_type="GET",
                name=FIRST_PULL,
                response_time=0,
                response_length=0,
                exception=AssertionError(
                    f"nothing to visit with: {len(self.clients)} clients, order activity {self.order}, "
                    f"{len(self.products)} products"
                ),
            )
            raise StopUser

    # -- Actions ---------------------------------------------------------------------------------------------------

    @task(5)
    def pull_changes(self) -> None:
        self.pull(PULL)

    @task(3)
    def open_kpi_card(self) -> None:
        client_id = random.choice(list(self.clients))
        with self.client.get(f"/api/clients/{client_id}/kpis/", name=KPIS, catch_response=True) as response:
            card = self.json_of(response, "client", "folders")
            if card is None:
                return
            if card["client"] != client_id:
                response.failure(f"the card of another client: {card['client']}")
            elif not card["folders"] or not all(folder.get("kpis") for folder in card["folders"]):
                response.failure("a card without KPIs")

    @task(2)
    def push_visit_with_order(self) -> None:
        assert self.order is not None
        workflow, activity, radius = self.order
        client_id, (lat, lng) = random.choice(list(self.clients.items()))
        visit = new_id()
        ended = datetime.now(UTC)
        started = ended - timedelta(minutes=random.randint(8, 30))
        checkin_lat, checkin_lng = near(lat, lng, random.uniform(0, radius * 0.5))
        products = random.sample(sorted(self.products), random.randint(1, min(5, len(self.products))))
        ops = [
            op(
                "visit.checkin",
                visit,
                {
                    "client": client_id,
                    "workflow": workflow,
                    "lat": checkin_lat,
                    "lng": checkin_lng,
                    "accuracy_m": round(random.uniform(5, 20), 1),
                    "at": started.isoformat(),
                },
                started,
            ),
            op(
                "activity.submit",
                new_id(),
                {
                    "visit": visit,
                    "activity": activity,
                    "values": {},
                    "lines": [
                        {"product": id_, "quantity": random.choice(QUANTITIES), "unit_price": self.products[id_]}
                        for id_ in products
                    ],
                },
                ended - timedelta(minutes=2),
            ),
        ]
        if random.random() < 0.25:
            ops.append(
                op(
                    "note.create",
                    new_id(),
                    {"client": client_id, "visit": visit, "text": "Le gérant demande une promotion sur l'huile."},
                    ended - timedelta(minutes=1),
                )
            )
        ops.append(op("visit.end", visit, {"at": ended.isoformat()}, ended))
        with self.client.post(
            "/api/sync/push",
            json={"device": self.device, "ops": ops},
            headers=self.unsafe_headers(),
            name=PUSH,
            catch_response=True,
        ) as response:
            body = self.json_of(response, "results")
            if body is None:
                return
            results = body["results"]
            if [result.get("op_id") for result in results] != [sent["op_id"] for sent in ops]:
                response.failure(f"{len(results)} results for {len(ops)} ops, or not in their order")
                return
            # Every op carries a fresh id: "duplicate" would mean the server took it for another op.
            refused = [
                f"{sent['type']} {result['status']} {result.get('code')}: {result.get('errors')}"
                for sent, result in zip(ops, results, strict=True)
                if result.get("status") != "applied"
            ]
            if refused:
                response.failure("; ".join(refused)[:300])
        # The app pulls after each write.
        self.pull(PULL)

    # -- The app's plumbing ----------------------------------------------------------------------------------------

    def sign_in(self) -> bool:
        with self.client.get("/accounts/login/", name=LOGIN_PAGE, catch_response=True) as response:
            token = self.cookie("csrftoken")
            if response.status_code != 200 or not token:
                response.failure(f"{self.problem(response)}, CSRF cookie {'set' if token else 'missing'}")
                return False
        form = {"csrfmiddlewaretoken": token, "username": self.username, "password": PASSWORD, "next": "/"}
        with self.client.post(
            "/accounts/login/",
            data=urlencode(form),
            headers={
                "Content-Type": "application/x-www-form-urlencoded",
                "Origin": self.host,
                "Referer": f"{self.host}/accounts/login/",
            },
            allow_redirects=False,
            name=LOGIN,
            catch_response=True,
        ) as response:
            # Django's LoginView redirects once signed in; a wrong password or a lockout answers the page again.
            if response.status_code != 302 or not self.cookie("sessionid"):
                response.failure(f"not signed in: {self.problem(response)}")
                return False
        return True

    def pull(self, name: str) -> bool:
        """Follow the cursor until nothing more, keeping what the app keeps to work with. False if a page failed."""
        while True:
            query = {"limit": PULL_LIMIT, **({"cursor": self.cursor} if self.cursor else {})}
            with self.client.get(
                f"/api/sync/pull?{urlencode(query)}", headers=self.headers(), name=name, catch_response=True
            ) as response:
                page = self.json_of(response, "cursor", "more", "changes")
                if page is None:
                    return False
                for change in page["changes"]:
                    self.apply(change)
                self.cursor = page["cursor"] or self.cursor
            if not page["more"]:
                return True

    def apply(self, change: dict[str, Any]) -> None:
        kind, data = change["type"], change.get("data") or {}
        if kind == "client":
            if change.get("deleted") or data.get("lat") is None:
                self.clients.pop(change["id"], None)
            else:
                self.clients[change["id"]] = (data["lat"], data["lng"])
        elif kind == "product":
            if change.get("deleted") or not data.get("active"):
                self.products.pop(int(change["id"]), None)
            else:
                self.products[int(change["id"])] = data["unit_price"]
        elif kind == "workflow" and not change.get("deleted"):
            for activity in data.get("activities", []):
                if activity["kind"] == "order":
                    self.order = (int(change["id"]), activity["id"], float(activity["radius_m"]))

    def json_of(self, response: Any, *keys: str) -> dict[str, Any] | None:
        """The answer's JSON object if it is a 200 with these keys; otherwise the request is marked failed."""
        if response.status_code != 200:
            response.failure(self.problem(response))
            return None
        try:
            body = response.json()
        except ValueError:
            response.failure(f"not JSON: {(response.text or '')[:200]}")
            return None
        if not isinstance(body, dict) or not all(key in body for key in keys):
            response.failure(f"missing {', '.join(keys)}: {(response.text or '')[:200]}")
            return None
        return body

    def problem(self, response: Any) -> str:
        """What went wrong, alike for alike failures (Locust counts failures by their message)."""
        if not response.status_code:
            return f"no answer: {response.error!r}"
        if response.status_code >= 500 or "html" in (response.headers.get("Content-Type") or ""):
            return f"HTTP {response.status_code}"
        return f"HTTP {response.status_code}: {(response.text or '')[:200]}"

    def cookie(self, name: str) -> str | None:
        return next((cookie.value for cookie in self.client.cookiejar if cookie.name == name), None)

    def headers(self) -> dict[str, str]:
        return {"Accept-Language": "fr"}

    def unsafe_headers(self) -> dict[str, str]:
        # Django's CSRF check over HTTPS: the token from the cookie, and a same-origin Origin as browsers send.
        return {**self.headers(), "X-CSRFToken": self.cookie("csrftoken") or "", "Origin": self.host}


class PacedRep(Rep):
    """A rep's day compressed in time: sync on a fixed pace; a visit (with its order, then a pull) when one is due,
    at random around its average pace; the KPI card of the visited client at one visit in two."""

    wait_time = constant_pacing(PACE_SYNC)

    def on_start(self) -> None:
        super().on_start()
        # Reps do not all start their day at the same second.
        self.next_visit = time.monotonic() + random.expovariate(1 / PACE_VISIT)
        # Once the last of them has signed in and pulled everything, the figures start again: a morning's sign-ins
        # (PBKDF2, 0.2 s of CPU each) are not the day's load.
        signed_in.append(self.username)
        if len(signed_in) == PACE_USERS:
            self.environment.stats.reset_all()

    @task
    def day(self) -> None:
        now = time.monotonic()
        if now < self.next_visit:
            self.pull(PULL)
            return
        self.next_visit = now + random.expovariate(1 / PACE_VISIT)
        self.push_visit_with_order()
        if random.random() < 0.5:
            self.open_kpi_card()


# Its day only, not the actions of Rep it inherits (Locust adds a base class's tasks to a subclass's).
PacedRep.tasks = [PacedRep.day]


# -- The report -----------------------------------------------------------------------------------------------------

environments: list[Environment] = []
cpu_samples: list[float] = []  # Locust's own process, % of a core, every 5 s


@events.init.add_listener
def keep_environment(environment: Environment, **kwargs: Any) -> None:
    environments.append(environment)


@events.usage_monitor.add_listener
def keep_cpu_usage(environment: Environment, cpu_usage: float, **kwargs: Any) -> None:
    cpu_samples.append(cpu_usage)


@events.quit.add_listener
def write_report(exit_code: int, **kwargs: Any) -> None:
    """Fired once every user has stopped: the figures are final."""
    if not REPORT or not environments:
        return
    environment = environments[0]
    stats = environment.stats

    def figures(entry: Any) -> dict[str, Any]:
        return {
            "method": entry.method,
            "name": entry.name,
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            **{f"p{round(q * 100)}": entry.get_response_time_percentile(q) for q in (0.5, 0.95, 0.99)},
            "max": entry.max_response_time,
            "rps": entry.total_rps,
        }

    report = {
        "endpoints": [figures(entry) for entry in sorted(stats.entries.values(), key=lambda e: (e.name, e.method))],
        "total": figures(stats.total),
        "failures": [
            {"method": error.method, "name": error.name, "error": str(error.error), "occurrences": error.occurrences}
            for error in stats.errors.values()
        ],
        "exceptions": [
            {"count": row["count"], "message": row["msg"], "traceback": row["traceback"]}
            for row in (environment.runner.exceptions.values() if environment.runner else [])
        ],
        "cpu_peak": max(cpu_samples, default=None),
    }
    with open(REPORT, "w", encoding="utf-8") as file:
        json.dump(report, file)

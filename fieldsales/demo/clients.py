"""The points of sale: each client's name, place, attributes and reps, drawn from its own seed, and the loop that
writes them with their history a chunk at a time."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.core.management.base import CommandError
from django.utils.translation import gettext as _

from clients.models import Assignment, Client
from clients.phones import phone_parse
from clients.schema import SchemaValidationError, normalize_text, search_text, validate_attributes
from fieldsales.demo.data import (
    CATEGORIES,
    COMMUNES,
    EMAIL_DOMAINS,
    FIRST_NAMES,
    LAST_NAMES,
    LAT_BOUNDS,
    LIST_NAME,
    LNG_BOUNDS,
    PLACES,
    REMARKS,
    SERVICE_OPTIONS,
    SPREAD_DEG,
    TREES,
    VIRTUES,
    Category,
    Commune,
)
from fieldsales.demo.history import build_history
from fieldsales.demo.identity import demo_id, demo_random
from fieldsales.demo.rows import CHUNK, Batch, Demo, SalesByRepMonth


def seed_clients(demo: Demo, count: int, *, history_clients: int) -> SalesByRepMonth:
    """Clients 0 to count - 1, assigned to their reps, and the history of the first `history_clients` of them.
    Returns the history's order totals, which set the reps' targets."""
    sales: SalesByRepMonth = defaultdict(Decimal)
    for start in range(0, count, CHUNK):
        batch = Batch()
        for index in range(start, min(start + CHUNK, count)):
            client, rep_ids, position = build_client(index, demo)
            batch.clients.append(client)
            batch.assignments.extend(Assignment(client_id=client.id, rep_id=rep_id) for rep_id in rep_ids)
            if index < history_clients:
                for key, value in build_history(index, client, rep_ids, position, demo, batch).items():
                    sales[key] += value
        batch.write()
    return sales


def build_client(index: int, demo: Demo) -> tuple[Client, list[int], tuple[float, float]]:
    """Client number `index`, the ids of the reps it is assigned to, and its position."""
    rng = demo_random("client", index)
    commune = rng.choices(COMMUNES, weights=[commune.weight for commune in COMMUNES])[0]
    category = rng.choices(CATEGORIES, weights=[category.weight for category in CATEGORIES])[0]
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    name = client_name(rng, commune, category, first, last)
    lat = round(clamp(rng.gauss(commune.lat, SPREAD_DEG), LAT_BOUNDS), 6)
    lng = round(clamp(rng.gauss(commune.lng, SPREAD_DEG), LNG_BOUNDS), 6)
    attributes = checked_attributes(demo, client_attributes(rng, commune, category, first, last))
    rep_ids = client_rep_ids(index, commune, demo)
    created_by = rep_ids[0] if rng.random() < 0.3 else demo.clerk_id
    client = Client(
        id=demo_id("client", index),
        client_list_id=demo.list_id,
        name=name,
        lat=lat,
        lng=lng,
        accuracy_m=round(rng.uniform(5, 30), 1),
        # Written past the services, so stored as they would store it (clients/phones.py).
        phone=phone_parse(ivorian_mobile(rng), region="CI"),
        attributes=attributes,
        search_text=search_text(demo.specs, name, attributes),
        statement_enabled=rng.random() < 0.25,
        created_by_id=created_by,
        updated_by_id=created_by,
    )
    return client, rep_ids, (lat, lng)


def client_name(rng: random.Random, commune: Commune, category: Category, first: str, last: str) -> str:
    """A shop sign as the category writes them: "Épicerie Chez Awa", "Maquis du Carrefour"."""
    return rng.choice(category.names).format(
        first=first,
        last=last,
        tree=rng.choice(TREES),
        virtue=rng.choice(VIRTUES),
        place=rng.choice(PLACES),
        commune=of_place(commune.name),
    )


def client_attributes(
    rng: random.Random, commune: Commune, category: Category, first: str, last: str
) -> dict[str, Any]:
    """The list's attributes as a rep would type them: the required ones always, each other one with its own odds.
    All nine draws are made first, so that whether an attribute is filled does not shift the others' draws."""
    opened = dt.date(1995, 1, 1) + dt.timedelta(days=rng.randint(0, 30 * 365))
    draws = [rng.random() for _draw in range(9)]
    raw: dict[str, Any] = {"quartier": commune.name, "categorie": category.name}
    if draws[0] < 0.9:
        raw["gerant"] = f"{first} {last}"
    if draws[1] < 0.8:
        raw["surface_m2"] = rng.randint(*category.surface_m2)
    if draws[2] < 0.6:
        raw["ca_mensuel"] = str(rng.randint(*category.turnover_fcfa) // 5000 * 5000)
    if draws[3] < 0.7:
        raw["ouverture"] = opened.isoformat()
    if draws[4] < 0.9:
        raw["frigo"] = rng.random() < category.fridge_share
    if draws[5] < 0.75:
        raw["services"] = rng.sample(SERVICE_OPTIONS, rng.randint(1, 3))
    if draws[6] < 0.3:
        raw["email_gerant"] = email_for(first, last, rng.choice(EMAIL_DOMAINS))
    if draws[7] < 0.35:
        raw["telephone_secondaire"] = ivorian_mobile(rng)
    if draws[8] < 0.2:
        raw["remarques"] = " ".join(rng.sample(REMARKS, rng.randint(1, 2)))
    return raw


def checked_attributes(demo: Demo, raw: dict[str, Any]) -> dict[str, Any]:
    """The attributes as the list's schema stores them; a list changed in the back office so that it refuses the
    demo's values stops the command (nothing is written: the command runs in one transaction)."""
    try:
        return validate_attributes(demo.specs, raw)
    except SchemaValidationError as error:
        raise CommandError(
            _("The list “%(list)s” no longer accepts the demo data (%(errors)s). Rename it and run the command again.")
            % {
                "list": LIST_NAME,
                "errors": "; ".join(f"{key}: {' '.join(msgs)}" for key, msgs in error.message_dict.items()),
            }
        ) from None


def client_rep_ids(index: int, commune: Commune, demo: Demo) -> list[int]:
    """The rep whose territory the commune is, first; a handful of clients are shared with the other rep."""
    home = demo.rep_ids[commune.rep]
    other = next(rep_id for rep_id in demo.rep_ids.values() if rep_id != home)
    return [home, other] if index % 20 == 7 else [home]


def clamp(value: float, bounds: tuple[float, float]) -> float:
    return min(max(value, bounds[0]), bounds[1])


def ivorian_mobile(rng: random.Random) -> str:
    """A number as Ivorians write it: +225, a two-digit operator prefix, then eight digits in pairs."""
    pairs = " ".join(f"{rng.randint(0, 99):02d}" for _pair in range(4))
    return f"+225 {rng.choice(('01', '05', '07'))} {pairs}"


def of_place(name: str) -> str:
    """French elision: "de Cocody", "d'Abobo"."""
    return f"d'{name}" if normalize_text(name)[:1] in set("aeiouy") else f"de {name}"


def email_for(first: str, last: str, domain: str) -> str:
    def local(part: str) -> str:
        return "".join(ch for ch in normalize_text(part) if ch.isalnum() or ch == "-")

    return f"{local(first)}.{local(last)}@{domain}"

"""`manage.py seed_demo`: demo users, a points-of-sale list, workflows, KPIs and six months of history.

Every row has a fixed identity (a uuid5 for UUID keys; a username, name, key, SKU or reference for the others)
and every random draw comes from a `random.Random` seeded per client, so a second run finds each row already
there and inserts nothing. Which rows exist never depends on the day the command runs: dates are placed
relative to today, but whether a row exists is decided on its offset in days. Only the monthly targets follow
the calendar, so a run in a new month adds that month's two targets.

Clients and their history are written with `bulk_create` rather than through the client services: the
services validate one client at a time, too slow for the 10,000-client benchmark. The one rule that matters
here, the list's schema, is applied all the same: every client's attributes go through `validate_attributes`
and its search text through `search_text`, exactly as `client_create` does.
"""

from __future__ import annotations

import datetime as dt
import math
import random
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import ROUND_CEILING, Decimal
from typing import Any, TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractUser, Group
from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.db import models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clients.models import Assignment, AttributeDefinition, Client, ClientList, ListAccess
from clients.phones import phone_parse
from clients.schema import (
    AttributeSpec,
    AttributeType,
    SchemaValidationError,
    normalize_text,
    search_text,
    validate_attributes,
)
from clients.services import client_list_schema_changed
from fieldsales.accounts import BACK_OFFICE, MANAGERS, REPS, ROLES, SUPERVISORS, reps_queryset
from fieldsales.models import Profile
from fieldsales.sync.feed import refresh_reps
from kpis.models import KpiDefinition, KpiFolder, LedgerEntry, Target
from kpis.services import kpi_cards_refresh_all
from workflows.models import Activity, ActivityKind, ActivitySubmission, Note, OrderLine, Product, Visit, Workflow

User = get_user_model()
M = TypeVar("M", bound=models.Model)

DEFAULT_CLIENTS = 300
DEFAULT_PASSWORD = "fieldsales"  # noqa: S105 - the documented demo password
# Visits, orders, notes and the ledger are made for the first clients only, so that --clients 10000 stays fast.
HISTORY_CLIENTS = 2000
HISTORY_DAYS = 182
# Clients generated and written together. It also bounds the `IN (...)` of the order-line check below
# under SQLite's 999-parameter limit.
CHUNK = 500
BATCH_SIZE = 1000
NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://fieldsales.example/seed_demo")
SEED = "fieldsales-demo-v1"
CENT = Decimal("0.01")
EARTH_RADIUS_M = 6_371_008.8
# Abidjan, from Abobo in the north to Port-Bouët on the coast, Yopougon in the west to Cocody in the east.
LAT_BOUNDS = (5.28, 5.43)
LNG_BOUNDS = (-4.10, -3.93)
SPREAD_DEG = 0.007  # about 800 m: points of sale cluster around their commune's centre

LIST_NAME = "Points de vente"
LIST_DESCRIPTION = "Boutiques, épiceries, maquis, kiosques et pharmacies d'Abidjan suivis par l'équipe terrain."


# -- Small pure helpers ---------------------------------------------------------------------------------------


def demo_id(kind: str, *parts: int) -> uuid.UUID:
    """The same UUID for the same demo row on every run and every database."""
    return uuid.uuid5(NAMESPACE, ":".join([kind, *(str(part) for part in parts)]))


def demo_random(kind: str, index: int) -> random.Random:
    """One generator per client and purpose: client n's data depends neither on --clients nor on other clients."""
    return random.Random(f"{SEED}:{kind}:{index}")


def haversine_m(lat1: float, lng1: float, lat2: float, lng2: float) -> float:
    """Great-circle distance in metres."""
    phi1, phi2 = math.radians(lat1), math.radians(lat2)
    half_dphi = (phi2 - phi1) / 2
    half_dlambda = math.radians(lng2 - lng1) / 2
    a = math.sin(half_dphi) ** 2 + math.cos(phi1) * math.cos(phi2) * math.sin(half_dlambda) ** 2
    return 2 * EARTH_RADIUS_M * math.asin(math.sqrt(a))


def offset_position(lat: float, lng: float, distance_m: float, bearing_deg: float) -> tuple[float, float]:
    """The point `distance_m` from (lat, lng) towards `bearing_deg` (a flat earth is exact enough below 1 km)."""
    bearing = math.radians(bearing_deg)
    dlat = distance_m * math.cos(bearing) / EARTH_RADIUS_M
    dlng = distance_m * math.sin(bearing) / (EARTH_RADIUS_M * math.cos(math.radians(lat)))
    return lat + math.degrees(dlat), lng + math.degrees(dlng)


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


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT)


# -- The demo's fixed content ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class DemoUser:
    username: str
    first_name: str
    last_name: str
    role: str | None
    is_staff: bool = False
    is_superuser: bool = False


DEMO_USERS = (
    DemoUser("admin", "Admin", "FieldSales", None, is_staff=True, is_superuser=True),
    DemoUser("clerk", "Nadia", "Kouamé", BACK_OFFICE, is_staff=True),
    DemoUser("manager", "Ibrahim", "Diabaté", MANAGERS, is_staff=True),
    DemoUser("sup1", "Mariam", "Traoré", SUPERVISORS, is_staff=True),
    DemoUser("rep1", "Awa", "Koné", REPS),
    DemoUser("rep2", "Yao", "Kouassi", REPS),
)
REP_USERNAMES = ("rep1", "rep2")


@dataclass(frozen=True)
class Commune:
    name: str
    lat: float
    lng: float
    weight: int
    rep: str  # whose territory it is


COMMUNES = (
    Commune("Abobo", 5.418, -4.016, 17, "rep2"),
    Commune("Adjamé", 5.357, -4.023, 9, "rep2"),
    Commune("Attécoubé", 5.337, -4.042, 6, "rep2"),
    Commune("Yopougon", 5.340, -4.075, 20, "rep2"),
    Commune("Cocody", 5.360, -3.975, 12, "rep1"),
    Commune("Plateau", 5.323, -4.020, 6, "rep1"),
    Commune("Treichville", 5.300, -4.010, 7, "rep1"),
    Commune("Marcory", 5.303, -3.983, 7, "rep1"),
    Commune("Koumassi", 5.297, -3.950, 9, "rep1"),
    Commune("Port-Bouët", 5.287, -3.945, 7, "rep1"),
)


@dataclass(frozen=True)
class Category:
    name: str
    weight: int
    surface_m2: tuple[int, int]
    turnover_fcfa: tuple[int, int]  # a month
    fridge_share: float
    names: tuple[str, ...]  # patterns over first, last, tree, virtue, place, commune


CATEGORIES = (
    Category(
        "Boutique",
        30,
        (10, 40),
        (400_000, 2_500_000),
        0.5,
        (
            "Boutique {last} & Fils",
            "Boutique Chez {first}",
            "Boutique {first} {last}",
            "Boutique Le {tree}",
            "Boutique de la {virtue}",
        ),
    ),
    Category(
        "Épicerie",
        25,
        (15, 60),
        (500_000, 3_000_000),
        0.7,
        (
            "Épicerie Chez {first}",
            "Épicerie {last} & Fils",
            "Alimentation {first} {last}",
            "Épicerie de la {virtue}",
            "Alimentation du {place}",
        ),
    ),
    Category(
        "Kiosque",
        15,
        (4, 12),
        (150_000, 600_000),
        0.2,
        ("Kiosque du {place}", "Kiosque Chez {first}", "Cabine {first} {last}", "Kiosque de la {virtue}"),
    ),
    Category(
        "Maquis",
        15,
        (40, 200),
        (800_000, 5_000_000),
        0.95,
        ("Maquis Le {tree}", "Maquis Chez {first}", "Maquis du {place}", "Maquis de la {virtue}"),
    ),
    Category(
        "Supermarché",
        8,
        (80, 400),
        (3_000_000, 20_000_000),
        1.0,
        (
            "Supérette de la {virtue}",
            "Supermarché Le {tree}",
            "Supérette Chez {first}",
            "Supermarché du {place}",
            "Supérette {last} & Frères",
        ),
    ),
    Category(
        "Pharmacie",
        7,
        (40, 150),
        (2_000_000, 12_000_000),
        0.9,
        ("Pharmacie du {place}", "Pharmacie de la {virtue}", "Pharmacie {last}", "Grande Pharmacie {commune}"),
    ),
)
CATEGORY_OPTIONS = ["Épicerie", "Boutique", "Supermarché", "Maquis", "Kiosque", "Pharmacie"]
SERVICE_OPTIONS = ["Mobile money", "Livraison", "Crédit", "Dépôt de gaz"]

FIRST_NAMES = (
    "Awa",
    "Aminata",
    "Fatou",
    "Mariam",
    "Adjoua",
    "Akissi",
    "Amenan",
    "Aya",
    "Ahou",
    "Salimata",
    "Rokia",
    "Christelle",
    "Konan",
    "Kouassi",
    "Kouadio",
    "Yao",
    "Koffi",
    "Kouamé",
    "Seydou",
    "Moussa",
    "Ibrahim",
    "Drissa",
    "Lassina",
    "Bakary",
    "Issouf",
    "Serge",
    "Didier",
    "Hervé",
    "Ange",
    "Jean-Marc",
)
LAST_NAMES = (
    "Koné",
    "Traoré",
    "Ouattara",
    "Coulibaly",
    "Diabaté",
    "Bamba",
    "Cissé",
    "Touré",
    "Konaté",
    "Kouassi",
    "Konan",
    "Kouadio",
    "Yao",
    "Koffi",
    "N'Guessan",
    "Kouamé",
    "Aka",
    "Assi",
    "Yapo",
    "Diallo",
    "Sangaré",
    "Dosso",
    "Fofana",
    "Soro",
    "Tano",
    "Brou",
    "Ehouman",
    "Amani",
    "Gnagne",
    "Zadi",
)
TREES = ("Baobab", "Fromager", "Flamboyant", "Palmier", "Manguier", "Cocotier", "Iroko", "Kapokier")
VIRTUES = ("Paix", "Grâce", "Joie", "Providence", "Confiance", "Réussite", "Fraternité", "Solidarité", "Victoire")
PLACES = ("Carrefour", "Marché", "Rond-Point", "Lycée", "Stade", "Terminus", "Campus", "Port", "Château d'Eau")
EMAIL_DOMAINS = ("gmail.com", "yahoo.fr", "outlook.com", "orange.ci", "aviso.ci")
REMARKS = (
    "Ouvert 7 j/7 de 6 h 30 à 22 h.",
    "Accès difficile en saison des pluies ; se garer au carrefour.",
    "Livraison uniquement le matin, avant 10 h.",
    "Le gérant préfère être appelé avant chaque visite.",
    "Point de vente très fréquenté le week-end et les jours de paie.",
    "Paiement en espèces ou par Mobile money uniquement.",
    "Fermé le dimanche après-midi.",
)
VISIT_NOTES = (
    "Le gérant demande une promotion sur l'huile Dinor.",
    "Rupture de riz parfumé depuis une semaine : à réapprovisionner en priorité.",
    "Client satisfait des délais de livraison.",
    "Le frigo est en panne, le gérant attend le technicien.",
    "Demande un délai de paiement jusqu'à la fin du mois.",
    "Nouveau gérant : présenter toute la gamme à la prochaine visite.",
    "Travaux dans la boutique la semaine prochaine, commande réduite.",
    "Le concurrent propose 5 % de remise sur le lait en poudre.",
    "Préfère régler par Mobile money.",
    "Emplacement en tête de gondole obtenu pour les sardines.",
    "Prix affichés non conformes : rappelé au gérant.",
    "Stock d'eau minérale insuffisant pour le week-end.",
    "Le gérant souhaite recevoir son relevé de compte par WhatsApp.",
    "Beaucoup de clients demandent le format 5 kg du riz.",
)
SHELF_COMMENTS = (
    "Rayon bien rangé.",
    "Produits concurrents mieux placés.",
    "Étiquettes de prix manquantes.",
    "Poussière sur les boîtes de lait.",
    "Nouvelle étagère installée.",
)

ATTRIBUTES: tuple[dict[str, Any], ...] = (
    {
        "key": "quartier",
        "type": AttributeType.TEXT,
        "label_fr": "Quartier",
        "label_en": "District",
        "required": True,
        "important": True,
    },
    {
        "key": "categorie",
        "type": AttributeType.CHOICE,
        "label_fr": "Catégorie",
        "label_en": "Category",
        "required": True,
        "important": True,
        "options": CATEGORY_OPTIONS,
    },
    {"key": "gerant", "type": AttributeType.TEXT, "label_fr": "Gérant", "label_en": "Manager", "important": True},
    {"key": "surface_m2", "type": AttributeType.INTEGER, "label_fr": "Surface (m²)", "label_en": "Floor area (m²)"},
    {
        "key": "ca_mensuel",
        "type": AttributeType.DECIMAL,
        "label_fr": "Chiffre d'affaires mensuel (FCFA)",
        "label_en": "Monthly turnover (FCFA)",
    },
    {"key": "ouverture", "type": AttributeType.DATE, "label_fr": "Date d'ouverture", "label_en": "Opening date"},
    {"key": "frigo", "type": AttributeType.BOOLEAN, "label_fr": "Réfrigérateur", "label_en": "Fridge"},
    {
        "key": "services",
        "type": AttributeType.MULTIPLE_CHOICE,
        "label_fr": "Services proposés",
        "label_en": "Services offered",
        "options": SERVICE_OPTIONS,
    },
    {"key": "email_gerant", "type": AttributeType.EMAIL, "label_fr": "Email du gérant", "label_en": "Manager's email"},
    {
        "key": "telephone_secondaire",
        "type": AttributeType.PHONE,
        "label_fr": "Téléphone secondaire",
        "label_en": "Second phone",
    },
    {"key": "remarques", "type": AttributeType.LONG_TEXT, "label_fr": "Remarques", "label_en": "Remarks"},
)

SHELF_PLACEMENTS = ["Tête de gondole", "Rayon principal", "Près de la caisse", "Arrière-boutique"]
SHELF_FIELDS = [
    {
        "key": "part_rayon",
        "type": "integer",
        "label_en": "Shelf share (%)",
        "label_fr": "Part de rayon (%)",
        "required": True,
    },
    {"key": "rupture", "type": "boolean", "label_en": "Out of stock", "label_fr": "Rupture de stock", "required": True},
    {
        "key": "emplacement",
        "type": "choice",
        "label_en": "Placement",
        "label_fr": "Emplacement",
        "required": True,
        "options": SHELF_PLACEMENTS,
    },
    {"key": "commentaire", "type": "long_text", "label_en": "Comment", "label_fr": "Commentaire"},
]
DEBT_FIELDS = [
    {
        "key": "montant_promis",
        "type": "decimal",
        "label_en": "Promised amount (FCFA)",
        "label_fr": "Montant promis (FCFA)",
        "required": True,
    },
    {"key": "date_promesse", "type": "date", "label_en": "Promised on", "label_fr": "Date promise", "required": True},
    {
        "key": "mode_paiement",
        "type": "choice",
        "label_en": "Payment method",
        "label_fr": "Mode de paiement",
        "options": ["Espèces", "Mobile money", "Chèque", "Virement"],
    },
    {"key": "commentaire", "type": "long_text", "label_en": "Comment", "label_fr": "Commentaire"},
]

SALES_VISIT = "Visite commerciale"
SHELF_CHECK = "Relevé de rayon"
ORDER_TAKING = "Prise de commande"
WORKFLOWS: tuple[dict[str, Any], ...] = (
    {
        "name_fr": SALES_VISIT,
        "name_en": "Sales visit",
        "order": 1,
        "activities": (
            {
                "name_fr": SHELF_CHECK,
                "name_en": "Shelf check",
                "kind": ActivityKind.FORM,
                "requires_visit": True,
                "requires_geo_checkin": True,
                "radius_m": 100,
                "fields": SHELF_FIELDS,
            },
            {
                "name_fr": ORDER_TAKING,
                "name_en": "Order taking",
                "kind": ActivityKind.ORDER,
                "requires_visit": True,
                "requires_geo_checkin": True,
                "radius_m": 100,
                "fields": [],
            },
            {
                "name_fr": "Note de visite",
                "name_en": "Visit note",
                "kind": ActivityKind.NOTE,
                "requires_visit": True,
                "requires_geo_checkin": False,
                "radius_m": 100,
                "fields": [],
            },
        ),
    },
    {
        "name_fr": "Recouvrement",
        "name_en": "Debt collection",
        "order": 2,
        "activities": (
            {
                "name_fr": "Promesse de paiement",
                "name_en": "Payment promise",
                "kind": ActivityKind.FORM,
                "requires_visit": False,
                "requires_geo_checkin": False,
                "radius_m": 100,
                "fields": DEBT_FIELDS,
            },
        ),
    },
)

# SKU, name, unit price in FCFA.
PRODUCTS = (
    ("DIN-HUI-1L", "Huile Dinor 1 L", "1500"),
    ("RIZ-PAR-5KG", "Riz parfumé 5 kg", "4500"),
    ("BRO-LAI-400G", "Lait Bonnet Rouge 400 g", "2600"),
    ("SUC-MOR-1KG", "Sucre en morceaux 1 kg", "1000"),
    ("AWA-EAU-1L5", "Eau minérale Awa 1,5 L", "350"),
    ("GIN-TOM-400G", "Tomate concentrée Gino 400 g", "900"),
    ("MAG-CUB-100", "Bouillon Maggi, boîte de 100 cubes", "2000"),
    ("TIT-SAR-125G", "Sardines Titus 125 g", "500"),
    ("MAD-SAV-300G", "Savon Madar 300 g", "400"),
    ("PAN-SPA-500G", "Spaghetti Panzani 500 g", "650"),
)
QUANTITIES = (1, 2, 3, 4, 5, 6, 10, 12, 24)

Display = KpiDefinition.Display
# Folder (English, French), then each KPI: key, metric, params, English label, French label, display.
KPIS: tuple[tuple[tuple[str, str], tuple[tuple[str, str, dict[str, Any], str, str, str], ...]], ...] = (
    (
        ("Sales", "Ventes"),
        (
            (
                "previous_order_value",
                "previous_order_value",
                {},
                "Previous order",
                "Commande précédente",
                Display.MONEY,
            ),
            (
                "average_order_value_90d",
                "average_order_value",
                {"days": 90},
                "Average order (90 days)",
                "Commande moyenne (90 jours)",
                Display.MONEY,
            ),
            (
                "target_achievement",
                "target_achievement",
                {"period": "month"},
                "Monthly target achieved",
                "Objectif du mois atteint",
                Display.PERCENT,
            ),
        ),
    ),
    (
        ("Debt", "Dette"),
        (
            ("debt_balance", "debt_balance", {}, "Balance due", "Solde dû", Display.MONEY),
            ("overdue_amount", "overdue_amount", {}, "Overdue", "Montant échu", Display.MONEY),
            (
                "overdue_amount_30d",
                "overdue_amount",
                {"days": 30},
                "Overdue by more than 30 days",
                "Échu depuis plus de 30 jours",
                Display.MONEY,
            ),
        ),
    ),
    (
        ("Visits", "Visites"),
        (
            (
                "days_since_last_visit",
                "days_since_last_visit",
                {},
                "Days since last visit",
                "Jours depuis la dernière visite",
                Display.DAYS,
            ),
            (
                "visits_count_90d",
                "visits_count",
                {"days": 90},
                "Visits (90 days)",
                "Visites (90 jours)",
                Display.NUMBER,
            ),
            ("activity_status", "activity_status", {"days": 60}, "Activity status", "Statut d'activité", Display.TEXT),
        ),
    ),
)
TARGET_MONTHS = 6
TARGET_STEP = Decimal(50_000)

# What the summary counts, in this order.
SEEDED_MODELS: tuple[type[models.Model], ...] = (
    User,
    Group,
    Profile,
    ClientList,
    AttributeDefinition,
    ListAccess,
    Client,
    Assignment,
    Product,
    Workflow,
    Activity,
    Visit,
    ActivitySubmission,
    OrderLine,
    Note,
    LedgerEntry,
    KpiFolder,
    KpiDefinition,
    Target,
)


# -- Writing --------------------------------------------------------------------------------------------------


def ensure(model: type[M], lookup: dict[str, Any], defaults: dict[str, Any]) -> tuple[M, bool]:
    """The row matching `lookup`, or a new one from `defaults` that passed the model's own validation."""
    instance = model._default_manager.filter(**lookup).first()
    if instance is not None:
        return instance, False
    instance = model(**lookup, **defaults)
    instance.full_clean()
    instance.save()
    return instance, True


@dataclass(frozen=True)
class Demo:
    """What the client generator needs from the rows made before it."""

    today: dt.date
    list_id: int
    specs: list[AttributeSpec]
    clerk_id: int
    rep_ids: dict[str, int]
    products: list[Product]
    sales_visit_id: int
    shelf_check_id: int
    shelf_specs: list[AttributeSpec]
    order_taking_id: int


@dataclass
class Batch:
    clients: list[Client] = field(default_factory=list)
    assignments: list[Assignment] = field(default_factory=list)
    visits: list[Visit] = field(default_factory=list)
    submissions: list[ActivitySubmission] = field(default_factory=list)
    lines: list[OrderLine] = field(default_factory=list)
    notes: list[Note] = field(default_factory=list)
    ledger: list[LedgerEntry] = field(default_factory=list)

    def write(self) -> None:
        options: dict[str, Any] = {"batch_size": BATCH_SIZE, "ignore_conflicts": True}
        Client.objects.bulk_create(self.clients, **options)
        Assignment.objects.bulk_create(self.assignments, **options)
        Visit.objects.bulk_create(self.visits, **options)
        ActivitySubmission.objects.bulk_create(self.submissions, **options)
        # Order lines have no natural key to conflict on: add them only to orders that have none yet.
        visited = {visit.client_id for visit in self.visits}
        done = set(
            OrderLine.objects.filter(submission__visit__client_id__in=visited).values_list("submission_id", flat=True)
        )
        OrderLine.objects.bulk_create([line for line in self.lines if line.submission_id not in done], **options)
        Note.objects.bulk_create(self.notes, **options)
        LedgerEntry.objects.bulk_create(self.ledger, **options)


SalesByRepMonth = defaultdict[tuple[int, int, int], Decimal]


def build_client(index: int, demo: Demo) -> tuple[Client, list[int], tuple[float, float]]:
    """Client number `index`, the ids of the reps it is assigned to, and its position."""
    rng = demo_random("client", index)
    commune = rng.choices(COMMUNES, weights=[commune.weight for commune in COMMUNES])[0]
    category = rng.choices(CATEGORIES, weights=[category.weight for category in CATEGORIES])[0]
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    name = rng.choice(category.names).format(
        first=first,
        last=last,
        tree=rng.choice(TREES),
        virtue=rng.choice(VIRTUES),
        place=rng.choice(PLACES),
        commune=of_place(commune.name),
    )
    lat = round(clamp(rng.gauss(commune.lat, SPREAD_DEG), LAT_BOUNDS), 6)
    lng = round(clamp(rng.gauss(commune.lng, SPREAD_DEG), LNG_BOUNDS), 6)
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
    try:
        attributes = validate_attributes(demo.specs, raw)
    except SchemaValidationError as error:
        raise CommandError(
            _("The list “%(list)s” no longer accepts the demo data (%(errors)s). Rename it and run the command again.")
            % {
                "list": LIST_NAME,
                "errors": "; ".join(f"{key}: {' '.join(msgs)}" for key, msgs in error.message_dict.items()),
            }
        ) from None
    home = demo.rep_ids[commune.rep]
    other = next(rep_id for rep_id in demo.rep_ids.values() if rep_id != home)
    # A handful of clients are shared by both reps.
    rep_ids = [home, other] if index % 20 == 7 else [home]
    created_by = home if rng.random() < 0.3 else demo.clerk_id
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


def build_history(
    index: int, client: Client, rep_ids: list[int], position: tuple[float, float], demo: Demo, batch: Batch
) -> SalesByRepMonth:
    """Six months of visits, orders, shelf checks, notes and ledger entries for one client.

    Every draw is made whatever the date, and a row's existence depends on offsets in days only, so the
    same rows come out on any day (their dates move with today, their identities do not).
    """
    rng = demo_random("history", index)
    sales: SalesByRepMonth = defaultdict(Decimal)
    lapsed_after = rng.randint(60, 120) if rng.random() < 0.1 else 0  # no visit since then: an inactive client
    payer = rng.choices(("good", "late", "bad"), weights=(70, 20, 10))[0]
    unpaid_after = rng.randint(45, 100)  # a bad payer has paid nothing for this many days
    offsets: list[int] = []
    offset = rng.randint(1, 21)
    while offset <= HISTORY_DAYS:
        if offset >= lapsed_after:
            offsets.append(offset)
        offset += rng.randint(14, 28)
    client_lat, client_lng = position
    for number, offset in enumerate(reversed(offsets), start=1):
        day = demo.today - dt.timedelta(days=offset)
        if day.weekday() == 6:  # shops are visited Monday to Saturday
            day -= dt.timedelta(days=1)
        # Abidjan is on UTC all year: these are local times too.
        checked_in_at = dt.datetime.combine(day, dt.time(8), tzinfo=dt.UTC) + dt.timedelta(
            minutes=rng.randint(0, 9 * 60 + 30)
        )
        ended_at = checked_in_at + dt.timedelta(minutes=rng.randint(10, 40))
        lat, lng = offset_position(client_lat, client_lng, rng.uniform(1, 38), rng.uniform(0, 360))
        lat, lng = round(lat, 6), round(lng, 6)
        rep_id = rng.choice(rep_ids)
        visit = Visit(
            id=demo_id("visit", index, number),
            rep_id=rep_id,
            client_id=client.id,
            workflow_id=demo.sales_visit_id,
            checkin_lat=lat,
            checkin_lng=lng,
            checkin_accuracy_m=round(rng.uniform(5, 30), 1),
            distance_m=round(haversine_m(client_lat, client_lng, lat, lng), 1),
            checked_in_at=checked_in_at,
            ended_at=ended_at,
        )
        batch.visits.append(visit)

        shelf_draw, note_draw = rng.random(), rng.random()
        shelf = {
            "part_rayon": rng.randint(5, 60),
            "rupture": rng.random() < 0.2,
            "emplacement": rng.choice(SHELF_PLACEMENTS),
        }
        comment = rng.choice(SHELF_COMMENTS)
        if rng.random() < 0.3:
            shelf["commentaire"] = comment
        if shelf_draw < 0.6:
            batch.submissions.append(
                ActivitySubmission(
                    id=demo_id("shelf", index, number),
                    visit_id=visit.id,
                    client_id=visit.client_id,
                    activity_id=demo.shelf_check_id,
                    values=validate_attributes(demo.shelf_specs, shelf),
                    submitted_at=checked_in_at + dt.timedelta(minutes=rng.randint(2, 6)),
                )
            )

        order_id = demo_id("order", index, number)
        total = Decimal(0)
        for product in rng.sample(demo.products, rng.randint(1, 4)):
            quantity = Decimal(rng.choice(QUANTITIES))
            value = money(quantity * product.unit_price)
            total += value
            batch.lines.append(
                OrderLine(
                    submission_id=order_id,
                    product_id=product.pk,
                    quantity=quantity,
                    unit_price=product.unit_price,
                    value=value,
                )
            )
        batch.submissions.append(
            ActivitySubmission(
                id=order_id,
                visit_id=visit.id,
                client_id=visit.client_id,
                activity_id=demo.order_taking_id,
                values={},
                order_total=total,
                submitted_at=ended_at - dt.timedelta(minutes=rng.randint(1, 3)),
            )
        )
        sales[(rep_id, day.year, day.month)] += total

        text = " ".join(rng.sample(VISIT_NOTES, rng.randint(1, 2)))
        if note_draw < 0.25:
            batch.notes.append(
                Note(
                    id=demo_id("note", index, number),
                    client_id=client.id,
                    visit_id=visit.id,
                    author_id=rep_id,
                    text=text,
                    created_at=ended_at,
                )
            )

        reference = f"{index + 1:05d}-{number:03d}"
        batch.ledger.append(
            LedgerEntry(
                client_id=client.id,
                date=day,
                kind=LedgerEntry.Kind.INVOICE,
                reference=f"FA-{reference}",
                amount=total,
                due_date=day + dt.timedelta(days=30),
            )
        )
        due = total
        credit_draw, credit_delay, credit_percent = rng.random(), rng.randint(2, 10), rng.choice((5, 10, 15))
        if credit_draw < 0.06 and credit_delay <= offset:
            credit = money(total * credit_percent / 100)
            due -= credit
            batch.ledger.append(
                LedgerEntry(
                    client_id=client.id,
                    date=day + dt.timedelta(days=credit_delay),
                    kind=LedgerEntry.Kind.CREDIT_NOTE,
                    reference=f"AV-{reference}",
                    amount=credit,
                )
            )
        delay = {"good": rng.randint(3, 25), "late": rng.randint(35, 75), "bad": rng.randint(20, 60)}[payer]
        partial = rng.random() < 0.3
        if delay <= offset and not (payer == "bad" and offset < unpaid_after):
            batch.ledger.append(
                LedgerEntry(
                    client_id=client.id,
                    date=day + dt.timedelta(days=delay),
                    kind=LedgerEntry.Kind.PAYMENT,
                    reference=f"RG-{reference}",
                    amount=money(due / 2) if payer == "late" and partial else due,
                )
            )
    return sales


def month_start(day: dt.date, months_back: int) -> dt.date:
    month = day.year * 12 + day.month - 1 - months_back
    return dt.date(month // 12, month % 12 + 1, 1)


def month_end(start: dt.date) -> dt.date:
    return month_start(start, -1) - dt.timedelta(days=1)


# -- The command ----------------------------------------------------------------------------------------------


class Command(BaseCommand):
    help = _(
        "Load the demo data: the users admin, clerk, manager, sup1, rep1 and rep2, the “Points de vente” list and "
        "its clients, products, two workflows, KPIs and monthly targets, and six months of visits, orders, notes and "
        "ledger entries for the first %(history)d clients (whatever --clients says, so that large runs stay "
        "fast). Idempotent: a second run adds nothing and leaves existing rows as they are, except the demo users' "
        "roles and password, which are set again."
    ) % {"history": HISTORY_CLIENTS}

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--clients",
            type=int,
            default=DEFAULT_CLIENTS,
            help=_("Number of clients to create (default: %(default)s)."),
        )
        parser.add_argument(
            "--password",
            default=DEFAULT_PASSWORD,
            help=_("Password of every demo user, set on each run (default: %(default)s)."),
        )

    def handle(self, *args: Any, **options: Any) -> None:
        count: int = options["clients"]
        password: str = options["password"]
        if count < 1:
            raise CommandError(_("--clients must be at least 1."))
        if not password:
            raise CommandError(_("--password must not be empty."))
        started = time.monotonic()
        with transaction.atomic():
            users = self.seed_users(password)
            demo = self.seed_reference_data(users)
            sales = self.seed_clients(demo, count)
            self.seed_targets(demo, sales)
            # The rows above were bulk-written, past the services: bring the reps' sync feeds in step at once.
            refresh_reps(reps_queryset().values_list("pk", flat=True))
            # Likewise the KPI cards, which the services keep up to date from then on.
            kpi_cards_refresh_all()
        if options["verbosity"] >= 1:
            self.print_summary(time.monotonic() - started, count)

    def seed_users(self, password: str) -> dict[str, AbstractUser]:
        groups = {role: Group.objects.get_or_create(name=role)[0] for role in ROLES}
        # One hash for them all: PBKDF2 costs about 0.3 s a call, and they share the documented password anyway.
        encoded = make_password(password)
        users: dict[str, AbstractUser] = {}
        for spec in DEMO_USERS:
            user = User.objects.get_or_create(username=spec.username)[0]
            user.first_name = spec.first_name
            user.last_name = spec.last_name
            user.email = user.email or f"{spec.username}@fieldsales.example"
            user.is_active = True
            user.is_staff = spec.is_staff
            user.is_superuser = spec.is_superuser
            user.password = encoded
            user.save()
            user.groups.set([groups[spec.role]] if spec.role else [])
            users[spec.username] = user
        for username in REP_USERNAMES:
            Profile.objects.update_or_create(user_id=users[username].pk, defaults={"supervisor_id": users["sup1"].pk})
        return users

    def seed_reference_data(self, users: dict[str, AbstractUser]) -> Demo:
        client_list, list_created = ensure(ClientList, {"name": LIST_NAME}, {"description": LIST_DESCRIPTION})
        schema_grew = False
        for position, attribute in enumerate(ATTRIBUTES, start=1):
            lookup = {"client_list": client_list, "key": attribute["key"]}
            defaults = {name: value for name, value in attribute.items() if name != "key"}
            schema_grew |= ensure(AttributeDefinition, lookup, {**defaults, "order": position * 10})[1]
        if schema_grew and not list_created:
            # A list that phones may already hold: bump its version and re-index its clients' search text.
            client_list_schema_changed(client_list=client_list)
        reps = Group.objects.get(name=REPS)
        ensure(
            ListAccess,
            {"client_list": client_list, "group": reps},
            {"can_create": True, "can_edit": True, "can_archive": False},
        )
        specs = ClientList.objects.prefetch_related("attributes").get(pk=client_list.pk).specs()

        for sku, name, price in PRODUCTS:
            ensure(Product, {"sku": sku}, {"name": name, "unit_price": Decimal(price)})
        products = list(Product.objects.filter(sku__in=[sku for sku, _name, _price in PRODUCTS]).order_by("sku"))

        activities: dict[str, Activity] = {}
        workflows: dict[str, Workflow] = {}
        for spec in WORKFLOWS:
            workflow = ensure(
                Workflow, {"name_fr": spec["name_fr"]}, {"name_en": spec["name_en"], "order": spec["order"]}
            )[0]
            workflow.client_lists.add(client_list)
            workflows[spec["name_fr"]] = workflow
            for position, activity in enumerate(spec["activities"], start=1):
                lookup = {"workflow": workflow, "name_fr": activity["name_fr"]}
                defaults = {name: value for name, value in activity.items() if name != "name_fr"}
                activities[activity["name_fr"]] = ensure(Activity, lookup, {**defaults, "order": position})[0]

        for position, ((folder_en, folder_fr), definitions) in enumerate(KPIS, start=1):
            folder = ensure(KpiFolder, {"name_en": folder_en}, {"name_fr": folder_fr})[0]
            for order, (key, metric, params, label_en, label_fr, display) in enumerate(definitions, start=1):
                defaults = {
                    "metric": metric,
                    "params": params,
                    "label_en": label_en,
                    "label_fr": label_fr,
                    "folder": folder,
                    "display": display,
                    "order": position * 10 + order,
                }
                ensure(KpiDefinition, {"key": key}, defaults)

        return Demo(
            today=timezone.localdate(),
            list_id=client_list.pk,
            specs=specs,
            clerk_id=users["clerk"].pk,
            rep_ids={username: users[username].pk for username in REP_USERNAMES},
            products=products,
            sales_visit_id=workflows[SALES_VISIT].pk,
            shelf_check_id=activities[SHELF_CHECK].pk,
            shelf_specs=activities[SHELF_CHECK].specs(),
            order_taking_id=activities[ORDER_TAKING].pk,
        )

    def seed_clients(self, demo: Demo, count: int) -> SalesByRepMonth:
        sales: SalesByRepMonth = defaultdict(Decimal)
        for start in range(0, count, CHUNK):
            batch = Batch()
            for index in range(start, min(start + CHUNK, count)):
                client, rep_ids, position = build_client(index, demo)
                batch.clients.append(client)
                batch.assignments.extend(Assignment(client_id=client.id, rep_id=rep_id) for rep_id in rep_ids)
                if index < HISTORY_CLIENTS:
                    for key, value in build_history(index, client, rep_ids, position, demo, batch).items():
                        sales[key] += value
            batch.write()
        return sales

    def seed_targets(self, demo: Demo, sales: SalesByRepMonth) -> None:
        """A monthly target per rep, the same each month: 10 % above the rep's average month, in round figures."""
        for rep_id in demo.rep_ids.values():
            average = sum((value for (rep, *_month), value in sales.items() if rep == rep_id), Decimal(0))
            average /= TARGET_MONTHS
            steps = (average * Decimal("1.1") / TARGET_STEP).to_integral_value(ROUND_CEILING)
            value = max(steps, Decimal(1)) * TARGET_STEP
            for months_back in range(TARGET_MONTHS):
                start = month_start(demo.today, months_back)
                ensure(
                    Target,
                    {"rep_id": rep_id, "client": None, "period_start": start, "period_end": month_end(start)},
                    {"value": value},
                )

    def print_summary(self, seconds: float, count: int) -> None:
        self.stdout.write(self.style.SUCCESS(_("Demo data ready in %(seconds).1f s.") % {"seconds": seconds}))
        for model in SEEDED_MODELS:
            self.stdout.write(f"  {model._meta.verbose_name_plural}: {model._default_manager.count()}")
        if count > HISTORY_CLIENTS:
            self.stdout.write(
                _("Visits, orders, notes and the ledger cover the first %(history)d of %(count)d clients.")
                % {"history": HISTORY_CLIENTS, "count": count}
            )

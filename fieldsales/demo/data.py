"""The demo's fixed content: who works there, where the points of sale are, what they sell, the list's schema, the
workflows and the KPIs. Plain values only; the builders beside this module turn them into rows."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from clients.schema import AttributeType
from fieldsales.accounts import BACK_OFFICE, MANAGERS, REPS, SUPERVISORS
from kpis.models import KpiDefinition
from workflows.models import ActivityKind

LIST_NAME = "Points de vente"
LIST_DESCRIPTION = "Boutiques, épiceries, maquis, kiosques et pharmacies d'Abidjan suivis par l'équipe terrain."
# Abidjan, from Abobo in the north to Port-Bouët on the coast, Yopougon in the west to Cocody in the east.
LAT_BOUNDS = (5.28, 5.43)
LNG_BOUNDS = (-4.10, -3.93)
SPREAD_DEG = 0.007  # about 800 m: points of sale cluster around their commune's centre
HISTORY_DAYS = 182


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
                {},  # the target's own period: the demo's targets are monthly
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
            ("overdue_amount", "debt_overdue", {"days": 0}, "Overdue", "Montant échu", Display.MONEY),
            (
                "overdue_amount_30d",
                "debt_overdue",
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
            (
                "activity_status",
                "activity_status",
                {"active_days": 60},
                "Activity status",
                "Statut d'activité",
                Display.TEXT,
            ),
        ),
    ),
)
TARGET_MONTHS = 6
TARGET_STEP = Decimal(50_000)

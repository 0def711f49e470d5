"""The OpenAPI document of the API, its validity, Swagger UI served without any outside host, and real answers
matching what the document promises."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
import yaml
from django.core.management import call_command
from django.test import Client as HttpClient

from tests.factories import (
    ActivityFactory,
    NoteFactory,
    OrderLineFactory,
    ProductFactory,
    SubmissionFactory,
    VisitFactory,
    WorkflowFactory,
)

PATHS = [
    "/api/sync/pull",
    "/api/sync/push",
    "/api/sync/blobs/{blob_id}",
    "/api/clients/",
    "/api/clients/{id}/",
    "/api/clients/{client_id}/history/",
    "/api/clients/{client_id}/notes/",
    "/api/workflows/",
    "/api/products/",
]


@pytest.fixture
def schema(db) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = HttpClient().get("/api/schema/", {"format": "json"})
    assert response.status_code == 200
    return response.json()


def test_the_schema_is_an_openapi_3_document_with_every_endpoint(schema):
    assert schema["openapi"].startswith("3")
    assert schema["info"]["title"] == "FieldSales API"
    assert set(PATHS) <= set(schema["paths"])


def test_the_schema_is_served_as_yaml_too(db):
    response = HttpClient().get("/api/schema/")
    assert response.status_code == 200
    document = yaml.safe_load(response.content)
    assert document["openapi"].startswith("3")
    assert set(PATHS) <= set(document["paths"])


def test_the_schema_passes_drf_spectacular_validation_without_a_warning(db, tmp_path):
    target = tmp_path / "schema.yaml"
    # Raises CommandError on any warning or on a document the OpenAPI 3 meta-schema rejects.
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(target))
    assert yaml.safe_load(target.read_text())["openapi"].startswith("3")


def test_every_operation_has_a_unique_id_and_a_summary(schema):
    operations = [op for path in schema["paths"].values() for op in path.values()]
    ids = [op["operationId"] for op in operations]
    assert len(ids) == len(set(ids))
    assert all(op.get("summary") for op in operations)


def test_the_push_body_is_documented_as_json_only(schema):
    assert list(schema["paths"]["/api/sync/push"]["post"]["requestBody"]["content"]) == ["application/json"]


def test_a_blob_upload_documents_the_body_of_both_200_and_201(schema):
    responses = schema["paths"]["/api/sync/blobs/{blob_id}"]["put"]["responses"]
    for code in ("200", "201"):
        assert responses[code]["content"]["application/json"]["schema"] == {"$ref": "#/components/schemas/SyncBlob"}


def test_the_client_list_documents_its_parameters_and_its_400(schema):
    operation = schema["paths"]["/api/clients/"]["get"]
    names = {parameter["name"] for parameter in operation["parameters"]}
    assert {"q", "near", "radius_m", "cursor", "attribute_filters"} <= names
    assert not any("<" in name for name in names), "a parameter name a client generator cannot use"
    assert "400" in operation["responses"]


# Swagger UI ---------------------------------------------------------------------------------------


def test_swagger_ui_is_served_from_the_projects_own_static_files(db):
    http = HttpClient()
    response = http.get("/api/docs/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", html), "an asset from another host"
    assets = re.findall(r"""(?:src|href)=["']([^"']+)["']""", html)
    assert {asset.rsplit("/", 1)[-1] for asset in assets} >= {
        "swagger-ui-bundle.js",
        "swagger-ui-standalone-preset.js",
        "swagger-ui.css",
    }
    for asset in assets:
        # The start script comes from the docs view itself (no inline script under the Content-Security-Policy).
        assert asset.startswith("/static/drf_spectacular_sidecar/") or asset == "/api/docs/?script=", asset
        served = http.get(asset)
        assert served.status_code == 200, asset
        assert served.content if not served.streaming else b"".join(served.streaming_content), asset


def test_swagger_ui_loads_the_schema_of_this_server(db):
    script = HttpClient().get("/api/docs/?script=").content.decode()
    assert '"/api/schema/"' in script


# Answers match the document -----------------------------------------------------------------------

TYPES: dict[str, tuple[type, ...]] = {
    "string": (str,),
    "integer": (int,),
    "number": (int, float),
    "boolean": (bool,),
    "array": (list,),
    "object": (dict,),
}


def conforms(value: Any, node: dict[str, Any], components: dict[str, Any], where: str = "$") -> None:
    """Assert that `value` has the shape `node` describes: the same keys, values of the right types."""
    if "$ref" in node:
        node = components[node["$ref"].rsplit("/", 1)[-1]]
    if value is None:
        assert node.get("nullable"), f"{where} is null"
        return
    kind = node.get("type")
    if kind is None:
        return  # free-form
    assert isinstance(value, TYPES[kind]) and not (kind in ("integer", "number") and isinstance(value, bool)), (
        f"{where}: {value!r} is not {kind}"
    )
    if kind == "array":
        for index, item in enumerate(value):
            conforms(item, node["items"], components, f"{where}[{index}]")
    elif kind == "object" and "properties" in node:
        assert set(value) == set(node["properties"]), f"{where}: keys {sorted(value)} != {sorted(node['properties'])}"
        for key, item in value.items():
            conforms(item, node["properties"][key], components, f"{where}.{key}")


def answer_schema(schema: dict[str, Any], path: str) -> dict[str, Any]:
    return schema["paths"][path]["get"]["responses"]["200"]["content"]["application/json"]["schema"]


def test_real_answers_have_the_documented_shape(schema, api, make_client_by_awa, awa):
    client = make_client_by_awa("Boutique Awa", {"quartier": "Cocody", "categorie": "Boutique", "surface_m2": 40})
    workflow = WorkflowFactory(name_en="Sales visit")
    visit = VisitFactory(
        client=client, rep=awa, workflow=workflow, checked_in_at=dt.datetime(2026, 11, 20, tzinfo=dt.UTC)
    )
    submission = SubmissionFactory(visit=visit, activity=ActivityFactory(workflow=workflow), values={"x": 1})
    OrderLineFactory(submission=submission, product=ProductFactory())
    VisitFactory(client=client, rep=awa, workflow=workflow)  # without any submission
    NoteFactory(client=client, author=awa, visit=visit)
    NoteFactory(client=client, author=None)
    components = schema["components"]["schemas"]

    answers = {
        "/api/clients/": api.get("/api/clients/"),
        "/api/clients/{id}/": api.get(f"/api/clients/{client.pk}/"),
        "/api/clients/{client_id}/history/": api.get(f"/api/clients/{client.pk}/history/"),
        "/api/clients/{client_id}/notes/": api.get(f"/api/clients/{client.pk}/notes/"),
        "/api/workflows/": api.get("/api/workflows/"),
        "/api/products/": api.get("/api/products/"),
    }
    answers["/api/clients/ near"] = api.get("/api/clients/", {"near": "5.35,-4.0"})

    for path, response in answers.items():
        assert response.status_code == 200, (path, response.content)
        conforms(response.json(), answer_schema(schema, path.split(" ")[0]), components, path)
    assert answers["/api/clients/ near"].json()["results"][0]["distance_m"] is not None


def test_ids_in_the_history_join_the_workflows_and_products_lists(api, make_client_by_awa, awa):
    client = make_client_by_awa("Boutique Awa")
    workflow = WorkflowFactory()
    product = ProductFactory()
    visit = VisitFactory(client=client, rep=awa, workflow=workflow)
    OrderLineFactory(
        submission=SubmissionFactory(visit=visit, activity=ActivityFactory(workflow=workflow)), product=product
    )
    (listed_visit,) = api.get(f"/api/clients/{client.pk}/history/").json()["results"]
    workflows = {item["id"]: item for item in api.get("/api/workflows/").json()}
    products = {item["id"]: item for item in api.get("/api/products/").json()}
    assert listed_visit["workflow"] in workflows
    assert listed_visit["submissions"][0]["activity"] in {
        a["id"] for a in workflows[listed_visit["workflow"]]["activities"]
    }
    assert listed_visit["submissions"][0]["lines"][0]["product"] in products

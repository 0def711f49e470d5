"""CSRF: a request that changes something, sent with the session cookie, is refused (403) without the CSRF token the
page or the app holds, and goes through with it.

The browsers here check tokens as a real one is checked (`enforce_csrf_checks=True`) and sign in through the sign-in
form, as the rep's phone does: they hold the CSRF cookie that signing in sets, and the app sends its value in the
`X-CSRFToken` header (static/js/lib/sync.js), a page's form in `csrfmiddlewaretoken`. Each refused request is then
sent again, the same but for the token, and goes through: the token is what was missing.
"""

from __future__ import annotations

import io
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.test import Client as HttpClient
from PIL import Image

from clients.models import Client
from fieldsales.models import Blob
from kpis.models import StatementDelivery
from tests.factories import BackOfficeFactory, RepFactory, make_client, make_pos_list, reps_may_edit
from tests.routes import all_routes, body
from tests.sync.conftest import op
from workflows.models import Note, Product

PASSWORD = "fieldsales"  # tests.factories.UserFactory's
# Well-formed, but not the token of this browser's cookie.
WRONG_TOKEN = "A" * 64


@dataclass
class World:
    rep: Any
    clerk: Any
    shop: Client
    product: Product
    # Ids the requests below create records under, so that whether they did is one query.
    ids: dict[str, str] = field(default_factory=lambda: {name: str(uuid.uuid4()) for name in ("note", "blob", "sent")})


@pytest.fixture
def world(db, settings, tmp_path) -> World:  # type: ignore[no-untyped-def]
    settings.MEDIA_ROOT = tmp_path / "media"
    pos_list = reps_may_edit(make_pos_list())
    rep = RepFactory(username="awa")
    shop = make_client(pos_list, user=rep, reps=(rep,), name="Chez Awa", statement_enabled=True)
    product = Product.objects.create(sku="SAV-1", name="Savon", unit_price="1500.00")
    return World(rep=rep, clerk=BackOfficeFactory(username="clerk"), shop=shop, product=product)


def browser() -> HttpClient:
    return HttpClient(enforce_csrf_checks=True)


def csrf_cookie(http: HttpClient) -> str:
    return http.cookies["csrftoken"].value


def signed_in(user: Any) -> HttpClient:
    """Signed in through the form, holding the CSRF cookie the sign-in sets (a new one: signing in rotates it)."""
    http = browser()
    http.get("/accounts/login/")
    response = http.post(
        "/accounts/login/",
        {"username": user.username, "password": PASSWORD, "csrfmiddlewaretoken": csrf_cookie(http)},
    )
    assert response.status_code == 302, body(response)
    return http


def refused_for_csrf(response: Any) -> bool:
    """403 from the CSRF check itself (Django's page, or DRF's "CSRF Failed", which a view rendering HTML does not
    show but keeps in the response's data), not from a permission."""
    return response.status_code == 403 and "CSRF" in body(response) + str(getattr(response, "data", ""))


def jpeg() -> bytes:
    output = io.BytesIO()
    Image.new("RGB", (32, 32), "teal").save(output, "JPEG")
    return output.getvalue()


# What each unsafe endpoint is sent: the same request twice, once without (or with a wrong) token, once with it.


def api(method: str, url: str, payload: Any, content_type: str = "application/json") -> Callable[..., Any]:
    def send(http: HttpClient, token: str | None) -> Any:
        headers = {"X-CSRFToken": token} if token else {}
        data = json.dumps(payload) if content_type == "application/json" else payload
        return http.generic(method, url, data, content_type=content_type, headers=headers)

    return send


def form(url: str, data: dict[str, Any]) -> Callable[..., Any]:
    def send(http: HttpClient, token: str | None) -> Any:
        return http.post(url, {**data, **({"csrfmiddlewaretoken": token} if token else {})})

    return send


@dataclass(frozen=True)
class Case:
    who: str  # "rep", "clerk" or "anonymous" (a browser that has opened the sign-in page)
    request: Callable[[World], Callable[[HttpClient, str | None], Any]]
    ok: int
    # Whether the request did what it asks, seen from the database or the browser.
    done: Callable[[World, HttpClient], bool]


CASES: dict[str, Case] = {
    "sync push": Case(
        "rep",
        lambda world: api(
            "POST",
            "/api/sync/push",
            {
                "device": str(uuid.uuid4()),
                "ops": [op("note.create", world.ids["note"], {"client": str(world.shop.pk), "text": "Rayon refait"})],
            },
        ),
        200,
        lambda world, http: Note.objects.filter(pk=world.ids["note"]).exists(),
    ),
    "photo upload": Case(
        "rep",
        lambda world: api("PUT", f"/api/sync/blobs/{world.ids['blob']}", jpeg(), content_type="image/jpeg"),
        201,
        lambda world, http: Blob.objects.filter(pk=world.ids["blob"]).exists(),
    ),
    "statement send": Case(
        "rep",
        lambda world: api(
            "POST",
            f"/api/clients/{world.shop.pk}/statement/",
            {"channel": "sms", "recipient": "+2250102030405", "id": world.ids["sent"]},
        ),
        202,
        lambda world, http: StatementDelivery.objects.filter(pk=world.ids["sent"]).exists(),
    ),
    "admin action": Case(
        "clerk",
        # Confirmed at once (`post`): the action's confirmation page is itself a form posted with the CSRF token.
        lambda world: form(
            "/admin/clients/client/",
            {"action": "archive", "_selected_action": [str(world.shop.pk)], "index": "0", "post": "yes"},
        ),
        302,
        lambda world, http: Client.objects.filter(pk=world.shop.pk, archived_at__isnull=False).exists(),
    ),
    "admin change form": Case(
        "clerk",
        lambda world: form(
            f"/admin/workflows/product/{world.product.pk}/change/",
            {"sku": world.product.sku, "name": "Savon (nouveau)", "unit_price": "1500.00", "active": "on"},
        ),
        302,
        lambda world, http: Product.objects.filter(pk=world.product.pk, name="Savon (nouveau)").exists(),
    ),
    "sign out": Case(
        "rep",
        lambda world: form("/accounts/logout/", {}),
        302,
        lambda world, http: http.get("/api/me").status_code == 403,
    ),
    "language switch": Case(
        "rep",
        lambda world: form("/i18n/setlang/", {"language": "fr", "next": "/"}),
        302,
        lambda world, http: "django_language" in http.cookies and http.cookies["django_language"].value == "fr",
    ),
    "sign in": Case(
        "anonymous",
        lambda world: form("/accounts/login/", {"username": "awa", "password": PASSWORD}),
        302,
        lambda world, http: http.get("/api/me").status_code == 200,
    ),
    "password change": Case(
        "rep",
        lambda world: form(
            "/accounts/password_change/",
            {"old_password": PASSWORD, "new_password1": "N0uveau!secret", "new_password2": "N0uveau!secret"},
        ),
        302,
        lambda world, http: world.rep.__class__.objects.get(pk=world.rep.pk).check_password("N0uveau!secret"),
    ),
}


def browser_of(world: World, who: str) -> HttpClient:
    if who == "anonymous":
        http = browser()
        http.get("/accounts/login/")
        return http
    return signed_in(world.rep if who == "rep" else world.clerk)


@pytest.mark.parametrize("token", ["missing", "wrong"])
@pytest.mark.parametrize("name", list(CASES))
def test_an_unsafe_request_is_refused_without_its_csrf_token_and_goes_through_with_it(world, name, token):
    case = CASES[name]
    http = browser_of(world, case.who)
    send = case.request(world)

    refused = send(http, None if token == "missing" else WRONG_TOKEN)

    assert refused_for_csrf(refused), (refused.status_code, body(refused))
    assert not case.done(world, http)

    accepted = send(http, csrf_cookie(http))

    assert accepted.status_code == case.ok, body(accepted)
    assert case.done(world, http)


def test_no_url_takes_an_unsafe_request_without_a_csrf_token(world):
    """Every URL, the admin's and the API's included, with every unsafe method, from a signed-in rep's browser that
    holds the CSRF cookie but does not send the token: refused by the CSRF check, whatever the view would do. A view
    exempted from the check, or an API view without session authentication, would fail here."""
    http = signed_in(world.rep)
    values = {"client_id": str(world.shop.pk), "pk": str(world.shop.pk), "blob_id": str(uuid.uuid4())}

    let_through = []
    for found in all_routes():
        url = found.url(values)
        for method in ("POST", "PUT", "PATCH", "DELETE"):
            response = http.generic(method, url, "{}", content_type="application/json")
            if not refused_for_csrf(response):
                let_through.append((method, url, response.status_code))

    assert let_through == []
    assert http.get("/api/me").status_code == 200  # and the browser was signed in all along

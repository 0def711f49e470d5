"""Compressed answers (fieldsales/compression.py): a client that accepts zstd, Brotli or gzip gets the same answer in
fewer bytes, padded at random against BREACH; a client that asks for nothing gets it as it was.

Each compressed answer is decompressed and compared with the plain answer to the same request. The codings a
client offers are Chromium's (`gzip, deflate, br, zstd`), Safari's (`gzip, deflate, br`) and an older client's.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import struct
import sys
import uuid
import zlib
from collections.abc import AsyncIterator, Iterator
from typing import Any

import brotli
import pytest
from asgiref.sync import async_to_sync
from django.contrib.auth import get_user_model
from django.db import DEFAULT_DB_ALIAS
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.test import AsyncClient, RequestFactory
from django.test import Client as HttpClient
from hypothesis import given
from hypothesis import strategies as st
from PIL import Image

from fieldsales.compression import PREFERENCE, CompressionMiddleware, accepted_codings
from fieldsales.sync.blobs import blob_store
from tests import flush
from tests.factories import RepFactory, make_client, make_pos_list, reps_may_edit
from tests.texts import text_of

if sys.version_info >= (3, 14):
    from compression import zstd
else:
    from backports import zstd

CHROMIUM = "gzip, deflate, br, zstd"
SAFARI = "gzip, deflate, br"
GZIP_ONLY = "gzip, deflate"
PASSWORD = "fieldsales"  # tests.factories.UserFactory's
CSRF_FIELD = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')


@pytest.fixture(scope="module")
def shops_committed(django_db_setup: None, django_db_blocker: Any) -> Iterator[None]:
    """Awa, a rep, with 40 shops on a list the reps work on: their pull page is a few KB of JSON.

    Committed for real, since on PostgreSQL a pull hands out only changes whose transactions have ended; once for the
    module, since 40 clients through the services take seconds, and the tests only read them (what a test writes is
    rolled back with its own transaction, `db`). The database is then emptied as after a transactional test."""
    with django_db_blocker.unblock():
        post_migrate_rows = flush.snapshot(DEFAULT_DB_ALIAS)
    try:
        with django_db_blocker.unblock():
            pos_list = reps_may_edit(make_pos_list())
            user = RepFactory(username="awa")
            for number in range(40):
                make_client(pos_list, user=user, reps=(user,), name=f"Boutique {number}", statement_enabled=True)
        yield
    finally:
        with django_db_blocker.unblock():
            flush.flush_and_restore(DEFAULT_DB_ALIAS, post_migrate_rows)


@pytest.fixture
def rep(shops_committed, db, settings, tmp_path):  # type: ignore[no-untyped-def]
    """Awa, of `shops_committed`; the photos a test stores go to its own directory."""
    settings.MEDIA_ROOT = tmp_path / "media"
    return get_user_model().objects.get(username="awa")


@pytest.fixture
def phone(rep: Any) -> HttpClient:
    http = HttpClient()
    http.force_login(rep)
    return http


def raw_body(response: Any) -> bytes:
    # The test client closes a streaming answer (and its file) once it has been read to the end.
    return b"".join(response.streaming_content) if response.streaming else bytes(response.content)


def decoded(response: Any) -> bytes:
    """The answer's body as the browser reads it, after undoing its Content-Encoding."""
    body = raw_body(response)
    coding = response.get("Content-Encoding")
    if coding == "zstd":
        return zstd.decompress(body)
    if coding == "br":
        return bytes(brotli.decompress(body))
    if coding == "gzip":
        return gzip.decompress(body)
    assert coding is None, coding
    return body


def without_csrf_token(page: bytes) -> bytes:
    """A page's CSRF token is masked anew in each answer: everything else is the same."""
    return CSRF_FIELD.sub(b'name="csrfmiddlewaretoken" value=""', page)


def without_cursor(page: bytes) -> dict[str, Any]:
    return {key: value for key, value in json.loads(page).items() if key != "cursor"}


def padding_of(response: Any) -> int:
    """How many random bytes pad a compressed answer: the gzip header's file name (Django's "Heal The Breach") or
    the zstd skippable frame ahead of the content."""
    body = raw_body(response)
    if response["Content-Encoding"] == "gzip":
        assert body[3] & 0x08, "the gzip header carries no file name"
        return body.index(b"\x00", 10) - 10
    assert response["Content-Encoding"] == "zstd"
    magic, length = struct.unpack("<II", body[:8])
    assert magic == 0x184D2A50, "the zstd answer starts with no skippable frame"
    return int(length)


@pytest.mark.parametrize(("accept", "coding"), [(CHROMIUM, "zstd"), (SAFARI, "br"), (GZIP_ONLY, "gzip")])
def test_a_pull_page_comes_compressed_in_the_best_coding_the_phone_accepts(phone, accept, coding):
    plain = phone.get("/api/sync/pull")
    compressed = phone.get("/api/sync/pull", headers={"Accept-Encoding": accept})

    assert plain.get("Content-Encoding") is None
    assert [change["type"] for change in json.loads(plain.content)["changes"]].count("client") == 40
    assert compressed["Content-Encoding"] == coding
    # On PostgreSQL a cursor holds the database's transaction horizon, which moves between two requests.
    assert without_cursor(decoded(compressed)) == without_cursor(plain.content)
    assert int(compressed["Content-Length"]) == len(compressed.content) < len(plain.content) / 3
    assert "Accept-Encoding" in compressed["Vary"] and "Accept-Encoding" in plain["Vary"]


@pytest.mark.parametrize(("accept", "coding"), [(CHROMIUM, "zstd"), (SAFARI, "gzip"), (GZIP_ONLY, "gzip")])
@pytest.mark.parametrize("signed_in", [True, False], ids=["app shell", "sign-in page"])
def test_pages_come_compressed_but_never_in_brotli_which_cannot_be_padded(phone, signed_in, accept, coding):
    http = phone if signed_in else HttpClient()
    url = "/" if signed_in else "/accounts/login/"
    plain = http.get(url)
    compressed = http.get(url, headers={"Accept-Encoding": accept})

    assert plain.status_code == compressed.status_code == 200
    assert plain["Content-Type"].startswith("text/html")
    assert compressed["Content-Encoding"] == coding
    assert without_csrf_token(decoded(compressed)) == without_csrf_token(plain.content)


@pytest.mark.parametrize("accept", [CHROMIUM, SAFARI], ids=["zstd", "gzip"])
def test_each_compressed_page_is_padded_with_a_random_number_of_bytes(db, accept):
    http = HttpClient()
    paddings = [padding_of(http.get("/accounts/login/", headers={"Accept-Encoding": accept})) for _ in range(12)]

    # Twelve draws from 0-99 all alike: one chance in 10^22 while the padding is random; always when it is not.
    assert len(set(paddings)) > 1, paddings
    assert all(0 <= padding < 100 for padding in paddings), paddings


def test_zstd_json_is_padded_as_pages_are(phone):
    paddings = {padding_of(phone.get("/api/sync/pull", headers={"Accept-Encoding": CHROMIUM})) for _ in range(12)}

    assert len(paddings) > 1, paddings


@pytest.mark.parametrize("accept", [CHROMIUM, GZIP_ONLY])
def test_the_csrf_token_of_a_compressed_sign_in_form_signs_the_rep_in(rep, accept):
    browser = HttpClient(enforce_csrf_checks=True)
    page = browser.get("/accounts/login/", headers={"Accept-Encoding": accept})
    assert page.get("Content-Encoding") is not None
    match = CSRF_FIELD.search(decoded(page))
    assert match is not None

    # The form's own token, as the browser posts it; not the cookie's value.
    response = browser.post(
        "/accounts/login/",
        {"username": "awa", "password": PASSWORD, "csrfmiddlewaretoken": match.group(1).decode()},
        headers={"Accept-Encoding": accept},
    )

    assert response.status_code == 302, decoded(response)[:500]
    assert browser.get("/api/me").json()["username"] == "awa"


def test_a_statement_pdf_comes_compressed(phone, rep):
    shop = rep.assignments.first().client
    url = f"/api/clients/{shop.pk}/statement.pdf"
    plain = phone.get(url)
    compressed = phone.get(url, headers={"Accept-Encoding": CHROMIUM})

    assert (plain.status_code, plain["Content-Type"]) == (200, "application/pdf")
    assert compressed["Content-Encoding"] == "zstd"
    pdf = decoded(compressed)
    assert pdf.startswith(b"%PDF-") and len(compressed.content) < len(pdf)
    # Two renderings of a statement differ in their creation date: their text is the same.
    assert text_of(pdf) == text_of(plain.content)


def test_small_answers_are_left_alone(phone):
    plain = phone.get("/api/me")
    answer = phone.get("/api/me", headers={"Accept-Encoding": CHROMIUM})

    assert len(plain.content) < 200
    assert answer.get("Content-Encoding") is None
    assert answer.content == plain.content


@pytest.mark.parametrize("accept", [CHROMIUM, SAFARI, GZIP_ONLY])
def test_an_answer_under_200_bytes_is_left_alone_though_it_would_compress(accept):
    small = b'{"name": "' + b"Boutique " * 20 + b'"}'
    assert len(small) < 200 and len(zstd.compress(small)) < len(small) / 2

    answer = through_middleware(HttpResponse(small, content_type="application/json"), accept)

    assert (answer.get("Content-Encoding"), answer.content) == (None, small)


def test_a_photo_is_sent_as_it_is(phone, rep):
    noise = Image.effect_noise((320, 240), 64).convert("RGB")
    output = io.BytesIO()
    noise.save(output, "JPEG")
    blob, _created = blob_store(user=rep, blob_id=uuid.uuid4(), content_type="image/jpeg", body=output.getvalue())
    url = f"/api/sync/blobs/{blob.pk}"

    plain = phone.get(url)
    answer = phone.get(url, headers={"Accept-Encoding": CHROMIUM})

    assert answer["Content-Type"] == "image/jpeg"
    assert answer.get("Content-Encoding") is None
    assert "Accept-Encoding" not in answer.get("Vary", "")
    assert raw_body(answer) == raw_body(plain)


def test_static_files_served_by_whitenoise_come_compressed_with_a_weak_etag(db):
    """In development and tests WhiteNoise serves static files from the finders, uncompressed: the middleware sits
    above it to compress them."""
    http = HttpClient()
    plain = http.get("/static/js/app.js")
    compressed = http.get("/static/js/app.js", headers={"Accept-Encoding": CHROMIUM})

    assert plain.get("Content-Encoding") is None and plain["ETag"].startswith('"')
    assert compressed["Content-Encoding"] == "zstd"
    assert compressed["ETag"] == "W/" + plain["ETag"]
    assert "Content-Length" not in compressed
    assert decoded(compressed) == raw_body(plain)


def test_static_images_and_byte_ranges_are_left_alone(db):
    http = HttpClient()
    icon = http.get("/static/icons/icon-192.png", headers={"Accept-Encoding": CHROMIUM})
    part = http.get("/static/js/app.js", headers={"Accept-Encoding": CHROMIUM, "Range": "bytes=0-499"})

    assert (icon["Content-Type"], icon.get("Content-Encoding")) == ("image/png", None)
    assert raw_body(icon).startswith(b"\x89PNG")
    assert (part.status_code, part.get("Content-Encoding"), len(raw_body(part))) == (206, None, 500)


# WhiteNoise's files are read by a sync iterator, which Django's ASGI handler warns about whatever compresses them.
@pytest.mark.filterwarnings("ignore:StreamingHttpResponse must consume synchronous iterators")
@pytest.mark.parametrize("url", ["/accounts/login/", "/static/js/app.js"])
def test_answers_through_the_asgi_handler_come_compressed_too(db, url):
    """uvicorn and daphne run the middleware chain asynchronously."""
    plain = HttpClient().get(url)
    compressed = async_to_sync(AsyncClient().get)(url, headers={"Accept-Encoding": CHROMIUM})

    async def read() -> bytes:
        return b"".join([chunk async for chunk in compressed]) if compressed.streaming else compressed.content

    body = async_to_sync(read)()
    assert compressed["Content-Encoding"] == "zstd"
    assert without_csrf_token(zstd.decompress(body)) == without_csrf_token(raw_body(plain))


# The middleware alone, for answers the app's views do not give.

BODY = b'{"name": "Boutique"}' * 100


def through_middleware(response: HttpResponse | StreamingHttpResponse, accept: str = CHROMIUM) -> Any:
    request = RequestFactory().get("/", headers={"Accept-Encoding": accept})
    return CompressionMiddleware(lambda request: response)(request)


@pytest.mark.parametrize("accept", [CHROMIUM, SAFARI, GZIP_ONLY])
def test_an_answer_already_encoded_is_left_alone(accept):
    # Whatever its bytes (here ones that would compress well): its Content-Encoding says what they are.
    answer = through_middleware(
        HttpResponse(BODY, content_type="application/json", headers={"Content-Encoding": "br"}), accept
    )

    assert (answer["Content-Encoding"], answer.content) == ("br", BODY)


@pytest.mark.parametrize(("accept", "coding"), [(CHROMIUM, "zstd"), (SAFARI, "br"), (GZIP_ONLY, "gzip")])
def test_a_file_response_is_compressed_as_it_streams(tmp_path, accept, coding):
    path = tmp_path / "export.csv"
    path.write_bytes(b"name;district\n" + b"Boutique;Cocody\n" * 5000)
    with path.open("rb") as file:
        answer = through_middleware(FileResponse(file, content_type="text/csv"), accept)

        assert answer["Content-Encoding"] == coding
        assert "Content-Length" not in answer
        assert decoded(answer) == path.read_bytes()


@pytest.mark.parametrize(("accept", "coding"), [(CHROMIUM, "zstd"), (SAFARI, "br"), (GZIP_ONLY, "gzip")])
def test_an_async_stream_is_compressed_chunk_by_chunk(accept, coding):
    async def chunks() -> AsyncIterator[bytes]:
        for number in range(50):
            yield b'{"n": %d, "name": "Boutique"}\n' % number

    answer = through_middleware(StreamingHttpResponse(chunks(), content_type="application/json"), accept)

    async def read() -> list[bytes]:
        return [chunk async for chunk in answer.streaming_content]

    parts = async_to_sync(read)()
    assert answer["Content-Encoding"] == coding
    assert decompress(coding, b"".join(parts)) == b"".join(b'{"n": %d, "name": "Boutique"}\n' % n for n in range(50))
    # Each chunk is sent when it comes: the first one can be decoded before the stream ends.
    first = b"".join(parts[:3])
    assert b'"n": 0' in partial_decompress(coding, first)


def decompress(coding: str, body: bytes) -> bytes:
    if coding == "zstd":
        return zstd.decompress(body)
    if coding == "br":
        return bytes(brotli.decompress(body))
    return gzip.decompress(body)


def partial_decompress(coding: str, body: bytes) -> bytes:
    if coding == "zstd":
        return zstd.ZstdDecompressor().decompress(body[8 + struct.unpack("<I", body[4:8])[0] :])
    if coding == "br":
        return bytes(brotli.Decompressor().process(body))
    return zlib.decompressobj(wbits=31).decompress(body)


def test_a_client_that_refuses_a_coding_does_not_get_it():
    assert accepted_codings("zstd;q=0, br;q=0.5, gzip") == ("gzip", "br")
    assert accepted_codings("*") == PREFERENCE
    assert accepted_codings("gzip;q=0, *;q=0.1") == ("zstd", "br")
    assert accepted_codings("identity") == ()
    answer = through_middleware(HttpResponse(BODY, content_type="application/json"), "zstd;q=0, gzip;q=0")
    assert answer.get("Content-Encoding") is None and answer.content == BODY


NAMES = st.sampled_from(["zstd", "br", "gzip", "deflate", "identity", "*", "ZSTD", "x-gzip", ""])
QUALITIES = st.sampled_from(["", ";q=0", ";q=0.000", ";q=0.5", ";q=1", ";q=1.0", ";q=abc", ";level=1"])


@given(st.lists(st.tuples(NAMES, QUALITIES), max_size=6), st.text(max_size=40))
def test_any_accept_encoding_header_gives_codings_of_ours_but_none_it_refuses(parts, noise):
    codings = accepted_codings(", ".join(name + quality for name, quality in parts))

    assert set(codings) <= set(PREFERENCE) and len(set(codings)) == len(codings)
    last_said = {name.lower(): quality for name, quality in parts}
    assert not [coding for coding in codings if last_said.get(coding) in (";q=0", ";q=0.000", ";q=abc")]
    accepted_codings(noise)  # never raises, whatever the header holds

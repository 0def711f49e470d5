"""Photos (sync contract, "Photos"): `PUT /api/sync/blobs/<uuid>` takes a JPEG, PNG or WebP of at most 5 MiB,
stores it once per UUID re-encoded as a JPEG of at most 1600 px without its metadata, and refuses anything else."""

from __future__ import annotations

import io
import os
import struct
import zlib
from pathlib import Path
from typing import Any

import pytest
from PIL import Image

from fieldsales.models import Blob
from tests.factories import make_client
from tests.sync.conftest import Device, new_id

MIB = 1024 * 1024
EXIF_MAKE = 0x010F
EXIF_MODEL = 0x0110
EXIF_GPS_IFD = 0x8825


def jpeg_bytes(size: tuple[int, int] = (640, 480), *, exif: bool = False, color: str = "teal") -> bytes:
    image = Image.new("RGB", size, color)
    output = io.BytesIO()
    if exif:
        tags = Image.Exif()
        tags[EXIF_MAKE] = "Tecno"
        tags[EXIF_MODEL] = "Spark 10"
        tags.get_ifd(EXIF_GPS_IFD).update({1: "N", 2: (5.0, 21.0, 35.64), 3: "W", 4: (4.0, 0.0, 29.88)})
        image.save(output, "JPEG", quality=90, exif=tags)
    else:
        image.save(output, "JPEG", quality=90)
    return output.getvalue()


def png_bytes(size: tuple[int, int] = (300, 200), mode: str = "RGBA") -> bytes:
    image = Image.new(mode, size)
    if mode == "RGBA":
        image.paste((200, 30, 30, 255), (0, 0, size[0] // 2, size[1]))  # the right half stays transparent
    output = io.BytesIO()
    image.save(output, "PNG")
    return output.getvalue()


def webp_bytes(size: tuple[int, int] = (400, 300)) -> bytes:
    output = io.BytesIO()
    Image.new("RGB", size, "orange").save(output, "WEBP")
    return output.getvalue()


def noisy_jpeg(target_bytes: int) -> bytes:
    """A JPEG of about `target_bytes` (random pixels do not compress), under 5 MiB when asked to."""
    side = 1200
    while True:
        image = Image.frombytes("RGB", (side, side), os.urandom(side * side * 3))
        output = io.BytesIO()
        image.save(output, "JPEG", quality=95)
        if len(output.getvalue()) >= target_bytes:
            return output.getvalue()
        side += 200


def png_header_claiming(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims `width` × `height` pixels: a decompression bomb as Pillow's open() sees it."""
    raw = png_bytes((1, 1), mode="L")
    ihdr_at = raw.index(b"IHDR")
    fields = struct.pack(">II", width, height) + raw[ihdr_at + 12 : ihdr_at + 17]
    chunk = b"IHDR" + fields
    patched = raw[: ihdr_at - 4] + struct.pack(">I", 13) + chunk + struct.pack(">I", zlib.crc32(chunk))
    return patched + raw[ihdr_at + 4 + 13 + 4 :]


def png_bomb(side: int) -> bytes:
    """A real, valid PNG of side × side black pixels that weighs a few kilobytes."""
    image = Image.new("1", (side, side))
    output = io.BytesIO()
    image.save(output, "PNG", optimize=True)
    return output.getvalue()


@pytest.fixture(autouse=True)
def media_root(settings: Any, tmp_path: Path) -> Path:
    settings.MEDIA_ROOT = tmp_path / "media"
    return settings.MEDIA_ROOT


def stored_files(media_root: Path) -> list[Path]:
    return [path for path in media_root.rglob("*") if path.is_file()] if media_root.exists() else []


def put(device: Device, blob_id: str, body: bytes, content_type: str) -> Any:
    return device.http.put(f"/api/sync/blobs/{blob_id}", body, content_type=content_type)


def test_a_phone_photo_is_stored_as_a_1600_px_jpeg_without_its_exif(device1, rep1, media_root):
    blob_id = new_id()
    original = jpeg_bytes((3000, 2000), exif=True)
    assert Image.open(io.BytesIO(original)).getexif()[EXIF_MAKE] == "Tecno"

    response = put(device1, blob_id, original, "image/jpeg")

    assert response.status_code == 201, response.content
    assert response.json() == {"id": blob_id, "width": 1600, "height": 1067}
    blob = Blob.objects.get(pk=blob_id)
    assert (blob.content_type, blob.width, blob.height, blob.uploaded_by) == ("image/jpeg", 1600, 1067, rep1)
    [path] = stored_files(media_root)
    assert blob.size == path.stat().st_size
    stored = Image.open(path)
    assert (stored.format, stored.size) == ("JPEG", (1600, 1067))
    assert dict(stored.getexif()) == {}
    assert "exif" not in stored.info
    assert b"Tecno" not in path.read_bytes()


def test_a_portrait_photo_is_turned_upright_from_its_exif_orientation(device1, media_root):
    image = Image.new("RGB", (400, 300), "teal")
    tags = Image.Exif()
    tags[0x0112] = 6  # the camera was held rotated 90° clockwise
    output = io.BytesIO()
    image.save(output, "JPEG", exif=tags)

    response = put(device1, new_id(), output.getvalue(), "image/jpeg")

    assert response.status_code == 201
    assert (response.json()["width"], response.json()["height"]) == (300, 400)


@pytest.mark.parametrize(
    ("body", "content_type", "size"),
    [
        (png_bytes((300, 200)), "image/png", (300, 200)),
        (png_bytes((2400, 1200), mode="LA"), "image/png", (1600, 800)),
        (webp_bytes((400, 300)), "image/webp", (400, 300)),
        (jpeg_bytes((1200, 1600)), "image/jpeg; charset=binary", (1200, 1600)),
    ],
    ids=["png-with-alpha", "grey-png-with-alpha", "webp", "jpeg-with-parameters"],
)
def test_png_and_webp_photos_are_accepted_and_stored_as_jpeg(device1, media_root, body, content_type, size):
    blob_id = new_id()
    response = put(device1, blob_id, body, content_type)

    assert response.status_code == 201, response.content
    [path] = stored_files(media_root)
    stored = Image.open(path)
    assert (stored.format, stored.mode, stored.size) in {("JPEG", "RGB", size), ("JPEG", "L", size)}
    assert Blob.objects.get(pk=blob_id).content_type == "image/jpeg"


def test_a_multi_picture_jpeg_from_a_phone_camera_is_accepted_as_a_jpeg(device1, media_root):
    photo, preview = Image.new("RGB", (2000, 1500), "teal"), Image.new("RGB", (320, 240), "red")
    output = io.BytesIO()
    photo.save(output, "MPO", save_all=True, append_images=[preview])
    assert Image.open(io.BytesIO(output.getvalue())).format == "MPO"

    response = put(device1, new_id(), output.getvalue(), "image/jpeg")

    assert response.status_code == 201, response.content
    [path] = stored_files(media_root)
    stored = Image.open(path)
    assert (stored.format, stored.size) == ("JPEG", (1600, 1200))
    assert stored.getpixel((800, 600))[2] > 100  # the photo (teal), not the preview (red)


def test_the_transparent_part_of_a_png_becomes_white_not_black(device1, media_root):
    assert put(device1, new_id(), png_bytes((300, 200)), "image/png").status_code == 201
    [path] = stored_files(media_root)
    stored = Image.open(path).convert("RGB")
    red, _g, _b = stored.getpixel((10, 100))
    assert red > 150
    assert min(stored.getpixel((290, 100))) > 240


def test_the_same_photo_sent_again_answers_200_and_is_not_stored_twice(device1, media_root):
    blob_id = new_id()
    assert put(device1, blob_id, jpeg_bytes(), "image/jpeg").status_code == 201
    first = stored_files(media_root)

    again = put(device1, blob_id, jpeg_bytes(color="red"), "image/jpeg")

    assert again.status_code == 200
    assert again.json()["id"] == blob_id
    assert stored_files(media_root) == first
    assert Blob.objects.count() == 1


def test_another_user_cannot_take_an_existing_photo_id(device1, device2, media_root):
    blob_id = new_id()
    assert put(device1, blob_id, jpeg_bytes(), "image/jpeg").status_code == 201

    response = put(device2, blob_id, jpeg_bytes(color="red"), "image/jpeg")

    assert response.status_code == 409
    assert len(stored_files(media_root)) == 1
    assert Blob.objects.get(pk=blob_id).uploaded_by.username == "awa"


def test_a_photo_over_5_mib_is_refused_with_413_and_nothing_is_stored(device1, media_root):
    body = jpeg_bytes() + b"\0" * (5 * MIB)
    response = put(device1, new_id(), body, "image/jpeg")
    assert response.status_code == 413
    assert Blob.objects.count() == 0
    assert stored_files(media_root) == []


def test_a_photo_of_4_mib_is_accepted(device1, media_root):
    body = noisy_jpeg(4 * MIB)
    assert 4 * MIB <= len(body) <= 5 * MIB
    response = put(device1, new_id(), body, "image/jpeg")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"Bonjour", "text/plain"),
        (b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n", "application/pdf"),
        (b"GIF89a\x01\x00\x01\x00\x00\x00\x00;", "image/gif"),
        (jpeg_bytes(), "application/octet-stream"),
    ],
    ids=["text", "pdf", "gif", "octet-stream"],
)
def test_a_file_that_is_not_a_jpeg_png_or_webp_is_refused_with_415(device1, media_root, body, content_type):
    response = put(device1, new_id(), body, content_type)
    assert response.status_code == 415
    assert Blob.objects.count() == 0
    assert stored_files(media_root) == []


def test_a_jpeg_declared_as_png_is_refused_with_415(device1, media_root):
    response = put(device1, new_id(), jpeg_bytes(), "image/png")
    assert response.status_code == 415
    assert Blob.objects.count() == 0


@pytest.mark.parametrize(
    "body",
    [b"not an image at all", b"\x89PNG\r\n\x1a\n" + b"\0" * 64, jpeg_bytes()[:400]],
    ids=["text", "png-signature-only", "truncated-jpeg"],
)
def test_bytes_that_are_not_a_readable_image_are_refused_with_400(device1, media_root, body):
    content_type = "image/png" if body.startswith(b"\x89PNG") else "image/jpeg"
    response = put(device1, new_id(), body, content_type)
    assert response.status_code == 400
    assert Blob.objects.count() == 0
    assert stored_files(media_root) == []


@pytest.mark.parametrize(
    "body",
    [png_header_claiming(20000, 20000), png_header_claiming(8000, 8000), png_bomb(8000)],
    ids=["header-of-400-megapixels", "header-of-64-megapixels", "real-png-of-64-megapixels"],
)
def test_a_decompression_bomb_is_refused_with_400_and_nothing_is_stored(device1, media_root, body):
    assert len(body) < 100_000
    response = put(device1, new_id(), body, "image/png")
    assert response.status_code == 400
    assert response.json()["code"] == "too_many_pixels"
    assert Blob.objects.count() == 0
    assert stored_files(media_root) == []


def test_a_photo_upload_needs_a_signed_in_user(db, media_root):
    from django.test import Client as HttpClient

    response = HttpClient().put(f"/api/sync/blobs/{new_id()}", jpeg_bytes(), content_type="image/jpeg")
    assert response.status_code in (401, 403)
    assert Blob.objects.count() == 0


def test_the_uploader_downloads_the_stored_jpeg(device1, media_root):
    blob_id = new_id()
    put(device1, blob_id, jpeg_bytes((3000, 2000), exif=True), "image/jpeg")

    response = device1.http.get(f"/api/sync/blobs/{blob_id}")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/jpeg"
    assert Image.open(io.BytesIO(b"".join(response.streaming_content))).size == (1600, 1067)


def test_a_rep_who_sees_no_client_with_the_photo_gets_404_and_one_who_does_gets_it(
    device1, device2, rep1, rep2, pos_list_editable, media_root
):
    blob_id = new_id()
    put(device1, blob_id, jpeg_bytes(), "image/jpeg")
    client = make_client(pos_list_editable, user=rep1, reps=(rep1,), photo=Blob.objects.get(pk=blob_id))

    hidden = device2.http.get(f"/api/sync/blobs/{blob_id}")
    made_up = device2.http.get(f"/api/sync/blobs/{new_id()}")
    assert hidden.status_code == made_up.status_code == 404
    assert hidden.json() == made_up.json()

    from clients.services import client_assign

    client_assign(client=client, reps=[rep1, rep2])
    assert device2.http.get(f"/api/sync/blobs/{blob_id}").status_code == 200

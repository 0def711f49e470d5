"""Photos sent by devices before the ops that name them: checked, re-encoded, stored once per UUID."""

from __future__ import annotations

import io
import uuid
import warnings
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.files.base import ContentFile
from django.db import IntegrityError, transaction
from django.utils.translation import gettext_lazy as _
from PIL import Image, ImageOps, UnidentifiedImageError

from fieldsales.models import Blob

if TYPE_CHECKING:
    from django.contrib.auth.models import User

MAX_BYTES = 5 * 1024 * 1024
MAX_SIDE = 1600
# A 40-megapixel photo is already more than any phone camera sends; beyond it is a decompression bomb.
MAX_PIXELS = 40_000_000
# Declared type -> the formats Pillow may read such a file as. Many phone cameras write a JPEG with a second,
# smaller picture in it (a multi-picture JPEG), which Pillow reads as MPO; its first picture is the photo.
FORMATS = {"image/jpeg": ("JPEG", "MPO"), "image/png": ("PNG",), "image/webp": ("WEBP",)}
JPEG_QUALITY = 85

TOO_BIG = _("A photo may weigh at most 5 MiB.")
BAD_TYPE = _("Send a JPEG, PNG or WebP image.")
NOT_AN_IMAGE = _("This file is not a readable image.")
TYPE_MISMATCH = _("The file's content does not match its declared type.")
TOO_MANY_PIXELS = _("This image has too many pixels.")
NOT_YOURS = _("This photo identifier is already used.")


@dataclass
class BlobError(Exception):
    status: int
    code: str
    message: str


def blob_store(*, user: User, blob_id: uuid.UUID, content_type: str, body: bytes) -> tuple[Blob, bool]:
    """Store a photo under `blob_id`, or return the one already stored there. Returns (blob, created)."""
    existing = Blob.objects.filter(pk=blob_id).first()
    if existing is not None:
        if existing.uploaded_by_id != user.pk:
            raise BlobError(409, "conflict", str(NOT_YOURS))
        return existing, False
    if len(body) > MAX_BYTES:
        raise BlobError(413, "too_large", str(TOO_BIG))
    declared = content_type.split(";")[0].strip().lower()
    if declared not in FORMATS:
        raise BlobError(415, "unsupported_type", str(BAD_TYPE))
    image = _open(body, FORMATS[declared])
    image = ImageOps.exif_transpose(image)
    image.thumbnail((MAX_SIDE, MAX_SIDE), Image.Resampling.LANCZOS)
    if image.mode not in ("RGB", "L"):
        background = Image.new("RGB", image.size, "white")
        background.paste(image.convert("RGBA"), mask=image.convert("RGBA").getchannel("A"))
        image = background
    output = io.BytesIO()
    # Saving without `exif=` drops the metadata (GPS, device) the phone wrote.
    image.save(output, "JPEG", quality=JPEG_QUALITY, optimize=True)
    data = output.getvalue()
    blob = Blob(
        id=blob_id,
        content_type="image/jpeg",
        size=len(data),
        width=image.width,
        height=image.height,
        uploaded_by=user,
    )
    blob.file.save(f"{blob_id}.jpg", ContentFile(data), save=False)
    try:
        with transaction.atomic():
            blob.save(force_insert=True)
    except IntegrityError:
        blob.file.delete(save=False)
        return blob_store(user=user, blob_id=blob_id, content_type=content_type, body=body)
    return blob, True


def _open(body: bytes, expected_formats: tuple[str, ...]) -> Image.Image:
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(body))
            if image.width * image.height > MAX_PIXELS:
                raise BlobError(400, "too_many_pixels", str(TOO_MANY_PIXELS))
            if image.format not in expected_formats:
                raise BlobError(415, "type_mismatch", str(TYPE_MISMATCH))
            image.load()
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise BlobError(400, "too_many_pixels", str(TOO_MANY_PIXELS)) from None
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError):
        raise BlobError(400, "not_an_image", str(NOT_AN_IMAGE)) from None
    return image

"""The media storage on an S3-compatible object store (django-storages), as the settings build it from S3_* (no
Django import here: the settings read it)."""

from __future__ import annotations

from typing import Any

# Seconds a photo's signed URL stays valid (fieldsales/storage.py `stored_file_response`).
SIGNED_URL_SECONDS = 300


def s3_storage(
    *, bucket: str, endpoint_url: str | None, region: str | None, access_key: str | None, secret_key: str | None
) -> dict[str, Any]:
    """STORAGES' entry for a private bucket: nothing public, nothing overwritten, read through signed URLs."""
    return {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": bucket,
            # None: AWS itself; else another S3-compatible store (MinIO, Garage, Ceph, a provider's).
            "endpoint_url": endpoint_url or None,
            "region_name": region or None,
            "access_key": access_key or None,
            "secret_key": secret_key or None,
            "default_acl": None,
            "file_overwrite": False,
            "querystring_auth": True,
            "querystring_expire": SIGNED_URL_SECONDS,
            "signature_version": "s3v4",
        },
    }

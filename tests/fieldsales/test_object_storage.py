"""Photos on an S3-compatible object store (S3_BUCKET; django-storages), shared by every node: a photo a rep uploads
is written to the bucket, nothing to the node's disk, and read back from the bucket by whoever may see it. Against a
real S3 server on loopback (moto's, from PyPI)."""

from __future__ import annotations

import io
from collections.abc import Iterator
from typing import Any
from urllib.error import HTTPError
from urllib.parse import parse_qs, urlparse
from urllib.request import urlopen

import boto3
import pytest
from django.core.files.storage import default_storage
from django.test import Client as HttpClient
from moto.server import ThreadedMotoServer
from PIL import Image

from fieldsales.health import readiness
from fieldsales.models import Blob
from fieldsales.object_store import SIGNED_URL_SECONDS, s3_storage
from tests.factories import RepFactory
from tests.sync.conftest import new_id
from tests.sync.test_blobs import jpeg_bytes

BUCKET = "fieldsales-media"
KEYS = {"aws_access_key_id": "test-key", "aws_secret_access_key": "test-secret", "region_name": "us-east-1"}


@pytest.fixture(scope="module")
def s3_server() -> Iterator[str]:
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    yield f"http://{host}:{port}"
    server.stop()


@pytest.fixture
def bucket(s3_server: str, settings: Any, tmp_path: Any) -> Any:
    """A fresh bucket, and the settings `S3_BUCKET` gives (fieldsales/settings.py), the store's address with it."""
    client = boto3.client("s3", endpoint_url=s3_server, **KEYS)
    client.create_bucket(Bucket=BUCKET)
    settings.MEDIA_ROOT = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "default": s3_storage(
            bucket=BUCKET,
            endpoint_url=s3_server,
            region=KEYS["region_name"],
            access_key=KEYS["aws_access_key_id"],
            secret_key=KEYS["aws_secret_access_key"],
        ),
    }
    yield client
    for item in client.list_objects_v2(Bucket=BUCKET).get("Contents", []):
        client.delete_object(Bucket=BUCKET, Key=item["Key"])
    client.delete_bucket(Bucket=BUCKET)


@pytest.mark.django_db(transaction=True)
def test_a_photo_goes_to_the_bucket_not_the_disk_and_comes_back_to_who_may_see_it(bucket, settings, tmp_path):
    rep = RepFactory()
    phone = HttpClient()
    phone.force_login(rep)
    photo_id = new_id()

    sent = phone.put(f"/api/sync/blobs/{photo_id}", jpeg_bytes(), content_type="image/jpeg")

    assert sent.status_code == 201
    stored = Blob.objects.get(pk=photo_id)
    keys = [item["Key"] for item in bucket.list_objects_v2(Bucket=BUCKET)["Contents"]]
    assert keys == [stored.file.name]
    assert list(tmp_path.iterdir()) == []  # nothing on this node's disk
    in_bucket = bucket.get_object(Bucket=BUCKET, Key=stored.file.name)["Body"].read()
    assert Image.open(io.BytesIO(in_bucket)).format == "JPEG"

    # Read back through a signed URL that expires: the bytes come from the store, not through the node.
    back = phone.get(f"/api/sync/blobs/{photo_id}")
    assert (back.status_code, back["Cache-Control"]) == (302, "no-store")
    signed = urlparse(back["Location"])
    query = parse_qs(signed.query)
    assert f"{signed.scheme}://{signed.netloc}" == bucket.meta.endpoint_url
    assert query["X-Amz-Expires"] == [str(SIGNED_URL_SECONDS)] and query["X-Amz-Signature"]
    with urlopen(back["Location"]) as answer:  # noqa: S310 (the test's own S3 server)
        assert answer.read() == in_bucket
    unsigned = back["Location"].split("?")[0]
    with pytest.raises(HTTPError) as refused:
        urlopen(unsigned)  # noqa: S310
    assert refused.value.code == 403
    stranger = HttpClient()
    stranger.force_login(RepFactory())
    assert stranger.get(f"/api/sync/blobs/{photo_id}").status_code == 404
    assert readiness()[1]["storage"]["status"] == "ok"
    assert default_storage.exists(stored.file.name)


@pytest.mark.django_db(transaction=True)
def test_the_node_is_not_ready_when_its_bucket_is_gone(bucket):
    bucket.delete_bucket(Bucket=BUCKET)
    ready, checks = readiness()
    assert not ready
    assert "NoSuchBucket" in checks["storage"]["status"]
    bucket.create_bucket(Bucket=BUCKET)  # for the fixture's clean-up

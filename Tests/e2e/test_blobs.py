"""Blobs against the real binary with the Python `atproto` SDK: an image uploaded and posted is served back byte for
byte by sync.getBlob with the reference's headers, deleting the post deletes it from storage, an upload over
PDS_BLOB_UPLOAD_LIMIT is refused with BlobTooLarge and leaves nothing behind; once on disk and once on S3
(a `moto_server` started here)."""
import os
import shutil
import subprocess

import boto3
import pytest
import requests
from atproto import exceptions

from pds_e2e import ROOT, bearer, free_port, png, sdk_client, start_server, stop_server, wait_until_answering


def get_blob(pds, did: str, cid: str) -> requests.Response:
    return requests.get(pds.xrpc("com.atproto.sync.getBlob"), params={"did": did, "cid": cid}, timeout=30)


def post_image_and_check_served(pds, image: bytes):
    """Uploads `image` through the SDK and posts it; checks getBlob. Returns (client, did, post, cid)."""
    client, did, _ = sdk_client(pds)
    post = client.send_image("a picture", image=image, image_alt="gradient", profile_identify=did)
    record = client.app.bsky.feed.post.get(did, post.uri.rsplit("/", 1)[1])
    blob = record.value.embed.images[0].image
    cid = blob.ref.link
    assert blob.mime_type == "image/png" and blob.size == len(image)

    r = get_blob(pds, did, cid)
    assert r.status_code == 200
    assert r.content == image
    assert r.headers["content-type"] == "image/png"
    assert r.headers["content-length"] == str(len(image))
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["content-disposition"] == f'attachment; filename="{cid}"'
    assert r.headers["content-security-policy"] == "default-src 'none'; sandbox"
    ranged = requests.get(pds.xrpc("com.atproto.sync.getBlob"), params={"did": did, "cid": cid},
                          headers={"Range": "bytes=0-7"}, timeout=30)
    assert ranged.status_code == 206 and ranged.content == image[:8]
    assert ranged.headers["content-range"] == f"bytes 0-7/{len(image)}"
    assert client.com.atproto.sync.get_blob({"did": did, "cid": cid}) == image
    return client, did, post, cid


def assert_blob_gone(pds, did: str, cid: str):
    r = get_blob(pds, did, cid)
    assert r.status_code == 400 and r.json()["error"] == "BlobNotFound"


def test_image_post_is_served_and_deleted_with_the_post(pds):
    image = png()
    client, did, post, cid = post_image_and_check_served(pds, image)
    stored = pds.data_dir / "blocks" / did / cid
    assert stored.read_bytes() == image
    assert not any((pds.data_dir / "blocks" / "tempt" / did).glob("*"))

    assert client.delete_post(post.uri) is True
    assert not stored.exists()
    assert_blob_gone(pds, did, cid)


def test_uploads_over_the_limit_are_refused_and_leave_nothing(tmp_path):
    limit = 20_000
    server = start_server(tmp_path, extra_env={"PDS_BLOB_UPLOAD_LIMIT": str(limit)})
    try:
        client, did, _ = sdk_client(server)
        described = requests.get(server.xrpc("com.atproto.server.describeServer"), timeout=30).json()
        assert described["blobUploadLimit"] == limit
        too_large = png() + os.urandom(2 * limit - len(png()))
        with pytest.raises(exceptions.BadRequestError) as refused:
            client.upload_blob(too_large)
        assert refused.value.response.content.error == "BlobTooLarge"

        # Without Content-Length (chunked): refused while streaming, the partial upload discarded.
        token = client._session.access_jwt
        chunks = (too_large[i:i + 4096] for i in range(0, len(too_large), 4096))
        r = requests.post(server.xrpc("com.atproto.repo.uploadBlob"), data=chunks,
                          headers={**bearer(token), "Content-Type": "*/*"}, timeout=30)
        assert r.status_code == 400 and r.json()["error"] == "BlobTooLarge"

        temp = tmp_path / "blocks" / "tempt" / did
        assert not temp.exists() or not any(temp.iterdir())
        assert not (tmp_path / "blocks" / did).exists()

        # Up to the limit is fine.
        at_limit = png() + os.urandom(limit - len(png()))
        assert client.upload_blob(at_limit).blob.size == limit
    finally:
        stop_server(server)


@pytest.fixture
def moto(tmp_path):
    """A `moto_server` (S3-compatible) on a free port, with one bucket."""
    binary = ROOT / ".venv" / "bin" / "moto_server"
    binary = str(binary) if binary.exists() else shutil.which("moto_server")
    assert binary, "moto_server not found: run ./scripts/setup.sh --test"
    port = free_port()
    log = open(tmp_path / "moto.log", "ab")
    process = subprocess.Popen([binary, "-H", "127.0.0.1", "-p", str(port)], stdout=log, stderr=subprocess.STDOUT)
    endpoint = f"http://127.0.0.1:{port}"
    wait_until_answering(f"{endpoint}/moto-api/", process, tmp_path / "moto.log", seconds=60)
    s3 = boto3.client("s3", endpoint_url=endpoint, region_name="us-east-1",
                      aws_access_key_id="testing", aws_secret_access_key="testing")
    s3.create_bucket(Bucket="pds-blobs")
    yield endpoint, s3
    process.kill()
    process.wait(timeout=30)


def test_s3_blobstore_end_to_end(tmp_path, moto):
    endpoint, s3 = moto
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    server = start_server(data_dir, extra_env={
        "PDS_BLOBSTORE_S3_BUCKET": "pds-blobs",
        "PDS_BLOBSTORE_S3_REGION": "us-east-1",
        "PDS_BLOBSTORE_S3_ENDPOINT": endpoint,
        "PDS_BLOBSTORE_S3_FORCE_PATH_STYLE": "true",
        "PDS_BLOBSTORE_S3_ACCESS_KEY_ID": "testing",
        "PDS_BLOBSTORE_S3_SECRET_ACCESS_KEY": "testing",
        "PDS_BLOB_UPLOAD_LIMIT": "50000",
    })
    try:
        image = png(16, 16)
        client, did, post, cid = post_image_and_check_served(server, image)
        stored = s3.get_object(Bucket="pds-blobs", Key=f"blocks/{did}/{cid}")["Body"].read()
        assert stored == image
        assert s3.list_objects_v2(Bucket="pds-blobs", Prefix=f"tmp/{did}/")["KeyCount"] == 0
        assert not (data_dir / "blocks").exists()

        with pytest.raises(exceptions.BadRequestError) as refused:
            client.upload_blob(image + os.urandom(100_000))
        assert refused.value.response.content.error == "BlobTooLarge"
        assert s3.list_objects_v2(Bucket="pds-blobs", Prefix=f"tmp/{did}/")["KeyCount"] == 0

        assert client.delete_post(post.uri) is True
        assert s3.list_objects_v2(Bucket="pds-blobs", Prefix=f"blocks/{did}/")["KeyCount"] == 0
        assert_blob_gone(server, did, cid)
    finally:
        stop_server(server)

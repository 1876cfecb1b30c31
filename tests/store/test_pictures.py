"""The Avatars table (on moto and on DynamoDB Local) and the picture bucket (moto's S3)."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from typing import Any

import boto3
import pytest

from tictactoe.adapters.bucket import ensure_bucket
from tictactoe.config import Settings
from tictactoe.services.backend import Backend, build
from tictactoe.store import PictureRecord, PictureRejected, StoredSize

OWNER = "123456789012"  # moto's account


def record(name: str, digest: str) -> PictureRecord:
    return PictureRecord(
        username=name,
        content_hash=digest,
        content_type="image/webp",
        width=4000,
        height=3000,
        source_format="JPEG",
        uploaded_at="2026-01-02T03:04:05.000000Z",
        objects=(
            StoredSize(256, f"avatars/{name.lower()}/{digest}/256", 9000),
            StoredSize(64, f"avatars/{name.lower()}/{digest}/64", 1200),
        ),
    )


def test_a_record_reads_back_whole_by_any_letter_case(backend: Backend) -> None:
    mine = record("Ada_L", "a" * 64)
    backend.pictures.put(mine, replacing=None)
    assert backend.pictures.get("ada_l", consistent=True) == mine
    assert backend.pictures.get("ADA_L") == mine
    assert backend.pictures.get("nobody") is None


def test_a_write_lands_only_on_the_picture_it_replaces(backend: Backend) -> None:
    first, second = record("bob", "1" * 64), record("bob", "2" * 64)
    backend.pictures.put(first, replacing=None)

    with pytest.raises(PictureRejected) as already:  # "no picture yet" is no longer true
        backend.pictures.put(second, replacing=None)
    assert already.value.current == first
    with pytest.raises(PictureRejected):  # a stale idea of the current picture
        backend.pictures.put(second, replacing="9" * 64)
    assert backend.pictures.get("bob", consistent=True) == first

    backend.pictures.put(second, replacing=first.content_hash)
    assert backend.pictures.get("bob", consistent=True) == second


def test_a_delete_lands_only_on_the_picture_it_names(backend: Backend) -> None:
    mine = record("cleo", "3" * 64)
    backend.pictures.put(mine, replacing=None)
    with pytest.raises(PictureRejected) as stale:
        backend.pictures.delete("cleo", replacing="4" * 64)
    assert stale.value.current == mine
    backend.pictures.delete("CLEO", replacing=mine.content_hash)
    assert backend.pictures.get("cleo", consistent=True) is None
    with pytest.raises(PictureRejected) as gone:
        backend.pictures.delete("cleo", replacing=mine.content_hash)
    assert gone.value.current is None


def test_uploads_of_the_same_picture_are_told_apart_by_their_upload_id(
    backend: Backend,
) -> None:
    legacy = record("dora", "5" * 64)  # stored before uploads had ids
    tab_a = replace(record("dora", "5" * 64), upload="aaaaaaaaaaaa")
    tab_b = replace(record("dora", "5" * 64), upload="bbbbbbbbbbbb")
    backend.pictures.put(legacy, replacing=None)
    assert backend.pictures.get("dora", consistent=True) == legacy
    assert legacy.picture_id == "5" * 64 and tab_a.picture_id == "5" * 64 + "-aaaaaaaaaaaa"

    backend.pictures.put(tab_a, replacing=legacy.picture_id)
    with pytest.raises(PictureRejected) as beaten:  # same content, but tab A's upload landed first
        backend.pictures.put(tab_b, replacing=legacy.picture_id)
    assert beaten.value.current == tab_a
    with pytest.raises(PictureRejected):  # nor does the bare hash name tab A's upload
        backend.pictures.delete("dora", replacing=legacy.picture_id)
    backend.pictures.put(tab_b, replacing=tab_a.picture_id)
    assert backend.pictures.get("dora", consistent=True) == tab_b
    backend.pictures.delete("dora", replacing=tab_b.picture_id)
    assert backend.pictures.get("dora", consistent=True) is None


def test_objects_round_trip_and_delete(backend: Backend) -> None:
    backend.bucket.put("avatars/x/1/256", b"RIFF....WEBP", "image/webp")
    stored = backend.bucket.get("avatars/x/1/256")
    assert stored is not None
    assert (stored.body, stored.content_type) == (b"RIFF....WEBP", "image/webp")
    backend.bucket.delete(["avatars/x/1/256", "avatars/x/never-there"])
    assert backend.bucket.get("avatars/x/1/256") is None
    backend.bucket.delete([])


def test_a_put_recreates_a_bucket_that_went_missing(backend: Backend, settings: Settings) -> None:
    s3 = boto3.client("s3", region_name=settings.bucket_region)
    s3.delete_bucket(Bucket=settings.bucket)
    assert backend.bucket.get("avatars/y/1/64") is None
    backend.bucket.put("avatars/y/1/64", b"data", "image/webp")
    assert backend.bucket.get("avatars/y/1/64") is not None


def test_the_bucket_is_created_once_private_even_by_racing_instances(moto: None) -> None:
    s3 = boto3.client("s3", region_name="eu-west-1")
    with ThreadPoolExecutor(4) as pool:
        created = list(
            pool.map(lambda _: ensure_bucket(s3, "race-bucket", "eu-west-1", OWNER), range(4))
        )
    assert created.count(True) == 1
    assert ensure_bucket(s3, "race-bucket", "eu-west-1", OWNER) is False
    block = s3.get_public_access_block(Bucket="race-bucket")["PublicAccessBlockConfiguration"]
    assert all(block.values()) and len(block) == 4
    location = s3.get_bucket_location(Bucket="race-bucket")["LocationConstraint"]
    assert location == "eu-west-1"


def test_path_style_only_for_a_configured_endpoint() -> None:
    def object_url(settings: Settings) -> Any:
        client = build(settings).s3
        return client.generate_presigned_url("get_object", Params={"Bucket": "bkt", "Key": "k"})

    on_aws = object_url(Settings(region="us-west-2"))
    assert on_aws.startswith("https://bkt.s3.") and "amazonaws.com/k?" in on_aws
    local = object_url(Settings(region="us-west-2", s3_endpoint="http://127.0.0.1:9000"))
    assert local.startswith("http://127.0.0.1:9000/bkt/k?")

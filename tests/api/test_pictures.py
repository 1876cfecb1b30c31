"""The avatar rows of the API, on moto: upload, replace, remove, serve, refuse, survive failures."""

from __future__ import annotations

import io
import re
import struct
import threading
import zlib
from collections import Counter
from typing import Any

import boto3
import pytest
from PIL import Image

from tests.support.players import ApiPlayer
from tictactoe.adapters import pillow
from tictactoe.services.backend import Backend
from tictactoe.store import PictureRecord, StoredSize, Unavailable

MiB = 1024 * 1024


def photo(
    colour: tuple[int, int, int] = (200, 30, 30), size: tuple[int, int] = (900, 600)
) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", size, colour).save(out, "JPEG", quality=90)
    return out.getvalue()


def upload(who: ApiPlayer, data: bytes, filename: str = "photo.jpg") -> Any:
    """PUT a picture as a browser would (the multipart body built here, in memory)."""
    boundary = "----avatar-test-boundary"
    body = (
        (
            f"--{boundary}\r\n"
            f'Content-Disposition: form-data; name="image"; filename="{filename}"\r\n'
            "Content-Type: application/octet-stream\r\n\r\n"
        ).encode()
        + data
        + f"\r\n--{boundary}--\r\n".encode()
    )
    return who.client.put(
        "/api/me/avatar",
        data=body,
        headers={"X-CSRFToken": who.token},
        content_type=f"multipart/form-data; boundary={boundary}",
    )


def my_url(who: ApiPlayer) -> str | None:
    response = who.client.get("/api/me")
    assert response.status_code == 200
    url: str | None = response.get_json()["avatar_url"]
    return url


def stored_keys(app: Any) -> list[str]:
    b: Backend = app.extensions["tictactoe"]
    s3 = boto3.client("s3", region_name=b.settings.bucket_region)
    listed = s3.list_objects_v2(Bucket=b.settings.bucket)
    return sorted(o["Key"] for o in listed.get("Contents", []))


def backend(app: Any) -> Backend:
    found: Backend = app.extensions["tictactoe"]
    return found


def test_a_new_player_has_no_picture(player: Any) -> None:
    assert my_url(player()) is None


def test_upload_then_fetch_the_square_picture(app: Any, player: Any) -> None:
    ada = player()
    response = upload(ada, photo())
    assert response.status_code == 201
    url = response.get_json()["avatar_url"]
    assert my_url(ada) == url

    got = ada.client.get(url)
    assert got.status_code == 200
    assert got.headers["Content-Type"] == "image/webp"
    assert got.headers["X-Content-Type-Options"] == "nosniff"
    assert "max-age=31536000" in got.headers["Cache-Control"]
    assert got.headers["ETag"]
    assert Image.open(io.BytesIO(got.data)).size == (256, 256)
    small = ada.client.get(url.replace("/256.webp", "/64.webp"))
    assert Image.open(io.BytesIO(small.data)).size == (64, 64)

    again = ada.client.get(url, headers={"If-None-Match": got.headers["ETag"]})
    assert again.status_code == 304
    assert len(stored_keys(app)) == 2


def test_the_same_picture_again_is_stored_afresh_and_the_old_copy_goes(
    app: Any, player: Any
) -> None:
    # Objects are the upload's own: re-uploading heals a picture whose objects went missing.
    ada = player()
    first = upload(ada, photo()).get_json()["avatar_url"]
    keys = stored_keys(app)
    second = upload(ada, photo(), "same-again.jpg").get_json()["avatar_url"]
    assert second != first and my_url(ada) == second
    assert len(stored_keys(app)) == 2 and not set(keys) & set(stored_keys(app))
    assert ada.client.get(second).status_code == 200


def test_replace_then_remove(app: Any, player: Any) -> None:
    ada = player()
    old = upload(ada, photo((200, 30, 30))).get_json()["avatar_url"]
    new = upload(ada, photo((30, 30, 200))).get_json()["avatar_url"]
    assert new != old and my_url(ada) == new
    stale = ada.client.get(old)  # e.g. from a game created before the change
    assert stale.status_code == 302 and stale.headers["Location"] == new
    assert ada.client.get(new).status_code == 200
    assert len(stored_keys(app)) == 2  # the replaced picture's objects are gone

    assert ada.call("DELETE", "/api/me/avatar").status_code == 204
    assert my_url(ada) is None
    gone = ada.client.get(new)
    assert gone.status_code == 302 and gone.headers["Location"].endswith("/default.svg")
    assert stored_keys(app) == []
    assert ada.call("DELETE", "/api/me/avatar").status_code == 204  # nothing left: still fine


def test_nobody_changes_another_players_picture(player: Any) -> None:
    ada, bob = player(), player()
    mine = upload(ada, photo()).get_json()["avatar_url"]
    upload(bob, photo((10, 200, 10)))
    assert bob.call("DELETE", "/api/me/avatar").status_code == 204
    assert my_url(ada) == mine and my_url(bob) is None
    assert bob.client.get(mine).status_code == 200  # others may look at it


def test_signed_out_and_forged_requests_change_nothing(app: Any, player: Any) -> None:
    stranger = app.test_client()
    token = {"X-CSRFToken": stranger.get("/api/csrf").get_json()["csrf_token"]}
    image = {"image": (io.BytesIO(photo()), "a.jpg")}
    assert stranger.put("/api/me/avatar", data=image, headers=token).status_code == 401
    assert stranger.delete("/api/me/avatar", headers=token).status_code == 401

    ada = player()
    no_token = ada.client.put("/api/me/avatar", data={"image": (io.BytesIO(photo()), "a.jpg")})
    assert no_token.status_code == 400 and "CSRF" in no_token.get_json()["error"]
    assert ada.client.delete("/api/me/avatar").status_code == 400
    assert my_url(ada) is None and stored_keys(app) == []


def png_declaring(width: int, height: int) -> bytes:
    def chunk(kind: bytes, body: bytes) -> bytes:
        return (
            struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b"\0" * 99))


@pytest.mark.parametrize(
    "data, filename, message",
    [
        (b"just some text\n" * 50, "notes.png", "not a picture"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><script/></svg>', "x.svg", "SVG"),
        (photo(size=(1500, 1000))[:9000], "cut.jpg", "damaged or incomplete"),
        (png_declaring(50_000, 50_000), "bomb.png", "pixels"),
        (png_declaring(5000, 5000), "rgb.png", "RGB PNG: at most 16.8 megapixels"),
        (photo(), "photo.gif", "contains a JPEG"),
        (b"\0\0\0\x18ftypheic" + b"\0" * 100, "IMG_1.HEIC", "HEIC"),
    ],
)
def test_bad_pictures_get_a_400_and_nothing_is_stored(
    app: Any, player: Any, data: bytes, filename: str, message: str
) -> None:
    ada = player()
    previous = upload(ada, photo()).get_json()["avatar_url"]
    keys = stored_keys(app)
    response = upload(ada, data, filename)
    assert response.status_code == 400
    assert message in response.get_json()["error"]
    assert my_url(ada) == previous and stored_keys(app) == keys


def test_an_upload_without_the_image_field_is_a_400(player: Any) -> None:
    ada = player()
    response = ada.client.put(
        "/api/me/avatar", data={"picture": "x"}, headers={"X-CSRFToken": ada.token}
    )
    assert response.status_code == 400 and "'image'" in response.get_json()["error"]


class CountingStream(io.RawIOBase):
    """A large request body, all zeros, that counts how much of it the server reads."""

    def __init__(self, size: int) -> None:
        self.size, self.position, self.read_bytes = size, 0, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def seek(self, offset: int, whence: int = 0) -> int:
        self.position = {0: 0, 1: self.position, 2: self.size}[whence] + offset
        return self.position

    def tell(self) -> int:
        return self.position

    def readinto(self, buffer: Any) -> int:
        n = max(0, min(len(buffer), self.size - self.position))
        buffer[:n] = b"\0" * n
        self.position += n
        self.read_bytes += n
        return n


def test_over_5_mib_is_a_413_without_reading_the_body(player: Any) -> None:
    ada = player()
    body = CountingStream(50 * MiB)
    response = ada.client.put(
        "/api/me/avatar",
        input_stream=body,
        content_type="multipart/form-data; boundary=xyz",
        headers={"X-CSRFToken": ada.token},
    )
    assert response.status_code == 413
    assert body.read_bytes < 1 * MiB
    assert my_url(ada) is None


def test_a_picture_just_over_5_mib_in_a_small_envelope_is_a_413(player: Any) -> None:
    ada = player()
    response = upload(ada, photo() + b"\0" * (5 * MiB))
    assert response.status_code == 413
    assert my_url(ada) is None


def test_a_failed_table_write_keeps_the_previous_picture(
    app: Any, player: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada = player()
    previous = upload(ada, photo()).get_json()["avatar_url"]

    def table_down(*args: Any, **kwargs: Any) -> None:
        raise Unavailable("storing a picture record: ServiceUnavailable")

    monkeypatch.setattr(backend(app).pictures, "put", table_down)
    response = upload(ada, photo((0, 0, 255)))
    assert response.status_code == 503
    monkeypatch.undo()

    assert my_url(ada) == previous
    shown = ada.client.get(previous)
    assert shown.status_code == 200 and shown.headers["Content-Type"] == "image/webp"


def test_a_failed_upload_to_s3_keeps_the_previous_picture(
    app: Any, player: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada = player()
    previous = upload(ada, photo()).get_json()["avatar_url"]
    keys = stored_keys(app)

    def s3_down(*args: Any, **kwargs: Any) -> None:
        raise Unavailable("storing a picture: SlowDown")

    monkeypatch.setattr(backend(app).bucket, "put", s3_down)
    assert upload(ada, photo((0, 0, 255))).status_code == 503
    monkeypatch.undo()
    assert my_url(ada) == previous and stored_keys(app) == keys


def test_games_carry_both_players_pictures_or_their_defaults(player: Any) -> None:
    ada, bob = player(), player()
    mine = upload(ada, photo()).get_json()["avatar_url"]
    game = ada.invite(bob)
    assert game["host_avatar_url"] == mine.replace("/256.webp", "/64.webp")
    assert game["opponent_avatar_url"].endswith(f"/avatars/{bob.name}/default.svg")

    listed = bob.client.get("/api/games").get_json()["invites"][0]
    assert listed["host_avatar_url"] == game["host_avatar_url"]
    for url in (listed["host_avatar_url"], listed["opponent_avatar_url"]):
        assert bob.client.get(url).status_code == 200


def test_the_default_picture_is_a_safe_svg_of_the_initials(player: Any) -> None:
    ada = player("ada_lovelace")
    response = ada.client.get("/avatars/ada_lovelace/default.svg")
    assert response.status_code == 200
    assert response.headers["Content-Type"].startswith("image/svg+xml")
    assert "sandbox" in response.headers["Content-Security-Policy"]
    assert response.headers["ETag"] and "max-age" in response.headers["Cache-Control"]
    svg = response.get_data(as_text=True)
    assert ">AL</text>" in svg and "<script" not in svg


@pytest.mark.parametrize(
    "path",
    [
        "/avatars/nobody/" + "a" * 64 + "/128.webp",  # a size we never make
        "/avatars/nobody/not-a-hash/256.webp",
        "/avatars/no!body/default.svg",
    ],
)
def test_unknown_pictures_are_404_yet_still_show_the_default(player: Any, path: str) -> None:
    response = player().client.get(path)
    assert response.status_code == 404
    assert response.headers["Content-Type"].startswith("image/svg+xml")


def test_a_never_stored_picture_redirects_to_the_default(player: Any) -> None:
    response = player().client.get("/avatars/nobody/" + "a" * 64 + "/256.webp")
    assert response.status_code == 302 and response.headers["Location"].endswith("/default.svg")


def test_showing_games_reads_no_pictures(app: Any, player: Any) -> None:
    """Games carry their players' picture hashes: lists, moves and polls cost no Avatars read."""
    ada = player()
    upload(ada, photo())
    rivals = [player() for _ in range(5)]
    upload(rivals[0], photo((10, 200, 10)))
    for rival in rivals:
        ada.invite(rival)
    calls: Counter[str] = Counter()
    events = backend(app).dynamodb.meta.events

    def count(params: dict[str, Any], model: Any, **_: Any) -> None:
        tables = params.get("TableName") or next(iter(params.get("RequestItems", {"": 0})))
        if tables == backend(app).settings.avatars_table:
            calls[model.name] += 1

    events.register("provide-client-params.dynamodb.*", count)
    try:
        games = ada.client.get("/api/games").get_json()["sent"]
        started = rivals[0].accept(games[-1])
        moved = rivals[0].move(started, 4).get_json()
        polled = ada.client.get(f"/api/games/{started['id']}").get_json()
    finally:
        events.unregister("provide-client-params.dynamodb.*", count)
    assert len(games) == 5 and all(g["opponent_avatar_url"] for g in games)
    assert {g["host_avatar_url"] for g in games} == {my_url(ada).replace("/256.", "/64.")}
    assert moved["opponent_avatar_url"] == polled["opponent_avatar_url"]
    assert moved["opponent_avatar_url"].endswith("/64.webp")  # rivals[0]'s own picture
    assert [g["opponent_avatar_url"].endswith("/default.svg") for g in games].count(True) == 4
    assert sum(calls.values()) == 0, calls


def form_token(page: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def test_the_profile_page_works_without_javascript(player: Any) -> None:
    ada = player()
    page = ada.client.get("/profile").get_data(as_text=True)
    assert 'enctype="multipart/form-data"' in page and 'type="file" name="image"' in page
    assert "Remove picture" not in page and f"/avatars/{ada.name}/default.svg" in page

    sent = ada.client.post(
        "/profile/avatar",
        data={"csrf_token": form_token(page), "image": (io.BytesIO(photo()), "me.jpg")},
        follow_redirects=True,
    )
    page = sent.get_data(as_text=True)
    assert sent.status_code == 200 and "Your new picture is in place." in page
    url = my_url(ada)
    assert url and f'src="{url}"' in page and "Remove picture" in page

    removed = ada.client.post(
        "/profile/avatar/remove", data={"csrf_token": form_token(page)}, follow_redirects=True
    )
    assert "Your picture is removed" in removed.get_data(as_text=True)
    assert my_url(ada) is None


def test_the_profile_page_explains_a_bad_picture(player: Any) -> None:
    ada = player()
    token = form_token(ada.client.get("/profile").get_data(as_text=True))
    sent = ada.client.post(
        "/profile/avatar",
        data={"csrf_token": token, "image": (io.BytesIO(b"<svg/>"), "x.svg")},
        headers={"Accept": "text/html"},
    )
    assert sent.status_code == 400
    assert "SVG" in sent.get_data(as_text=True) and my_url(ada) is None


def test_pictures_show_beside_names_on_the_pages(player: Any) -> None:
    ada, bob = player(), player()
    mine = upload(ada, photo()).get_json()["avatar_url"].replace("/256.webp", "/64.webp")
    game = ada.invite(bob)
    home = bob.client.get("/").get_data(as_text=True)
    assert f'src="{mine}"' in home  # ada's picture beside her invitation
    assert 'href="/profile"' in home and f"/avatars/{bob.name}/default.svg" in home
    board = bob.client.get(f"/games/{game['id']}").get_data(as_text=True)
    assert f'src="{mine}"' in board


def test_a_second_upload_while_one_decodes_is_busy_and_moves_go_on(
    player: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    ada, bob, host, guest = player(), player(), player(), player()
    game = guest.accept(host.invite(guest))
    decoding, finish = threading.Event(), threading.Event()
    square = pillow._square

    def held(*args: Any) -> Any:  # ada's picture stays mid-decode until the test says so
        decoding.set()
        assert finish.wait(30)
        return square(*args)

    monkeypatch.setattr(pillow, "_square", held)
    monkeypatch.setattr(pillow, "WAIT_SECONDS", 0)  # bob's turn never comes: no need to wait
    first: list[Any] = []
    thread = threading.Thread(target=lambda: first.append(upload(ada, photo())))
    thread.start()
    try:
        assert decoding.wait(30)
        busy = upload(bob, photo((0, 0, 200)))
        assert busy.status_code == 503 and busy.headers["Retry-After"] == "2"
        assert "busy" in busy.get_json()["error"] and "try again" in busy.get_json()["error"]
        mover = host if game["turn"] == host.name else guest
        assert mover.move(game, 4).status_code == 200  # the same process serves moves
    finally:
        finish.set()
        thread.join()
    assert first[0].status_code == 201
    assert my_url(bob) is None  # the refused upload changed nothing


def test_a_picture_stored_before_upload_ids_keeps_working_until_replaced(
    app: Any, player: Any
) -> None:
    ada, b = player(), backend(app)
    digest = "d" * 64
    keys = [f"avatars/{ada.name.lower()}/{digest}/{size}" for size in (256, 64)]
    for key in keys:
        b.bucket.put(key, photo(), "image/webp")
    sizes = (StoredSize(256, keys[0], 1), StoredSize(64, keys[1], 1))
    old = PictureRecord(
        username=ada.name,
        content_hash=digest,
        content_type="image/webp",
        width=900,
        height=600,
        source_format="JPEG",
        uploaded_at="2026-01-01T00:00:00.000000Z",
        objects=sizes,
    )
    b.pictures.put(old, replacing=None)
    b.users.set_picture(ada.name, digest)

    url = my_url(ada)
    assert url is not None and url.endswith(f"/{digest}/256.webp")
    assert ada.client.get(url).status_code == 200
    new = upload(ada, photo((0, 0, 200))).get_json()["avatar_url"]
    assert ada.client.get(url).headers["Location"] == new  # the old URL leads to the new one
    assert not set(keys) & set(stored_keys(app)) and len(stored_keys(app)) == 2

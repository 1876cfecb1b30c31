"""Deleting an account: pictures, records and the name go; the opponents keep the games."""

from __future__ import annotations

from typing import Any

import boto3

from tests.api.test_pictures import photo, upload
from tests.support.players import PASSWORD, ApiPlayer
from tictactoe.services.backend import Backend
from tictactoe.store.games import DELETED_PLAYER
from tictactoe.store.users import CLAIM


def everything_stored(app: Any) -> dict[str, list[dict[str, Any]]]:
    """List every item of every table and every object of the bucket."""
    b: Backend = app.extensions["tictactoe"]
    dynamodb = boto3.client("dynamodb", region_name="us-west-2")
    found = {}
    for table in (b.settings.users_table, b.settings.avatars_table, b.settings.games_table):
        found[table] = dynamodb.scan(TableName=table, ConsistentRead=True)["Items"]
    listed = boto3.client("s3", region_name="us-west-2").list_objects_v2(Bucket=b.settings.bucket)
    found["bucket"] = [{"Key": o["Key"]} for o in listed.get("Contents", [])]
    return found


def mentions(stored: dict[str, list[dict[str, Any]]], name: str) -> list[Any]:
    """Return every stored item or object that names `name` in any letter case."""
    needle = name.lower()
    return [item for items in stored.values() for item in items if needle in str(item).lower()]


def finish(winner: ApiPlayer, loser: ApiPlayer, game: dict[str, Any]) -> dict[str, Any]:
    """Play a game the invited player (X, `winner` here) wins down the left column."""
    assert game["x_player"] == winner.name
    for cell_x, cell_o in ((0, 1), (3, 4)):
        assert winner.move(game, cell_x).status_code == 200
        assert loser.move(game, cell_o).status_code == 200
    final: dict[str, Any] = winner.move(game, 6).get_json()
    assert final["winner"] == winner.name
    return final


def test_deletion_removes_the_account_and_leaves_the_games_to_the_opponent(
    app: Any, player: Any
) -> None:
    alice, bob = player("alice"), player("bob")
    for who in (alice, bob):
        assert upload(who, photo()).status_code == 201
    won = finish(alice, bob, alice.accept(bob.invite(alice)))
    lost = finish(bob, alice, bob.accept(alice.invite(bob)))
    playing = bob.accept(alice.invite(bob))
    assert bob.move(playing, 4).status_code == 200
    carol = player("carol")
    bob.invite(alice)  # invitations either way (one open per pair: a third player)
    alice.invite(carol)

    refused = alice.call("DELETE", "/api/me", {"password": "not the password"})
    assert refused.status_code == 403
    before = everything_stored(app)
    assert mentions(before, "alice")
    assert alice.call("DELETE", "/api/me", {"password": PASSWORD}).status_code == 204
    assert alice.call("GET", "/api/me").status_code == 401

    after = everything_stored(app)
    assert mentions(after, "alice") == []  # nothing of hers dangles anywhere
    b: Backend = app.extensions["tictactoe"]
    users = after[b.settings.users_table]
    assert sorted(u["UserKey"]["S"] for u in users) == sorted(
        ["bob", CLAIM + "bob", "carol", CLAIM + "carol"]
    )
    assert [a["UserKey"]["S"] for a in after[b.settings.avatars_table]] == ["bob"]
    assert after["bucket"] and all(o["Key"].startswith("avatars/bob/") for o in after["bucket"])

    assert carol.call("GET", "/api/games").get_json()["invites"] == []
    lists = bob.call("GET", "/api/games").get_json()
    assert lists["invites"] == lists["sent"] == lists["in_progress"] == []
    finished = {g["id"]: g for g in lists["finished"]}
    assert set(finished) == {won["id"], lost["id"], playing["id"]}
    assert finished[won["id"]]["winner"] == DELETED_PLAYER
    assert finished[won["id"]]["opponent"] == DELETED_PLAYER
    assert finished[won["id"]]["board"] == won["board"]
    assert finished[lost["id"]]["winner"] == "bob"
    resigned = bob.call("GET", f"/api/games/{playing['id']}").get_json()
    assert (resigned["status"], resigned["winner"]) == ("FINISHED", "bob")
    assert resigned["host"] == DELETED_PLAYER and resigned["opponent_avatar_url"]
    page = bob.client.get(f"/games/{won['id']}").get_data(as_text=True)
    assert DELETED_PLAYER in page and "alice" not in page.lower()
    home = bob.client.get("/").get_data(as_text=True)
    assert DELETED_PLAYER in home


def test_the_name_can_be_taken_again_and_the_new_owner_inherits_nothing(
    app: Any, player: Any
) -> None:
    alice, bob = player("alice"), player("bob")
    finish(alice, bob, alice.accept(bob.invite(alice)))
    old_device = ApiPlayer(app.test_client(), "alice")
    old_device.refresh_csrf()
    login = {"username": "alice", "password": PASSWORD}
    assert old_device.call("POST", "/api/login", login).status_code == 200
    assert alice.call("DELETE", "/api/me", {"password": PASSWORD}).status_code == 204

    assert bob.call("POST", "/api/games", {"opponent": "alice"}).status_code == 404
    new_alice = player("Alice")  # the name, and its look-alikes, are free again
    lists = new_alice.call("GET", "/api/games").get_json()
    assert all(lists[k] == [] for k in ("invites", "sent", "in_progress", "finished"))
    # The deleted account's other session does not become the new owner's.
    old_device.refresh_csrf()
    assert old_device.call("DELETE", "/api/me/avatar").status_code == 401


def test_the_profile_form_deletes_only_with_the_box_ticked_and_the_password(
    app: Any, player: Any
) -> None:
    ada = player()
    token = ada.token

    def post(**fields: str) -> Any:
        return ada.client.post("/profile/delete", data={"csrf_token": token, **fields})

    assert post(password=PASSWORD).status_code == 400
    assert post(password="wrong password", confirm="yes").status_code == 403
    assert ada.call("GET", "/api/me").status_code == 200
    done = post(password=PASSWORD, confirm="yes")
    assert done.status_code == 303 and done.headers["Location"] == "/?done=deleted"
    welcome = ada.client.get(done.headers["Location"]).get_data(as_text=True)
    assert "account, pictures and name are deleted" in welcome
    assert ada.call("GET", "/api/me").status_code == 401

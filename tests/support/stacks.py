"""What the archive tests share: a stack with real play on it, and reading a stack whole."""

from __future__ import annotations

import io
import itertools
import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import EndpointConnectionError
from PIL import Image

from tests.support.openapi import CheckedClient
from tests.support.players import PASSWORD, ApiPlayer
from tictactoe import create_app
from tictactoe.config import Settings
from tictactoe.services.archive import tables
from tictactoe.services.backend import Backend
from tictactoe.services.pacing import TokenBucket
from tictactoe.store.archive import canonical


@dataclass
class Played:
    app: Any
    finished: dict[str, Any]  # a game played to a win
    playing: dict[str, Any]  # a game in progress, X has moved once
    players: dict[str, ApiPlayer]


def picture(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 90), colour).save(out, "PNG")
    return out.getvalue()


def app_on(settings: Settings) -> Any:
    application = create_app(settings)  # creates the tables and the bucket when missing
    application.config["TESTING"] = True
    application.test_client_class = CheckedClient
    return application


def play(settings: Settings) -> Played:
    """Two players with pictures, a finished game, one in progress, an open invitation."""
    app = app_on(settings)
    names = ("alice", "bob", "carol")
    alice, bob, carol = (ApiPlayer(app.test_client(), n).register() for n in names)
    for who, colour in ((alice, "red"), (bob, "blue")):
        sent = who.call(
            "PUT",
            "/api/me/avatar",
            None,
            content_type="multipart/form-data",
            data={"image": (io.BytesIO(picture(colour)), "me.png")},
        )
        assert sent.status_code == 201, sent.get_json()
    players = {p.name: p for p in (alice, bob, carol)}
    finished = bob.accept(alice.invite(bob))
    cells = {finished["x_player"]: iter([0, 1, 2]), finished["o_player"]: iter([3, 4])}
    while finished["status"] != "FINISHED":
        mover = players[finished["turn"]]
        finished = mover.move(finished, next(cells[finished["turn"]])).get_json()
    playing = alice.accept(bob.invite(alice))
    playing = players[playing["turn"]].move(playing, 4).get_json()
    carol.invite(alice)  # stays open: its pair's lock item is in Games too
    return Played(app, finished, playing, players)


def everything(backend: Backend, objects: bool = True) -> dict[str, Any]:
    """Every item by table role and (unless not `objects`) every object of the bucket, in a
    comparable form."""
    found: dict[str, Any] = {}
    for role, name in tables(backend.settings).items():
        items, request = [], {"TableName": name, "ConsistentRead": True}
        while True:
            page = backend.dynamodb.scan(**request)
            items += page["Items"]
            if "LastEvaluatedKey" not in page:
                break
            request["ExclusiveStartKey"] = page["LastEvaluatedKey"]
        found[role] = sorted(json.dumps(canonical(i), sort_keys=True, default=repr) for i in items)
    if objects:
        found["objects"] = {}
        bucket = backend.settings.bucket
        for entry in backend.s3.list_objects_v2(Bucket=bucket).get("Contents", []):
            got = backend.s3.get_object(Bucket=bucket, Key=entry["Key"])
            found["objects"][entry["Key"]] = (got["ContentType"], got["Body"].read())
    return found


def plenty() -> TokenBucket:
    """A bucket that never makes a test wait."""
    return TokenBucket(1e9)


def fail_after(client: Any, operation: str, calls: int) -> None:
    """Make every `operation` after the first `calls` fail as a lost network would."""
    counter = itertools.count(1)

    def fault(**_: Any) -> None:
        if next(counter) > calls:
            raise EndpointConnectionError(endpoint_url="http://192.0.2.1")

    client.meta.events.register(f"before-call.dynamodb.{operation}", fault)


def signs_in(app: Any, name: str) -> ApiPlayer:
    player = ApiPlayer(app.test_client(), name)
    player.refresh_csrf()
    response = player.call("POST", "/api/login", {"username": name, "password": PASSWORD})
    assert response.status_code == 200, response.get_json()
    player.refresh_csrf()
    return player

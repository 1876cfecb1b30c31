"""A Games table made before Live games gets the live index from `migrate`, as any new index.

Games already in progress then are not listed (only the write that starts a game gives it the
index's keys); every game started afterwards is. On moto: building an index on DynamoDB Local
is slow, and tests/store/test_migration.py proves the path there.
"""

from __future__ import annotations

from tests.conftest import make_settings
from tictactoe.rules.board import Status
from tictactoe.services.backend import build
from tictactoe.store import migration, tables
from tictactoe.store.schema import LIVE_INDEX, definitions, target


def test_migrate_adds_the_live_index_and_lists_games_started_after_it(moto: None) -> None:
    settings = make_settings()
    backend = build(settings)
    for definition in definitions(settings):
        if definition["TableName"] == settings.games_table:  # as the release before left it
            definition = definition | {
                "AttributeDefinitions": [
                    a
                    for a in definition["AttributeDefinitions"]
                    if a["AttributeName"] not in ("Live", "LiveSince")
                ],
                "GlobalSecondaryIndexes": [
                    i for i in definition["GlobalSecondaryIndexes"] if i["IndexName"] != LIVE_INDEX
                ],
            }
        backend.dynamodb.create_table(**definition)
    games = backend.games
    before = games.create("ann", "bob")
    # Started by the release before: its accept wrote no live keys.
    backend.dynamodb.update_item(
        TableName=settings.games_table,
        Key={"GameId": {"S": before.id}},
        UpdateExpression="SET #st = :p, Turn = :t, Waiting = :w REMOVE ExpiresAt",
        ExpressionAttributeNames={"#st": "Status"},
        ExpressionAttributeValues={
            ":p": {"S": "IN_PROGRESS"},
            ":t": {"S": "bob"},
            ":w": {"S": "ann"},
        },
    )

    done = migration.migrate(backend.dynamodb, target(settings), timeout=30)

    assert f"{settings.games_table}: add index {LIVE_INDEX} (Live, LiveSince)" in map(str, done)
    table = tables.describe(backend.dynamodb, settings.games_table)
    assert table is not None
    assert LIVE_INDEX in {i["IndexName"] for i in table["GlobalSecondaryIndexes"]}
    after = games.create("cat", "dan")
    games.accept(after.id, "dan")
    assert [g.id for g in games.live.read()] == [after.id]
    assert games.get(before.id).status is Status.IN_PROGRESS  # still played, just not listed

"""One game played with a table design's own item shapes, call by call (bench/suites/designs/).

The calls are the app's own (tictactoe/store/): the invitation's item and its pair lock, the
accept's, a move's and the finishing transaction's update expressions, the home page's
queries and batch read. A design changes only what it names: which attribute each game index
sorts on and projects, a sparse inbox index, how the ladder's Rank is bucketed, and whether
the finish counts the result in the same transaction.
"""

from __future__ import annotations

import secrets
from collections.abc import Callable
from typing import Any

from bench.suites.designs.shapes import EXPIRY, INBOX_INDEX, LIVE, PAGE, Design, account
from bench.suites.designs.standings import Standings
from tictactoe.rules.board import NEW_BOARD, Game, O, Placed, Status, place
from tictactoe.rules.clock import now
from tictactoe.store.invitations import INVITED, MAX_SENT, invited_range, pair_key
from tictactoe.store.items import OPEN, invitation_item, s
from tictactoe.store.results import Ending, finishing
from tictactoe.store.schema import TTL_ATTRIBUTE


def _nowhere(step: str) -> None:
    """No step to tell (a game played only to give the players a history)."""


class Play(Standings):
    """One design's calls on `client` (billed or not); what a call needs to know, from `peek`."""

    def __init__(self, design: Design, client: Any, peek: Any, games: str, users: str) -> None:
        self.design, self.client, self.peek = design, client, peek
        self.games, self.users = games, users
        self.clock = 1_700_000_000.0

    def stamp(self) -> str:
        self.clock += 1
        return now(self.clock)

    def sign_up(self, name: str) -> None:
        self.peek.put_item(TableName=self.users, Item=account(name, self.stamp()))

    def game(
        self,
        host: str,
        opponent: str,
        cells: tuple[int, ...],
        at: Callable[[str], None] = _nowhere,
        homes: bool = False,
    ) -> None:
        """Invite, accept, play `cells` (the opponent plays X); `at(step)` before each step."""

        def look(step: str, *players: str) -> None:  # the home pages, when asked for
            if homes:
                at(step)
                for player in players:
                    self.home(player)

        look("home before", host, opponent)
        at("invite")
        game_id = self.invite(host, opponent)
        look("home pending, host", host)
        look("home pending, opponent", opponent)
        at("accept")
        self.accept(game_id, opponent)
        look("home playing", host, opponent)
        board, players = NEW_BOARD, (opponent, host)
        for turn, cell in enumerate(cells):
            at("finish" if turn == len(cells) - 1 else "moves")
            board = self.move(game_id, players[turn % 2], board, cell, (host, opponent))
        look("home after", host, opponent)
        at("outside")

    def invite(self, host: str, opponent: str) -> str:
        created, moment = self.stamp(), self.clock
        self.count_sent(host, now(moment - EXPIRY))
        game_id, expires = secrets.token_urlsafe(12), int(moment) + EXPIRY
        self.client.put_item(
            TableName=self.games,
            Item={  # the pair's lock, taken over
                "GameId": s(pair_key(host, opponent)),
                "Game": s(game_id),
                "TakenAt": {"N": str(int(moment))},
                TTL_ATTRIBUTE: {"N": str(expires)},
            },
        )
        item = invitation_item(
            Game.invitation(game_id, host, opponent, created, (None, None), expires)
        )
        if self.design.host_stays:
            item["HostDate"] = s(LIVE + created)
        if self.design.inbox:
            item["InvitedDate"] = s(INVITED + created)
        self.client.put_item(
            TableName=self.games, Item=item, ConditionExpression="attribute_not_exists(GameId)"
        )
        return game_id

    def count_sent(self, host: str, live_after: str) -> None:
        """The cap of MAX_SENT live invitations: today a COUNT of the host's INVITED_ entries."""
        index, sort = self.design.host_index
        if not self.design.host_stays:
            self.client.query(
                TableName=self.games,
                IndexName=index,
                Select="COUNT",
                Limit=MAX_SENT,
                KeyConditionExpression="HostId = :p AND StatusDate BETWEEN :from AND :to",
                ExpressionAttributeValues={":p": s(host), **invited_range(live_after)},
            )
            return
        # LIVE_ entries are invitations and games alike: every one in the window is read.
        found = self.client.query(
            TableName=self.games,
            IndexName=index,
            KeyConditionExpression=f"HostId = :p AND {sort} BETWEEN :from AND :to",
            ExpressionAttributeValues={
                ":p": s(host),
                ":from": s(LIVE + live_after),
                ":to": s(LIVE + "~"),
            },
        )["Items"]
        if not self.design.host_status:  # else the projected Status tells them apart
            self.read_games([e["GameId"]["S"] for e in found if self._live(sort, e)])

    def accept(self, game_id: str, player: str) -> None:
        update = (
            "SET #st = :playing, OpponentId = :me, Turn = if_not_exists(FirstTurn, :me),"
            " Waiting = if_not_exists(FirstWait, HostId), StatusDate = :open,"
            " Version = Version + :one, UpdatedAt = :now"
        )
        removes = ["ExpiresAt"]
        if self.design.inbox:
            update += ", OpponentDate = :open"
            removes.append("InvitedDate")
        stamp = self.stamp()
        self.client.update_item(
            TableName=self.games,
            Key={"GameId": s(game_id)},
            ConditionExpression="attribute_exists(GameId) AND #st = :pending AND"
            " (OpponentId = :me OR (attribute_not_exists(OpponentId) AND HostId <> :me))"
            " AND (attribute_not_exists(ExpiresAt) OR ExpiresAt > :clock)",
            UpdateExpression=update + " REMOVE " + ", ".join(removes),
            ExpressionAttributeNames={"#st": "Status"},
            ExpressionAttributeValues={
                ":pending": s(Status.PENDING),
                ":playing": s(Status.IN_PROGRESS),
                ":me": s(player),
                ":open": s(OPEN + stamp),
                ":one": {"N": "1"},
                ":now": s(stamp),
                ":clock": {"N": str(int(self.clock))},
            },
            ReturnValues="ALL_NEW",
        )

    def move(
        self, game_id: str, player: str, seen: str, cell: int, players: tuple[str, str]
    ) -> str:
        """Play `cell` on `seen` (store/games.py's update; the last move: the finish)."""
        placed = place(seen, cell)
        if placed.over:
            self.finish(game_id, player, seen, placed, players)
            return placed.board
        other = "OpponentId" if placed.mark == O else "HostId"
        self.client.update_item(
            TableName=self.games,
            Key={"GameId": s(game_id)},
            ConditionExpression="attribute_exists(GameId) AND #st = :playing AND Turn = :me"
            " AND Board = :seen AND attribute_not_exists(Computer)",
            UpdateExpression="SET Board = :board, Version = Version + :one, UpdatedAt = :now,"
            " Moves = list_append(if_not_exists(Moves, :none), :cell),"
            f" Turn = if_not_exists(Waiting, {other}), Waiting = :me",
            ExpressionAttributeNames={"#st": "Status"},
            ExpressionAttributeValues={
                ":playing": s(Status.IN_PROGRESS),
                ":me": s(player),
                ":seen": s(seen),
                ":board": s(placed.board),
                ":cell": {"L": [{"N": str(cell)}]},
                ":none": {"L": []},
                ":one": {"N": "1"},
                ":now": s(self.stamp()),
            },
            ReturnValues="ALL_NEW",
        )
        return placed.board

    def finish(
        self, game_id: str, player: str, seen: str, placed: Placed, players: tuple[str, str]
    ) -> None:
        """The game finished and both players counted (store/results.py), or not in one go."""
        stamp, design = self.stamp(), self.design
        winner = player if placed.won else None
        update, values = finishing(Ending(placed.board, winner, cells=(placed.cell,)), stamp)
        moved = [
            a
            for a, on in (("HostDate", design.host_stays), ("OpponentDate", design.inbox))
            if on and not design.stable
        ]
        update = update.replace(" REMOVE", "".join(f", {a} = :sd" for a in moved) + " REMOVE")
        version = self.peek.get_item(
            TableName=self.games, Key={"GameId": s(game_id)}, ConsistentRead=True
        )["Item"]["Version"]
        writes = [
            {
                "TableName": self.games,
                "Key": {"GameId": s(game_id)},
                "ConditionExpression": "attribute_exists(GameId) AND #st = :playing"
                " AND Version = :v AND Turn = :me AND Board = :seen",
                "UpdateExpression": update,
                "ExpressionAttributeNames": {"#st": "Status"},
                "ExpressionAttributeValues": values
                | {
                    ":playing": s(Status.IN_PROGRESS),
                    ":v": version,
                    ":me": s(player),
                    ":seen": s(seen),
                },
            },
            *self.count_writes(players, winner),
        ]
        if design.transaction:
            self.client.transact_write_items(TransactItems=[{"Update": w} for w in writes])
        else:
            for write in writes:
                self.client.update_item(**write)

    def home(self, player: str) -> None:
        """The home page's reads: each index's newest page, then the games that need the table."""
        indexes = [("HostId", *self.design.host_index), ("OpponentId", *self.design.opponent_index)]
        if self.design.inbox:
            indexes.append(("OpponentId", INBOX_INDEX, "InvitedDate"))
        wanted = []
        for key, index, sort in indexes:
            page = self.client.query(
                TableName=self.games,
                IndexName=index,
                Limit=PAGE,
                KeyConditionExpression=f"{key} = :p",
                ScanIndexForward=False,
                ExpressionAttributeValues={":p": s(player)},
            )
            wanted += [e["GameId"]["S"] for e in page["Items"] if self._live(sort, e)]
        self.read_games(wanted)

    def _live(self, sort: str, entry: dict[str, Any]) -> bool:
        """Whether a list needs the game itself: in progress, or not told apart from it."""
        if sort == "StatusDate":
            return entry[sort]["S"].startswith(OPEN)
        if "FinalBoard" in entry or sort == "InvitedDate":
            return False  # finished (stable keys) or an invitation: the entry shows it all
        if sort == "HostDate" and self.design.host_status:
            return entry["Status"]["S"] == Status.IN_PROGRESS
        return True  # LIVE_ without Status: a sent invitation or a game in progress

    def read_games(self, game_ids: list[str]) -> None:
        if game_ids:
            keys = [{"GameId": s(i)} for i in dict.fromkeys(game_ids)]
            self.client.batch_get_item(RequestItems={self.games: {"Keys": keys}})

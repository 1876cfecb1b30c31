"""The players' standings in a design's Users table: read, set, and counted by a finish."""

from __future__ import annotations

from typing import Any

from bench.suites.designs.shapes import Design
from tictactoe.rules import ratings
from tictactoe.store.items import s
from tictactoe.store.ladder import shard


class Standings:
    """Ratings and wins in the Users table, read and written around a design's game."""

    design: Design
    peek: Any  # a client of its own: its calls are not billed
    users: str

    def count_writes(self, players: tuple[str, str], winner: str | None) -> list[dict[str, Any]]:
        """Both players' Users updates, with the condition and values store/results.py writes."""
        standing = [self.standing(p) for p in players]
        host_score = ratings.TIE if winner is None else float(winner == players[0])
        new = ratings.after_game(standing[0][0], standing[1][0], host_score)
        writes = []
        for player, (was, wins, rated), rating, score in zip(
            players, standing, new, (host_score, 1 - host_score), strict=True
        ):
            won = int(score == ratings.WIN)
            values = {
                ":rating": {"N": ratings.stored(rating)},
                ":ladder": s(shard(player.lower())),
                ":rank": {"N": str(self.design.rank(rating, wins + won))},
                ":w": {"N": str(won)},
                ":l": {"N": str(int(score == ratings.LOSS))},
                ":t": {"N": str(int(score == ratings.TIE))},
            }
            condition = "attribute_exists(UserKey) AND attribute_not_exists(Rating)"
            if rated:
                condition = "attribute_exists(UserKey) AND Rating = :was AND Wins = :wins"
                values |= {":was": {"N": ratings.stored(was)}, ":wins": {"N": str(wins)}}
            writes.append(
                {
                    "TableName": self.users,
                    "Key": {"UserKey": s(player.lower())},
                    "ConditionExpression": condition,
                    "UpdateExpression": "SET Rating = :rating, Ladder = :ladder, #rank = :rank"
                    " ADD Wins :w, Losses :l, Ties :t",
                    "ExpressionAttributeNames": {"#rank": "Rank"},
                    "ExpressionAttributeValues": values,
                }
            )
        return writes

    def standing(self, player: str) -> tuple[float, int, bool]:
        """The player's rating, wins and whether they have a rating yet (read unbilled)."""
        item = self.peek.get_item(
            TableName=self.users, Key={"UserKey": s(player.lower())}, ConsistentRead=True
        )["Item"]
        rating = float(item["Rating"]["N"]) if "Rating" in item else ratings.START
        return rating, int(item.get("Wins", {}).get("N", "0")), "Rating" in item

    def rate(self, player: str, rating: float) -> None:
        """Give `player` this rating before the measured game (unbilled)."""
        _, wins, _ = self.standing(player)
        self.peek.update_item(
            TableName=self.users,
            Key={"UserKey": s(player.lower())},
            UpdateExpression="SET Rating = :r, Ladder = :l, #rank = :rank",
            ExpressionAttributeNames={"#rank": "Rank"},
            ExpressionAttributeValues={
                ":r": {"N": ratings.stored(rating)},
                ":l": s(shard(player.lower())),
                ":rank": {"N": str(self.design.rank(rating, wins))},
            },
        )

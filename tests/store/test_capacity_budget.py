"""Capacity budgets: what each kind of request may cost in DynamoDB, checked on DynamoDB Local.

The budgets are facts of the design, not timings: a move is one conditional write that
touches no index; an index entry is written when a game is created and rewritten when it is
accepted and when it finishes; a poll, a page and a login are one eventually consistent read
each; the home page is one query per index and one batch read of the games in progress. A
change that makes any kind of request cost more fails here, naming the request, the step and
the units.

Capacity is what DynamoDB Local reports through ReturnConsumedCapacity (moto does not count
it the same way), added up by the benchmark's Recorder from the app's own hook on its client
(tictactoe/adapters/capacity.py, which the request log uses too).
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from dataclasses import dataclass, replace
from typing import Any

import pytest
from moto import mock_aws

from bench.capacity import Recorder
from bench.flows import TIE_IN_9, WIN_IN_7, Browser, new_pair, play_game
from tests.conftest import make_settings, passthrough
from tests.services.test_accounts import Clock
from tests.support import ROOT
from tictactoe import create_app
from tictactoe.services.accounts import RECHECK_SECONDS
from tictactoe.store.ladder import LADDER_SHARDS
from tictactoe.web import auth


@dataclass(frozen=True)
class Budget:
    calls: int
    rcu: float
    wcu: float


# One request of each type, for players with a history and at most one open game.
BUDGETS = {
    "login": Budget(calls=1, rcu=0.5, wcu=0),  # the player's item, eventually consistent
    "home": Budget(calls=3, rcu=1.5, wcu=0),  # a query per index + a batch read of open games
    # Issue 10 (invitations that cannot be abused) added to the create: the host's live
    # invitations counted (a COUNT query on the host index, for the cap of 20), the pair's lock
    # read and, as it names their previous game, that game read (one per pair), and the lock
    # taken over (1 WCU). DynamoDB Local bills the count 0 when it finds nothing (1.5 RCU in
    # all); AWS bills a query at least 0.5. Before: 2 calls, 0.5 RCU, 3 WCU.
    "create": Budget(calls=6, rcu=2.0, wcu=4),
    "page": Budget(calls=1, rcu=0.5, wcu=0),  # the game, eventually consistent
    # Issue 10: accepting moves the game from INVITED_ to OPEN_ in both indexes (a delete and a
    # put in each), so that no number of invitations can push a game in progress off a list.
    # Before: 1 WCU, the table alone.
    # Issue 28 (live games): a game between people enters the sparse live index when it
    # starts, one put (store/live.py). Before: 5 WCU.
    "accept": Budget(calls=1, rcu=0, wcu=6),
    "move": Budget(calls=1, rcu=0, wcu=1),  # one conditional write, the table only
    "poll": Budget(calls=1, rcu=0.5, wcu=0),  # one eventually consistent read, 304 or 200
}
# Any request may also re-check its session against the player's Users item (issue 11): one
# eventually consistent read, at most once a minute per session, never on sign-in itself.
SESSION_CHECK = Budget(calls=1, rcu=0.5, wcu=0)
# The move that ends a game also moves the game to FINISHED_ in both indexes (delete + put).
# Issue 12 made it count the result, once: it reads the game (0.5 RCU: the move carries
# neither player's name) and both players' ratings (one BatchGetItem, 1 RCU), then writes the
# game and both Users items in one TransactWriteItems, whose ladder index entries move (a
# delete and a put per player when the Rank changes). What DynamoDB Local reports for it:
# 4 WCU per table in the transaction, whatever the number of items (Games 4, Users 4), and
# every index write doubled (Games indexes 2 x 4, ladder 2 x 4 for two established players,
# 2 x 2 for a first game): 32 WCU. AWS bills a transactional write 2 WCU per item (1 KB) and,
# we understand, index writes at the usual rate: game 2 + Games indexes 4 + Users 2 x 2 +
# ladder 2 x 2 = 14 WCU, of which counting adds 9 (7 for a first game) to the 5 before.
# Before: 1 call, 0 RCU, 5 WCU.
# Issue 28 (ratings that can't be farmed) adds the pair's item to the transaction (store/
# pairs.py: the pair's last three rated finishes, no index): DynamoDB Local reports 4 WCU
# more, AWS bills 2 (16 WCU). Before: 32 WCU. An unrated finish: test_capacity_ratings.py.
# Issue 28 (live games): the finish takes the game out of the live index, one delete, which
# DynamoDB Local reports as 4 WCU in a transaction and AWS bills 1 (17 WCU). Before: 36 WCU.
FINISHING_MOVE = Budget(calls=3, rcu=1.5, wcu=40)
# Per complete 7-move game (5 x WCU + RCU). Issue 6 set 17 WCU and cost 90 (the game cost
# 15 and 87). Issue 10 added 4 WCU to the accept and 1 WCU (the pair's lock) and 1 RCU to
# the create, and saved the 0.5 RCU batch read of a home page that shows only invitations:
# 20 WCU, 12.5 RCU, cost 112.5; still well under the sample's 34 WCU and cost 180.
# Issue 12 (results counted once) adds the finishing move's reads (1.5 RCU) and transaction:
# as DynamoDB Local reports it, 47 WCU, 14 RCU, cost 249; as AWS bills it (see
# FINISHING_MOVE), 29 WCU, cost 159.
# Issue 28 adds the pair's item to the finishing transaction: as DynamoDB Local reports it,
# 51 WCU, cost 269; as AWS bills it, 31 WCU, cost 169.
# Issue 28 (live games) adds the live index's put at the accept and delete at the finish: as
# DynamoDB Local reports it, 56 WCU, cost 294; as AWS bills it, 33 WCU, cost 179.
# Issue 27 (item 2): the game pages after the invite and the accept show the game those posts
# wrote, no read (test_capacity_landing.py): 13 RCU, cost 293; as AWS bills it, cost 178.
GAME = {"wcu": 56, "cost": 293}
WAITING_RCU_PER_MINUTE = 15  # issue 6: both screens, one of them polling


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    """The sessions' clock, still unless a test moves it: a slow run adds no session checks."""
    fake = Clock()
    monkeypatch.setattr(auth, "clock", fake)
    return fake


@pytest.fixture
def recorded(dynamodb_local_url: str, clock: Clock) -> Iterator[tuple[Any, Recorder]]:
    """The app on DynamoDB Local, with the capacity recorder on its DynamoDB client."""
    with mock_aws(config=passthrough(dynamodb_local_url)):
        # With the production limits on: a successful login must stay one read (limits.py).
        limited = replace(
            make_settings(endpoint=dynamodb_local_url),
            failed_logins_per_account=10,
            login_attempts_per_client=60,
            signups_per_client=20,
        )
        app = create_app(limited)
        yield app, Recorder.install(app.extensions["tictactoe"].dynamodb)


def players_with_history(
    app: Any, cells: tuple[int, ...], pictures: bool = False
) -> tuple[str, str]:
    """Two new players who have played each other twice, each once as host."""
    host, opponent = new_pair(app, pictures)
    play_game(host, opponent, cells)
    play_game(
        Browser(app.test_client(), opponent.name), Browser(app.test_client(), host.name), cells
    )
    return host.name, opponent.name


def play_step_by_step(
    app: Any,
    recorder: Recorder,
    cells: tuple[int, ...],
    pictures: bool = False,
    pace: Any = lambda: None,
) -> list[tuple]:
    """Play a complete game as browsers do; return (step, capacity snapshot) per step."""
    host, opponent = players_with_history(app, cells, pictures)
    steps: list[tuple[str, dict[str, Any]]] = []

    def step(name: str) -> None:
        steps.append((name, recorder.snapshot()))
        recorder.reset()
        pace()  # time passes before the next step

    recorder.reset()
    final = play_game(
        Browser(app.test_client(), host), Browser(app.test_client(), opponent), cells, step
    )
    assert final["status"] == "FINISHED"
    return steps


@pytest.mark.parametrize(
    ("cells", "pictures"),
    [(WIN_IN_7, False), (TIE_IN_9, False), (WIN_IN_7, True)],
    ids=["7-move win", "9-move tie", "7-move win, players with pictures"],
)
def test_every_request_stays_within_its_budget(
    recorded: Any, cells: tuple[int, ...], pictures: bool
) -> None:
    app, recorder = recorded
    over = []
    for name, used in play_step_by_step(app, recorder, cells, pictures):
        for kind, usage in used["by_type"].items():
            budget = FINISHING_MOVE if name == f"move {len(cells)}" else BUDGETS.get(kind)
            if budget is None:
                over.append(f"{name}: {kind} requests have no budget; used {usage}")
            elif (
                usage["calls"] > budget.calls
                or usage["rcu"] > budget.rcu
                or usage["wcu"] > budget.wcu
            ):
                over.append(f"{name}: {kind} used {usage}, budget {budget}")
    assert not over, "\n".join(over)


def test_moves_write_the_table_alone_until_the_game_ends(recorded: Any) -> None:
    app, recorder = recorded
    steps = dict(play_step_by_step(app, recorder, WIN_IN_7))
    for turn in range(1, 7):
        assert set(steps[f"move {turn}"]["by_target"]) == {"Games"}, turn
    assert set(steps["move 7"]["by_target"]) == {
        "Games",
        "Games/HostId-StatusDate-index",
        "Games/OpponentId-StatusDate-index",
        "Users",  # the players' ratings read, and the count (issue 12)
        "Users/Ladder-Rank-index",
        "Games/Live-LiveSince-index",  # the game leaves the live list (issue 28)
    }


def test_a_complete_game_stays_within_its_budget(recorded: Any) -> None:
    app, recorder = recorded
    steps = play_step_by_step(app, recorder, WIN_IN_7)
    wcu = sum(used["total"]["wcu"] for _, used in steps)
    cost = sum(used["total"]["cost"] for _, used in steps)
    assert wcu <= GAME["wcu"]
    assert cost <= GAME["cost"]


# Issue 10: a home page whose first page of index entries is full of invitations reads the
# invitations and the finished games it could not reach by their own prefix (two more small
# queries on that index); how many invitations there are changes nothing after that.
CROWDED_HOME = Budget(calls=5, rcu=3.0, wcu=0)  # a full page of 40 entries is 1 RCU


def test_no_number_of_invitations_makes_the_home_page_read_more(recorded: Any) -> None:
    app, recorder = recorded
    host, opponent = players_with_history(app, WIN_IN_7)
    me, inviter = Browser(app.test_client(), opponent), Browser(app.test_client(), host)
    me.log_in()
    inviter.log_in()
    me.accept(inviter.invite(opponent))  # one game in progress
    games = app.extensions["tictactoe"].games
    used = []
    for batch in range(2):
        for i in range(50):  # invitations from as many senders, written outside any request
            games.create(f"spam{batch}x{i}", opponent)
        recorder.reset()
        page = me.load("/")
        used.append(recorder.snapshot()["by_type"]["home"])
        assert page.count("Your turn") + page.count("Their turn") == 1  # still listed
    assert used[0] == used[1]
    assert used[1]["calls"] <= CROWDED_HOME.calls and used[1]["rcu"] <= CROWDED_HOME.rcu


@pytest.mark.parametrize("seconds_per_step", [5, 20, 61])
def test_session_checks_cost_at_most_one_read_per_player_a_minute(
    recorded: Any, clock: Clock, seconds_per_step: int
) -> None:
    """A game played at a given pace (a step: one player's action and the other's poll).

    At 61 s a step every request re-checks its session: the worst case, which each request's
    budget plus one SESSION_CHECK still covers. The Users reads beyond the two sign-ins are
    the checks, at most one per player per started minute. Measured (7-move game, 22
    steps): 5 s a step (1.8 min) 2 checks, 1.0 RCU; 10 s (3.7 min) 4, 2.0 RCU; 20 s (7.3 min)
    10, 5.0 RCU; 61 s, every request, 20 checks, 10.0 RCU.
    """
    app, recorder = recorded
    steps = play_step_by_step(app, recorder, WIN_IN_7, pace=lambda: clock.advance(seconds_per_step))
    over = []
    for name, used in steps:
        for kind, usage in used["by_type"].items():
            budget = FINISHING_MOVE if name == "move 7" else BUDGETS[kind]
            if usage["calls"] > budget.calls + SESSION_CHECK.calls or (
                usage["rcu"] > budget.rcu + SESSION_CHECK.rcu
            ):
                over.append(f"{name}: {kind} used {usage}, budget {budget} + {SESSION_CHECK}")
    assert not over, "\n".join(over)
    users = [used["by_target"].get("Users", {"calls": 0, "rcu": 0.0}) for _, used in steps]
    # Less the calls the game makes anyway: each player's sign-in, the invited opponent's, and
    # the finishing move's ratings read (1 RCU) and count (issue 12).
    checks = sum(u["calls"] for u in users) - 3 - 2
    minutes = len(steps) * seconds_per_step / RECHECK_SECONDS
    assert checks <= 2 * (int(minutes) + 1)
    assert sum(u["rcu"] for u in users) - 3 * 0.5 - 1.0 == checks * SESSION_CHECK.rcu


def test_waiting_costs_at_most_15_read_units_a_minute(recorded: Any) -> None:
    app, recorder = recorded
    host, opponent = players_with_history(app, WIN_IN_7)
    waiting, to_move = Browser(app.test_client(), host), Browser(app.test_client(), opponent)
    waiting.log_in()
    to_move.log_in()
    game_id = waiting.invite(opponent)
    to_move.accept(game_id)  # the opponent (X) moves first: the host's page waits
    waiting.poll(game_id)
    recorder.reset()
    assert waiting.poll(game_id) == 304  # nothing changed
    poll = recorder.snapshot()["total"]
    poll_ms = int(re.search(r"POLL_MS = (\d+)", _game_js()).group(1))  # type: ignore[union-attr]
    # The page polls every POLL_MS while its player waits (`make bench` shows, in chromium,
    # that the other player's page does not poll at all).
    assert poll["calls"] == 1
    assert poll["rcu"] * 60_000 / poll_ms <= WAITING_RCU_PER_MINUTE


def _game_js() -> str:
    return (ROOT / "tictactoe" / "static" / "game.js").read_text()


# Issue 12: resigning and claiming finish a game as the last move does (FINISHING_MOVE: the
# game read by the request, the ratings read, one transaction), without a move's index-free
# write before. A player's page is one eventually consistent read of their Users item; the
# leaderboard one Query per ladder shard (Limit 20, small projected entries: at most 0.5 RCU
# each; DynamoDB Local bills an empty shard 0), never a Scan.
RESULTS = {
    "resign": FINISHING_MOVE,
    "claim": FINISHING_MOVE,
    "player": Budget(calls=1, rcu=0.5, wcu=0),
    "leaderboard": Budget(calls=LADDER_SHARDS, rcu=0.5 * LADDER_SHARDS, wcu=0),
}


def test_resign_claim_player_and_leaderboard_stay_within_their_budgets(recorded: Any) -> None:
    app, recorder = recorded
    host, opponent = players_with_history(app, WIN_IN_7)  # both on the ladder already
    me, other = Browser(app.test_client(), host), Browser(app.test_client(), opponent)
    me.log_in()
    other.log_in()
    used = {}

    def measure(kind: str, method: str, path: str) -> None:
        recorder.reset()
        response = me.client.open(path, method=method, headers={"X-CSRFToken": me.csrf})
        assert response.status_code == 200, response.get_json()
        used[kind] = recorder.snapshot()["by_type"][kind]

    resigned = me.invite(opponent)
    other.accept(resigned)
    measure("resign", "POST", f"/api/games/{resigned}/resign")
    claimed = me.invite(opponent)
    other.accept(claimed)  # the opponent (X) is to move, and does not
    app.extensions["tictactoe"].games.clock = lambda: time.time() + 4 * 24 * 3600
    measure("claim", "POST", f"/api/games/{claimed}/claim")
    measure("player", "GET", f"/api/players/{opponent}")
    measure("leaderboard", "GET", "/api/leaderboard")
    over = [
        f"{kind}: used {usage}, budget {RESULTS[kind]}"
        for kind, usage in used.items()
        if usage["calls"] > RESULTS[kind].calls
        or usage["rcu"] > RESULTS[kind].rcu
        or usage["wcu"] > RESULTS[kind].wcu
    ]
    assert not over, "\n".join(over)


# Issue 12: rematches and open challenges (DynamoDB Local's figures, measured: ask 3 calls,
# 0.5 RCU, 4 WCU; accept 3, 1.0, 5; challenge 2, 0, 2; take 1, 0, 4).
REMATCH_BUDGETS = {
    # The finished game read cheaply; Rematch written on it (1 WCU: not projected, so no index
    # write); the invitation put (table and both indexes). No pair lock, no count: the Rematch
    # write allows one per finished game (see store/rematches.py). An invitation costs 6 calls,
    # 2 RCU and 4 WCU.
    "ask": Budget(calls=3, rcu=0.5, wcu=4),
    # The other player's press: the finished game and the rematch read cheaply, then the usual
    # accept (5 WCU, see "accept" above).
    "accept": Budget(calls=3, rcu=1.0, wcu=6),
    # The host's live invitations counted (the cap of 20; AWS bills at least 0.5 RCU, DynamoDB
    # Local 0 when it finds none) and one put, in the table and the host index only.
    "challenge": Budget(calls=2, rcu=0.5, wcu=2),
    # The accept's single conditional write: the table, the host index (delete + put) and the
    # opponent index (a put: the entry appears when OpponentId is set), and the live index's
    # put (issue 28; before: 4 WCU).
    "take": Budget(calls=1, rcu=0, wcu=5),
}


def api_post(browser: Browser, path: str, status: int) -> dict[str, Any]:
    """POST to the API as a page's script does, with the CSRF token of the page it is on."""
    response = browser.client.post(path, headers={"X-CSRFToken": browser.csrf})
    assert response.status_code == status, response.get_json()
    body: dict[str, Any] = response.get_json()
    return body


def within(used: dict[str, float], budget: Budget) -> bool:
    return used["calls"] <= budget.calls and used["rcu"] <= budget.rcu and used["wcu"] <= budget.wcu


def test_rematch_and_challenge_requests_stay_within_their_budgets(recorded: Any) -> None:
    app, recorder = recorded
    host, opponent = players_with_history(app, WIN_IN_7)
    x, o = Browser(app.test_client(), opponent), Browser(app.test_client(), host)
    final = play_game(o, x, WIN_IN_7)

    def measured(kind: str, action: Any) -> tuple[Any, dict[str, float]]:
        recorder.reset()
        done = action()
        return done, recorder.snapshot()["by_type"][kind]

    used = {}
    _, used["ask"] = measured(
        "rematch", lambda: api_post(x, f"/api/games/{final['id']}/rematch", 201)
    )
    game, used["accept"] = measured(
        "rematch", lambda: api_post(o, f"/api/games/{final['id']}/rematch", 200)
    )
    assert game["status"] == "IN_PROGRESS"
    challenge, used["challenge"] = measured(
        "challenge", lambda: api_post(o, "/api/challenges", 201)
    )
    # Showing them costs what showing any game or list costs, no extra read: the home page
    # with a game in progress and a challenge out, the challenge's page, and a poll of the
    # finished game, which shows the rematch.
    showing = [
        ("home", lambda: o.load("/")),
        ("page", lambda: x.load(f"/games/{challenge['id']}")),
        ("poll", lambda: Browser(o.client, o.name).poll(final["id"])),
    ]
    for kind, action in showing:
        _, usage = measured(kind, action)
        assert within(usage, BUDGETS[kind]), (kind, usage)
    _, used["take"] = measured(
        "accept", lambda: api_post(x, f"/api/games/{challenge['id']}/accept", 200)
    )
    over = [
        f"{k}: used {u}, budget {REMATCH_BUDGETS[k]}"
        for k, u in used.items()
        if not within(u, REMATCH_BUDGETS[k])
    ]
    assert not over, "\n".join(over)

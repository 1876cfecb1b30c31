// The game page, enhanced: moves without a reload, and the opponent's moves appear by
// themselves. With push on (data-push), the game's stream brings each change as it happens.
// Without it, or while no stream has been open for 5 s, the page polls while waiting for the
// other player: every 2 s while the tab is visible, every 10 s while it is hidden (so a hidden
// tab's title can say "Your turn"); each poll is a conditional GET that usually answers 304.
// A finished game can be replayed. Against the computer, the move's answer already holds its
// reply: the player's mark shows at once, the reply a beat later, so the eye can follow.
(() => {
  "use strict";
  const root = document.getElementById("game");
  if (!root) return;
  const POLL_MS = 2000;
  const HIDDEN_POLL_MS = 10000;
  // While a stream is open, one backstop poll at most every 120 s instead: a read where
  // polling costs 60, and a change whose notice the bus lost shows at the next event or
  // reconnect (which starts with the game as it is) if not at this poll.
  const BACKSTOP_MS = 120000;
  const FALLBACK_MS = 5000; // no stream open for this long: poll as without push
  const RETRY_MS = 300;
  const REPLY_MS = 300; // the beat between the player's mark and the computer's reply
  const COMPUTER = "computer"; // the computer's seat in a game against it
  const LINES = [[0, 1, 2], [3, 4, 5], [6, 7, 8], [0, 3, 6], [1, 4, 7], [2, 5, 8], [0, 4, 8], [2, 4, 6]];
  const me = root.dataset.me;
  const board = document.getElementById("board");
  const cells = [...board.querySelectorAll("button.cell")];
  const statusLine = document.getElementById("status");
  const problem = document.getElementById("problem");
  const replay = document.getElementById("replay");
  const replayAt = document.getElementById("replay-at");
  const claim = document.getElementById("claim");
  const movesNews = document.getElementById("moves-news"); // a game against the computer only
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const timeoutMs = Number(root.dataset.timeout || 0) * 1000;
  const title = document.title;
  let game = JSON.parse(root.dataset.game);
  let moves = game.moves || JSON.parse(root.dataset.moves || "[]");
  let shown = moves.length; // the replay's position: how many moves the board shows
  let state = root.dataset.state;
  let timer = null;
  let busy = false;
  const push = root.dataset.push === "1" && "EventSource" in window && "openLive" in window;
  let streaming = push; // rely on the stream; false: poll as without push
  let fallback = null; // the timer that turns polling on when no stream opens
  let live = null; // the stream, while push is on
  let gone = false; // the game was deleted (a withdrawn or declined invitation)
  // The server's clock decides; this one only shows the button once the time has come.
  const serverSaidClaimable = claim && !claim.hidden ? game.updated_at : null;

  const myTurn = (g) => g.status === "IN_PROGRESS" && g.turn === me;
  const waiting = () => !gone && (
    (game.status === "PENDING" && game.host === me) ||
    (game.status === "IN_PROGRESS" && game.turn !== me));

  // A seat in words: a player's name, or the computer at its level.
  const nameOf = (seat) => (game.computer && seat === COMPUTER ? `Computer (${game.computer})` : seat);
  const cellName = (i) => `row ${Math.floor(i / 3) + 1}, column ${(i % 3) + 1}`;

  function statusText(g) {
    if (g.status === "PENDING" && g.opponent === null) {
      return g.host === me ? "Your challenge is open: send the link to a friend."
        : `${g.host} is looking for an opponent.`;
    }
    if (g.status === "PENDING") {
      return g.opponent === me ? `${g.host} invited you to a game.` : `Waiting for ${g.opponent} to accept…`;
    }
    if (g.status === "IN_PROGRESS" && g.turn === me) return "Your turn.";
    if (g.status === "IN_PROGRESS") return g.computer ? `${nameOf(g.turn)} is playing…` : `${g.turn}'s turn…`;
    if (g.winner === null) return "It's a tie.";
    return g.winner === me ? "You won!" : `${nameOf(g.winner)} won.`;
  }

  // The board after the first `count` moves (X moves first), or the game's own board.
  function boardAt(count) {
    if (count >= moves.length) return game.board;
    const marks = Array(9).fill("");
    moves.slice(0, count).forEach((cell, i) => { marks[cell] = i % 2 === 0 ? "X" : "O"; });
    return marks;
  }

  function lineOf(marks) {
    return LINES.find(([a, b, c]) => marks[a] && marks[a] === marks[b] && marks[a] === marks[c]) || [];
  }

  // When the waiting player may claim the win: a timeout after the game last changed.
  function claimableAt(g) {
    if (g.claimable_at) return Date.parse(g.claimable_at);
    return timeoutMs ? Date.parse(g.updated_at) + timeoutMs : Infinity;
  }

  function render() {
    const playable = myTurn(game) && shown === moves.length;
    const marks = boardAt(shown);
    const line = lineOf(marks);
    marks.forEach((mark, i) => {
      const cell = cells[i];
      const won = line.includes(i);
      cell.textContent = mark;
      cell.className = "cell" + (mark ? " " + mark.toLowerCase() : "") + (won ? " win" : "");
      cell.disabled = busy || !playable || mark !== "";
      const row = Math.floor(i / 3) + 1, col = (i % 3) + 1;
      cell.setAttribute("aria-label", `Row ${row}, column ${col}: ${mark || "empty"}${won ? ", winning line" : ""}`);
    });
    board.classList.toggle("busy", busy);
    board.elements.state.value = state;
    statusLine.textContent = statusText(game);
    root.querySelectorAll("[data-when]").forEach((el) => { el.hidden = el.dataset.when !== game.status; });
    if (claim) {
      const due = game.updated_at === serverSaidClaimable || Date.now() >= claimableAt(game);
      claim.hidden = game.status !== "IN_PROGRESS" || game.turn === me || !due;
    }
    renderReplay();
  }

  function renderReplay() {
    const on = game.status === "FINISHED" && moves.length > 0;
    replay.hidden = !on;
    if (!on) return;
    replayAt.textContent = `Move ${shown} of ${moves.length}`;
    replay.querySelectorAll("button").forEach((b) => {
      const step = b.dataset.step;
      b.disabled = (step === "first" || step === "back") ? shown === 0 : shown === moves.length;
    });
  }

  function step(how) {
    const to = { first: 0, back: shown - 1, forward: shown + 1, last: moves.length }[how];
    if (to === undefined || to < 0 || to > moves.length || to === shown) return;
    shown = to;
    render();
    // A button that just became disabled drops the focus: keep it in the replay group.
    if (replay.contains(document.activeElement) && document.activeElement.disabled) {
      const other = replay.querySelector("button:enabled");
      if (other) other.focus();
    }
  }

  // An open challenge was taken: name its taker where "Anyone" stood, linking to them.
  function showTaker(name, avatarUrl) {
    const open = root.querySelector(".players .player.open");
    if (!open || !name) return;
    const link = document.createElement("a");
    link.className = "player";
    link.href = `/players/${encodeURIComponent(name)}`;
    const picture = document.createElement("img");
    Object.assign(picture, { className: "avatar", src: avatarUrl || "", alt: "", width: 28, height: 28 });
    link.append(picture, name);
    open.replaceWith(link);
  }

  // A state (an ETag's value) is "<version>-<board>".
  const versionOf = (s) => parseInt(s, 10) || 0;
  const stateOf = (etag) => (etag ? etag.replace(/^W\//, "").replace(/"/g, "") : null);

  function take(json, etag, own = false) {
    // Against the computer, news while a move is in flight is that move and its reply: the
    // move's answer brings them, in two steps (takeMove), so the news is not shown first.
    if (game.computer && busy && !own) return;
    const next = stateOf(etag);
    // An answer may overtake a newer one (a poll in flight when an event came): never go back.
    if (next && versionOf(next) < versionOf(state)) return;
    const wasMyTurn = myTurn(game);
    if (game.opponent === null && json.opponent) showTaker(json.opponent, json.opponent_avatar_url);
    game = json;
    if (json.moves) {
      if (json.moves.length !== moves.length) shown = json.moves.length; // a replay stays put
      moves = json.moves;
    }
    if (next) state = next;
    render();
    if (document.hidden && myTurn(game) && !wasMyTurn) document.title = `Your turn · ${title}`;
  }

  // The answer to the player's own move (the board stays busy until it is shown). Against the
  // computer it holds the reply too: the player's mark shows first, the reply a beat later,
  // and a screen reader hears both.
  async function takeMove(json, etag, cell) {
    const played = json.moves || [];
    const replied = json.computer && played.length >= 2 && played[played.length - 2] === cell;
    if (!replied) { busy = false; take(json, etag, true); return; }
    const reply = played[played.length - 1];
    const board = json.board.slice();
    board[reply] = "";
    take({ ...json, board, moves: played.slice(0, -1), status: "IN_PROGRESS", turn: COMPUTER,
      winner: null, line: null }, null, true);
    await new Promise((resolve) => setTimeout(resolve, REPLY_MS));
    busy = false;
    take(json, etag, true);
    movesNews.textContent = `You played ${cellName(cell)}. ${nameOf(COMPUTER)} played ${cellName(reply)}.`;
  }

  function say(message) {
    problem.textContent = message;
    problem.hidden = !message;
  }

  async function errorOf(response) {
    try { return (await response.json()).error; } catch { return `Error ${response.status}`; }
  }

  function schedule(delay = POLL_MS) {
    clearTimeout(timer);
    let pace = document.hidden ? Math.max(delay, HIDDEN_POLL_MS) : delay;
    if (streaming) pace = BACKSTOP_MS;
    timer = waiting() ? setTimeout(poll, pace) : null;
  }

  // No stream is open (yet, or any more): poll as without push unless one opens in time.
  function lost() {
    if (!streaming || fallback) return;
    fallback = setTimeout(() => {
      fallback = null;
      streaming = false;
      if (waiting()) poll();
    }, FALLBACK_MS);
  }

  function listen() {
    lost();
    live = window.openLive(`/api/games/${encodeURIComponent(game.id)}/events`, {
      open() { // each stream starts with the game as it is: polling stops, the backstop stays
        clearTimeout(fallback);
        fallback = null;
        streaming = true;
        schedule();
      },
      error: lost,
      game(event) {
        take(JSON.parse(event.data), event.lastEventId);
        say("");
        schedule(); // the backstop counts from the last news
      },
      gone() { // a withdrawn or declined invitation: nothing more will come, nothing to do
        gone = true;
        live.close();
        clearTimeout(fallback);
        clearTimeout(timer);
        root.querySelectorAll("[data-when]").forEach((el) => { el.hidden = true; });
        statusLine.textContent = game.opponent === null ? "This challenge was withdrawn."
          : "This invitation was withdrawn or declined.";
      },
    });
  }

  async function poll() {
    let delay = POLL_MS;
    try {
      const r = await fetch(`/api/games/${game.id}`, {
        headers: { Accept: "application/json", "If-None-Match": `"${state}"` },
        cache: "no-store",
      });
      if (r.status === 200) { take(await r.json(), r.headers.get("ETag")); say(""); }
      else if (r.status === 304) say("");
      else { say(await errorOf(r)); delay = 2 * POLL_MS; }
    } catch {
      say("Connection lost. Trying again…");
      delay = 2 * POLL_MS;
    }
    schedule(delay);
  }

  // A dropped connection or a gateway error means the instance behind the load balancer went
  // away mid-request. Sending a move twice is safe (the server recognises a move that already
  // landed, and the state it was made from stops a double), so try once more before telling.
  async function send(cell) {
    const post = () => fetch(`/api/games/${game.id}/moves`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "X-Game-State": state },
      body: JSON.stringify({ cell }),
    });
    try {
      const r = await post();
      if (r.status !== 502 && r.status !== 504) return r;
    } catch { /* retried below */ }
    await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
    return post();
  }

  async function play(cell) {
    busy = true;
    render();
    try {
      const r = await send(cell);
      if (r.ok) { await takeMove(await r.json(), r.headers.get("ETag"), cell); say(""); }
      else { busy = false; say(await errorOf(r)); render(); if (r.status === 409) poll(); }
    } catch {
      busy = false;
      say("Connection lost. Your move was not confirmed; try again.");
      render();
    }
    schedule();
  }

  board.addEventListener("submit", (event) => {
    event.preventDefault();
    const cell = Number(event.submitter && event.submitter.value);
    if (Number.isInteger(cell)) play(cell);
  });
  replay.addEventListener("click", (event) => {
    const button = event.target.closest("button[data-step]");
    if (button) step(button.dataset.step);
  });
  const KEYS = { ArrowLeft: "back", ArrowRight: "forward", Home: "first", End: "last" };
  document.addEventListener("keydown", (event) => {
    if (replay.hidden || !KEYS[event.key] || event.altKey || event.ctrlKey || event.metaKey) return;
    if (event.target.closest("input, textarea, select, dialog")) return;
    event.preventDefault();
    step(KEYS[event.key]);
  });

  const dialog = document.getElementById("resign-dialog");
  const resign = document.getElementById("resign");
  if (dialog && resign && dialog.showModal) { // without it, the link opens a page that asks
    resign.addEventListener("click", (event) => { event.preventDefault(); dialog.showModal(); });
    document.getElementById("resign-cancel").addEventListener("click", () => dialog.close());
  }
  document.addEventListener("visibilitychange", () => {
    if (streaming) { if (!document.hidden) document.title = title; return; } // events come anyway
    if (document.hidden) { schedule(); return; } // on at the hidden pace
    document.title = title; // seen: "Your turn" has done its job
    if (waiting()) poll();
  });
  render();
  if (push) listen();
  schedule();
})();

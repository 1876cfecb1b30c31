// The game page, enhanced: moves without a reload, and the opponent's moves appear by
// themselves. With push on (data-push), the game's stream brings each change as it happens.
// Without it, while no stream has been open for 5 s, or at once when the server says the bus
// is down (live.js: a refused stream, or `event: down`), the page polls while waiting for the
// other player: every 2 s while the tab is visible, every 10 s while it is hidden (so a hidden
// tab's title can say "Your turn"); each poll is a conditional GET that usually answers 304.
// Against the computer, the move's answer already holds its reply: the player's mark shows at
// once, the reply a beat later, so the eye can follow. What the page shows, and the replay of a
// finished game, are drawn by board.js (loaded before this file); this file talks to the server.
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
  const view = window.gameBoard(root); // board.js: the page's view of the game, and its drawing
  const shown = window.gamePresence ? window.gamePresence(view) : null; // presence.js
  const problem = document.getElementById("problem");
  const movesNews = document.getElementById("moves-news"); // a game against the computer only
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const title = document.title;
  let timer = null;
  const push = root.dataset.push === "1" && "EventSource" in window && "openLive" in window;
  let streaming = push; // rely on the stream; false: poll as without push
  let fallback = null; // the timer that turns polling on when no stream opens
  let live = null; // the stream, while push is on
  let gone = false; // the game was deleted (a withdrawn or declined invitation)

  // The other side is to act (accept the invitation, or move): news is worth asking for.
  const othersToAct = () => !gone && (
    (view.game.status === "PENDING" && view.game.host === view.me) ||
    (view.game.status === "IN_PROGRESS" && view.game.turn !== view.me));
  // One notification per turn, whichever page of this browser tells it (home.js tags alike).
  const turnTag = (g) => `turn-${g.id}-${(g.moves || []).length}`;
  const cellName = (i) => `row ${Math.floor(i / 3) + 1}, column ${(i % 3) + 1}`;

  // A state (an ETag's value) is "<version>-<board>".
  const versionOf = (s) => parseInt(s, 10) || 0;
  const stateOf = (etag) => (etag ? etag.replace(/^W\//, "").replace(/"/g, "") : null);

  function take(json, etag, own = false) {
    // Against the computer, news while a move is in flight is that move and its reply: the
    // move's answer brings them, in two steps (takeMove), so the news is not shown first.
    if (view.game.computer && view.busy && !own) return;
    const next = stateOf(etag);
    // An answer may overtake a newer one (a poll in flight when an event came): never go back.
    if (next && versionOf(next) < versionOf(view.state)) return;
    const wasMyTurn = view.myTurn(view.game);
    if (view.game.opponent === null && json.opponent) view.showTaker(json.opponent, json.opponent_avatar_url);
    view.game = json;
    if (json.moves) {
      if (json.moves.length !== view.moves.length) view.shown = json.moves.length; // a replay stays put
      view.moves = json.moves;
    }
    if (next) view.state = next;
    view.draw();
    if (shown) shown.drawn(); // the countdown follows claimable_at
    const nudge = document.getElementById("nudge"); // a finished game has no turn to tell of
    if (nudge && json.status === "FINISHED") nudge.closest(".nudge").remove();
    if (document.hidden && view.myTurn(view.game) && !wasMyTurn) {
      document.title = `Your turn · ${title}`;
      const other = json.host === view.me ? json.opponent : json.host;
      window.nudge(`Your turn against ${view.nameOf(other)}`, turnTag(json)); // nudge.js
    }
  }

  // The answer to the player's own move (the board stays busy until it is shown). Against the
  // computer it holds the reply too: the player's mark shows first, the reply a beat later,
  // and a screen reader hears both.
  async function takeMove(json, etag, cell) {
    const played = json.moves || [];
    const replied = json.computer && played.length >= 2 && played[played.length - 2] === cell;
    if (!replied) { view.busy = false; take(json, etag, true); return; }
    const reply = played[played.length - 1];
    const board = json.board.slice();
    board[reply] = "";
    take({ ...json, board, moves: played.slice(0, -1), status: "IN_PROGRESS", turn: COMPUTER,
      winner: null, line: null }, null, true);
    await new Promise((resolve) => setTimeout(resolve, REPLY_MS));
    view.busy = false;
    take(json, etag, true);
    movesNews.textContent = `You played ${cellName(cell)}. ${view.nameOf(COMPUTER)} played ${cellName(reply)}.`;
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
    timer = othersToAct() ? setTimeout(poll, pace) : null;
  }

  // No stream is open (yet, or any more): poll as without push unless one opens in time.
  function lost() {
    if (!streaming || fallback) return;
    fallback = setTimeout(() => {
      fallback = null;
      streaming = false;
      if (othersToAct()) poll();
    }, FALLBACK_MS);
  }

  function listen() {
    lost();
    live = window.openLive(`/api/games/${encodeURIComponent(view.game.id)}/events`, {
      open() { // each stream starts with the game as it is: polling stops, the backstop stays
        clearTimeout(fallback);
        fallback = null;
        streaming = true;
        schedule();
      },
      error: lost,
      down() { // no stream for now (the bus is down, or it was refused): poll at once
        if (shown) shown.presence(null);
        clearTimeout(fallback);
        fallback = null;
        if (!streaming) return;
        streaming = false;
        if (othersToAct()) poll();
      },
      presence(event) { if (shown) shown.presence(JSON.parse(event.data)); },
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
        view.drawGone();
      },
    });
  }

  async function poll() {
    let delay = POLL_MS;
    try {
      const r = await fetch(`/api/games/${view.game.id}`, {
        headers: { Accept: "application/json", "If-None-Match": `"${view.state}"` },
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
    const post = () => fetch(`/api/games/${view.game.id}/moves`, {
      method: "POST",
      headers: { "Content-Type": "application/json", "X-CSRFToken": csrf, "X-Game-State": view.state },
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
    view.busy = true;
    view.draw();
    try {
      const r = await send(cell);
      if (r.ok) { await takeMove(await r.json(), r.headers.get("ETag"), cell); say(""); }
      else { view.busy = false; say(await errorOf(r)); view.draw(); if (r.status === 409) poll(); }
    } catch {
      view.busy = false;
      say("Connection lost. Your move was not confirmed; try again.");
      view.draw();
    }
    schedule();
  }

  document.getElementById("board").addEventListener("submit", (event) => {
    event.preventDefault();
    const button = event.submitter;
    if (!button || view.busy || button.getAttribute("aria-disabled") === "true") return; // board.js
    const cell = Number(button.value);
    if (Number.isInteger(cell)) play(cell);
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
    if (othersToAct()) poll();
  });
  view.draw();
  if (shown) shown.drawn();
  if (push) listen();
  schedule();
})();

// The home page, live: with push on (data-push), the player's own stream brings every game
// they are in as it changes, and the lists follow without a reload. A new invitation appears
// (and is announced), a game accepted or taken moves to the games in progress with whose turn
// it is, a finished one to the finished games, and a withdrawn or declined one goes. Once the
// first stream is open, and after a broken one, the lists are read once more (GET /api/games):
// what changed between the page's render and its stream sent this page nothing. While it has no
// stream (push off, the bus down, a stream refused or lost for POLL_MS), the page reads its
// lists every POLL_MS instead, gentler than a game page (invitations are not moves), and
// slower still while hidden. The stream's news is passed on to ways.js (a "live" event on
// #home), which waits for a pairing.
// What waits for the player (data-need on its row: an invitation to answer, their turn) is
// also in the bar at the top (needs.js), first on a phone's screen, and nudge.js notifies of
// what is new if the player asked. Each row says when its game last changed (when.js).
(() => {
  "use strict";
  const home = document.getElementById("home");
  if (!home) return;
  const push = home.dataset.push === "1" && "EventSource" in window && "openLive" in window;
  const POLL_MS = 10000; // one list read (3 DynamoDB calls) per poll: see docs/benchmarks.md
  const HIDDEN_POLL_MS = 60000;
  // As many as the server lists (tictactoe/store/lists.py): LIST_LENGTH, or MORE_LENGTH once a
  // list's "more" link was followed (?more=1, which the page's reads ask for too).
  const LIST_LENGTH = Number(home.dataset.length) || 10;
  const more = home.dataset.more === "1";
  const LABELS = { in_progress: "Open the game", sent: "Open the invitation", finished: "Open the finished game" };
  const COMPUTER = "computer"; // the computer's seat in a game against it
  const seatName = (name, level) => (name === COMPUTER ? `Computer${level ? ` (${level})` : ""}` : name);
  const me = home.dataset.me;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const news = document.getElementById("home-news");
  const needs = window.homeNeeds(home); // needs.js: the bar, and the hidden tab's title
  const lists = {}; // "invites", "in_progress", "sent", "finished" -> the element holding its rows
  home.querySelectorAll("[data-list]").forEach((el) => { lists[el.dataset.list] = el; });

  // Which list a game belongs in: the same rules as the server's lists.
  function listOf(g) {
    if (g.status === "FINISHED") return "finished";
    if (g.status === "IN_PROGRESS") return "in_progress";
    return g.opponent === me ? "invites" : "sent";
  }

  // What a game asks of the player now: "invite" (to answer), "turn" (to move), or "".
  function needOf(g) {
    if (g.status === "PENDING") return g.opponent === me ? "invite" : "";
    return g.status === "IN_PROGRESS" && g.turn === me ? "turn" : "";
  }

  function badgeOf(g) { // [words, class]
    if (g.status === "IN_PROGRESS") return g.turn === me ? ["Your turn", "go"] : ["Their turn", ""];
    if (g.status === "PENDING") return ["Invited", ""];
    if (g.winner === null) return ["Tie", ""];
    return g.winner === me ? ["Won", "won"] : ["Lost", "lost"];
  }

  const gameUrl = (g) => `/games/${encodeURIComponent(g.id)}`;
  const clone = (id) => document.getElementById(id).content.firstElementChild.cloneNode(true);
  const rowOfGame = (id) => home.querySelector(`[data-list] [data-game="${CSS.escape(id)}"]`);

  function fillPlayer(link, name, picture, level) {
    if (name === COMPUTER) { // no page, no picture: the page's own robot, at its level
      const seat = clone("computer-player");
      if (level) {
        const shown = Object.assign(document.createElement("span"), { className: "level" });
        shown.textContent = `(${level})`;
        seat.lastElementChild.append(" ", shown);
      }
      link.replaceWith(seat);
      return;
    }
    link.href = `/players/${encodeURIComponent(name)}`;
    link.querySelector("img").src = picture;
    link.append(name);
  }

  // A row for `g`, from the page's <template>s; its forms post as the server's rows do.
  function rowOf(g) {
    const list = listOf(g);
    const other = g.host === me ? g.opponent : g.host;
    let row;
    if (list === "invites") {
      row = clone("invite-row");
      fillPlayer(row.querySelector(".player"), g.host, g.host_avatar_url);
    } else if (list === "sent" && other === null) { // an open challenge
      row = clone("challenge-row");
      const link = new URL(gameUrl(g), location.href).href;
      const copy = row.querySelector("button.copy");
      row.querySelector("input.share-link").value = link;
      copy.dataset.copy = link;
      copy.hidden = !navigator.clipboard; // copy.js copies; without it, copy by hand
      row.querySelector("a.button").href = gameUrl(g);
    } else {
      row = clone("game-row");
      const picture = g.host === me ? g.opponent_avatar_url : g.host_avatar_url;
      fillPlayer(row.querySelector(".player"), other, picture, g.computer);
      const [words, kind] = badgeOf(g);
      const badge = row.querySelector(".badge");
      badge.textContent = words;
      if (kind) badge.classList.add(kind);
      row.querySelector(".row-link").href = gameUrl(g);
      row.querySelector(".row-link .sr-only").textContent = `${LABELS[list]} against ${seatName(other, g.computer)}`;
    }
    const time = row.querySelector("time.when");
    if (time) window.when(time, g.updated_at); // when.js
    row.dataset.who = list === "invites" ? g.host : seatName(other, g.computer);
    const need = needOf(g);
    if (need) row.dataset.need = need;
    row.querySelectorAll("form[data-action]").forEach((form) => {
      form.action = `${gameUrl(g)}/${form.dataset.action}`;
      form.elements.csrf_token.value = csrf;
    });
    row.dataset.game = g.id;
    return row;
  }

  const controls = (row) => [...row.querySelectorAll("a[href], button:not([hidden]), input:not([type=hidden])")];

  // Rows are replaced, never edited. Keep the keyboard's place: the same control of the same
  // game's row (or its first), else the heading of the section the row has left.
  function keepingFocus(change) {
    const row = document.activeElement && document.activeElement.closest("[data-game]");
    if (!row || !home.contains(row)) { change(); return; }
    const at = controls(row).indexOf(document.activeElement);
    const section = row.closest("section");
    change();
    if (row.isConnected) return;
    const now = rowOfGame(row.dataset.game);
    (now ? controls(now)[at] || controls(now)[0] : section.querySelector("h2")).focus();
  }

  function showEmpties() {
    home.querySelectorAll("[data-empty]").forEach((p) => {
      p.hidden = p.dataset.empty.split(" ").some((name) => lists[name].children.length > 0);
    });
    home.querySelectorAll("[data-more-of]").forEach((p) => {
      p.hidden = more || !p.dataset.moreOf.split(" ").some((name) => lists[name].children.length >= LIST_LENGTH);
    });
    needs.draw();
  }

  // Tell of what newly waits for the player (nudge.js: only while hidden, if asked for):
  // `before`, what the game's row asked before (undefined: it had no row, a game new here, as
  // a Play now pairing is). The same tags as game.js's, so two open pages notify once.
  function nudge(g, before) {
    const need = needOf(g);
    const other = seatName(g.host === me ? g.opponent : g.host, g.computer);
    if (need === before) return;
    if (need === "invite") window.nudge(`${g.host} invited you to a game`, `invite-${g.id}`);
    else if (need === "turn") window.nudge(`Your turn against ${other}`, `turn-${g.id}-${(g.moves || []).length}`);
    else if (before === undefined && g.status === "IN_PROGRESS") window.nudge(`New game against ${other}`, `new-${g.id}`);
  }

  function show(g) {
    const row = rowOf(g);
    const list = lists[listOf(g)];
    const old = rowOfGame(g.id);
    nudge(g, old ? old.dataset.need || "" : undefined);
    keepingFocus(() => {
      if (old && old.parentElement === list) { old.replaceWith(row); return; } // stays in place
      if (old) old.remove();
      list.prepend(row); // newest first, as the server lists them
      row.classList.add("fresh");
      while (list.children.length > LIST_LENGTH) list.lastElementChild.remove();
    });
    if (!old && list === lists.invites) news.textContent = `${g.host} invited you to a game.`;
    showEmpties();
  }

  function drop(id) {
    const old = rowOfGame(id);
    if (old) keepingFocus(() => old.remove());
    showEmpties();
  }

  // True until the first stream opens, and after one broke: read the lists when one opens.
  let broken = true;
  let queued = null; // while they are read: the events that came meanwhile, to apply after
  let again = false; // asked to read while a read was in flight: read once more after it
  let streaming = false;
  let degraded = false; // told no stream can be had for now: polling until one opens
  let poller = null;

  async function refresh() {
    if (queued) { again = true; return; }
    queued = [];
    try {
      const r = await fetch(`/api/games${more ? "?more=1" : ""}`, { headers: { Accept: "application/json" }, cache: "no-store" });
      if (!r.ok) throw new Error(`Error ${r.status}`);
      const json = await r.json();
      const invited = new Set([...lists.invites.children].map((row) => row.dataset.game));
      const before = new Map(Object.values(lists).flatMap((list) => [...list.children])
        .map((row) => [row.dataset.game, row.dataset.need || ""]));
      [...json.invites, ...json.in_progress].forEach((g) => nudge(g, before.get(g.id)));
      keepingFocus(() => {
        Object.entries(lists).forEach(([name, list]) => list.replaceChildren(...json[name].map(rowOf)));
      });
      showEmpties();
      const fresh = json.invites.find((g) => !invited.has(g.id));
      if (fresh) news.textContent = `${fresh.host} invited you to a game.`;
    } catch {
      broken = true; // try again at the next reconnect or poll; the events still come meanwhile
    }
    const later = queued;
    queued = null;
    later.forEach((apply) => apply());
    if (again) { again = false; refresh(); }
  }

  // No stream: read the lists every POLL_MS (HIDDEN_POLL_MS while hidden) until one opens.
  function schedule() {
    clearTimeout(poller);
    poller = streaming ? null : setTimeout(poll, document.hidden ? HIDDEN_POLL_MS : POLL_MS);
  }

  async function poll() {
    await refresh();
    schedule();
  }

  document.addEventListener("visibilitychange", () => { if (!streaming) schedule(); });
  if (!push) { schedule(); return; }

  const handle = (apply) => (event) => {
    const data = JSON.parse(event.data);
    if (queued) queued.push(() => apply(data));
    else apply(data);
    tell(event.type);
  };

  // Play now (ways.js) learns from the same stream: any news of the player's games may be
  // its pairing. One stream per page, so the page's events are passed on, not opened twice.
  const tell = (what) => home.dispatchEvent(new CustomEvent("live", { detail: what }));

  window.openLive("/api/me/events", {
    open() {
      streaming = true;
      degraded = false;
      schedule();
      tell("open");
      if (!broken) return;
      broken = false;
      refresh();
    },
    error() { // it reconnects by itself; poll if it takes longer than a poll period
      broken = true;
      streaming = false;
      if (!poller) schedule();
      tell("error");
    },
    down() { // no stream for now (the bus is down, or it was refused): read now, then poll
      broken = true;
      streaming = false;
      tell("error");
      if (degraded) return; // polling already
      degraded = true;
      poll();
    },
    game: handle(show),
    gone: handle((g) => drop(g.id)),
  });
})();

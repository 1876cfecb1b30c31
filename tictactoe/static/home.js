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
// What waits for the player (an invitation to answer, their turn) is also listed in
// the bar at the top (#needs), first on a phone's screen; while the tab is hidden the title
// counts it, and nudge.js notifies of what is new if the player asked. Each row says when its
// game last changed ("2 min ago", as tictactoe/web/pages/when.py says it), kept current.
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
  const NEEDS_SHOWN = 3; // as home.html: more than that, and the bar links to the lists
  const TICK_MS = 30000; // "2 min ago" is redrawn this often
  const MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(" ");
  const COMPUTER = "computer"; // the computer's seat in a game against it
  const seatName = (name, level) => (name === COMPUTER ? `Computer${level ? ` (${level})` : ""}` : name);
  const me = home.dataset.me;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const news = document.getElementById("home-news");
  const needs = document.getElementById("needs");
  const title = document.title;
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

  // When, in the words of when.py: "just now", "5 min ago", "3 h ago", "2 days ago", a date.
  function ago(iso, now = Date.now()) {
    const at = new Date(iso);
    const seconds = (now - at) / 1000;
    if (!(seconds >= 60)) return "just now";
    if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
    if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
    const days = Math.floor(seconds / 86400);
    if (days < 7) return `${days} day${days > 1 ? "s" : ""} ago`;
    return `${at.getUTCDate()} ${MONTHS[at.getUTCMonth()]} ${at.getUTCFullYear()}`;
  }

  // A <time>: "2 min ago", and in its title the full time in the reader's own zone.
  function fillWhen(time, iso) {
    if (iso) time.dateTime = iso;
    time.textContent = ago(time.dateTime);
    time.title = new Date(time.dateTime).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
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
    if (time) fillWhen(time, g.updated_at);
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
    drawNeeds();
  }

  // The rows that wait for the player, in the lists' order: invitations first.
  const waiting = () => [...home.querySelectorAll("[data-list] [data-need]")];

  // The bar at the top: the first NEEDS_SHOWN of what waits, and a link to the rest.
  function drawNeeds() {
    const rows = waiting();
    const items = rows.slice(0, NEEDS_SHOWN).map((row) => {
      const item = clone("need-item");
      const [strong, rest] = {
        invite: [row.dataset.who, "invited you"],
        turn: ["Your turn", `against ${row.dataset.who}`],
      }[row.dataset.need];
      item.dataset.needGame = row.dataset.game;
      item.querySelector("a").href = `/games/${encodeURIComponent(row.dataset.game)}`;
      item.querySelector("strong").textContent = strong;
      item.querySelector("a span").textContent = rest;
      fillWhen(item.querySelector("time"), row.querySelector("time.when").dateTime);
      return item;
    });
    if (rows.length > NEEDS_SHOWN) {
      const more = Object.assign(document.createElement("li"), { className: "needs-more" });
      const invites = rows.filter((row) => row.dataset.need === "invite").length;
      const link = Object.assign(document.createElement("a"), { href: invites > NEEDS_SHOWN ? "#invites-h" : "#playing-h" });
      link.textContent = `${rows.length - NEEDS_SHOWN} more`;
      more.append(link);
      items.push(more);
    }
    // The keyboard's place in the bar: the same game's link, else the bar's first, else its heading.
    const focused = needs.contains(document.activeElement) && document.activeElement.closest("li");
    needs.querySelector("[data-needs]").replaceChildren(...items);
    needs.hidden = rows.length === 0;
    if (focused && !focused.isConnected) {
      const same = items.find((item) => item.dataset.needGame === focused.dataset.needGame);
      const link = (same || items[0] || needs).querySelector("a");
      (link || document.getElementById("invites-h")).focus();
    }
    retitle();
  }

  // While the tab is hidden its title counts what waits: "(2) Your turn · Tic-Tac-Toe".
  function retitle() {
    const rows = waiting();
    const kinds = new Set(rows.map((row) => row.dataset.need));
    const what = kinds.has("turn") ? "Your turn" : "New invitation";
    document.title = document.hidden && rows.length ? `(${rows.length}) ${what} · ${title}` : title;
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

  document.addEventListener("visibilitychange", () => {
    retitle();
    if (!streaming) schedule();
  });
  home.querySelectorAll("time.when").forEach((time) => fillWhen(time));
  setInterval(() => {
    if (!document.hidden) home.querySelectorAll("time.when").forEach((time) => fillWhen(time));
  }, TICK_MS);
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

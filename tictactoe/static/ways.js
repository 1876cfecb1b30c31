// The home page's two quickest ways to play, without a reload. "Play now" pairs the player
// with the next one who presses it (POST /api/quick-play): paired at once, the page goes to
// the game; else it shows the wait, with a countdown and a Cancel button. While it waits it
// learns of the pairing from the player's stream where push is on (home.js passes the
// stream's news on: any news -> GET /api/quick-play), else by polling that GET every 2 s;
// with a stream open, a poll every 10 s is the backstop. A reload, or another tab of the same
// browser, picks a wait up again: the GET on load, made only while this browser remembers a
// wait that may still run (localStorage), so an ordinary home load costs no read for it. A
// wait started on another device is not shown here; its game still reaches the home lists
// through the player's stream. "Play the computer" posts its level and who starts (POST
// /api/computer-games) and goes to the game. Without JavaScript both are the plain form posts
// of their forms.
(() => {
  "use strict";
  const home = document.getElementById("home");
  const card = document.getElementById("pairing");
  if (!home || !card) return;
  const POLL_MS = 2000;
  const BACKSTOP_MS = 10000;
  const TICK_MS = 250; // the countdown's redraw: it shows whole seconds
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const news = document.getElementById("home-news");
  const left = document.getElementById("pairing-left");
  const pairingProblem = document.getElementById("pairing-problem");
  const buttons = {
    start: document.getElementById("pairing-start"),
    cancel: document.getElementById("pairing-cancel"),
    again: document.getElementById("pairing-again"),
  };
  let phase = "idle"; // "idle", "waiting", "ended": which part of the card shows
  let endsAt = 0; // when the wait ends, on this page's clock
  let streaming = false; // the player's stream is open (home.js says so)
  let poller = null;
  let ticker = null;
  let checking = false; // a GET is in flight: news meanwhile asks for one more after it
  let again = false;
  let pickingUp = false; // the GET on load is in flight: news meanwhile asks for a check
  let missed = false;

  // The end of this browser's latest wait (the server's ISO time), kept across reloads and
  // tabs; null where storage is refused (the GET on load is then always made).
  // The key keeps its first name: browsers remember a wait under it across a deployment.
  const KEPT = "tictactoe.quickWait";
  const kept = {
    get() { try { return localStorage.getItem(KEPT) || ""; } catch { return null; } },
    set(until) { try { localStorage.setItem(KEPT, until); } catch { /* not kept */ } },
    clear() { try { localStorage.removeItem(KEPT); } catch { /* nothing kept */ } },
  };
  const SKEW_MS = 60000; // a wait the clocks may disagree on by this much is still looked up

  function api(method, path, body) {
    const headers = { Accept: "application/json" };
    if (method !== "GET") headers["X-CSRFToken"] = csrf;
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const json = body === undefined ? undefined : JSON.stringify(body);
    return fetch(path, { method, headers, body: json, cache: "no-store" });
  }

  async function errorOf(response) {
    try { return (await response.json()).error; } catch { return `Error ${response.status}`; }
  }

  function say(where, message) {
    where.textContent = message || "";
    where.hidden = !message;
  }

  // The game page, asking for at least the version the answer named (its ETag), if any. A
  // waiting card stops saying "Looking for an opponent…" at once: the game may take a moment.
  function go(game, etag) {
    stop();
    kept.clear();
    phase = "leaving";
    const version = etag ? parseInt(etag.replace(/^W\//, "").replace(/"/g, ""), 10) : 0;
    news.textContent = "Opening the game…";
    const looking = card.querySelector('[data-pairing="waiting"] .waiting');
    if (looking && looking.lastChild) looking.lastChild.textContent = "Opening the game…";
    buttons.cancel.disabled = true;
    location.assign(`/games/${encodeURIComponent(game.id)}${version ? `?v=${version}` : ""}`);
  }

  // Show one part of the card; the keyboard's place moves to the part now shown.
  function show(next, focus) {
    const hadFocus = card.contains(document.activeElement);
    phase = next;
    card.querySelectorAll("[data-pairing]").forEach((el) => { el.hidden = el.dataset.pairing !== next; });
    if (hadFocus || focus) buttons[{ idle: "start", waiting: "cancel", ended: "again" }[next]].focus();
  }

  function stop() {
    clearTimeout(poller);
    clearInterval(ticker);
    poller = ticker = null;
  }

  // `answer` is a 202 or a GET's {"status": "waiting", "expires_at"}; `response` its Date.
  function wait(answer, response, focus) {
    // The server's clock says when the wait ends; its Date header says how far this one is off.
    const served = Date.parse(response.headers.get("Date") || "");
    const skew = Number.isNaN(served) ? 0 : served - Date.now();
    endsAt = Date.parse(answer.expires_at) - skew;
    kept.set(answer.expires_at);
    if (phase !== "waiting") {
      show("waiting", focus);
      news.textContent = "Looking for an opponent…";
    }
    clearInterval(ticker);
    ticker = setInterval(tick, TICK_MS);
    tick();
    schedule();
  }

  function tick() {
    const ms = Math.max(0, endsAt - Date.now());
    const seconds = Math.ceil(ms / 1000);
    left.textContent = `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
    if (ms === 0) over();
  }

  function schedule() {
    clearTimeout(poller);
    poller = setTimeout(check, streaming ? BACKSTOP_MS : POLL_MS);
  }

  // Ask where the wait stands: paired (go), still waiting, or over.
  async function check() {
    if (checking) { again = true; return; }
    checking = true;
    try {
      const r = await api("GET", "/api/quick-play");
      if (!r.ok) throw new Error(await errorOf(r));
      const answer = await r.json();
      say(pairingProblem, "");
      if (phase !== "waiting") return;
      if (answer.status === "paired") go(answer.game);
      else if (answer.status === "waiting") wait(answer, r);
      else ended();
    } catch (err) {
      if (phase === "waiting") { say(pairingProblem, err.message || "Connection lost. Still trying…"); schedule(); }
    } finally {
      checking = false;
      if (again && phase === "waiting") { again = false; check(); }
    }
  }

  function ended() {
    stop();
    kept.clear();
    show("ended");
    news.textContent = "Nobody else was looking for a game just now. You can try again.";
  }

  // Stop waiting (the countdown ran out, or Cancel), then look once more: a pairing that
  // came meanwhile keeps its game, and then the page goes to it.
  async function leave(then) {
    phase = "leaving"; // news meanwhile is not a reason to look again
    stop();
    try {
      const r = await api("DELETE", "/api/quick-play");
      if (!r.ok) throw new Error(await errorOf(r));
      const look = await api("GET", "/api/quick-play");
      const answer = look.ok ? await look.json() : {};
      if (answer.status === "paired") { go(answer.game); return; }
      say(pairingProblem, "");
      then();
    } catch (err) {
      say(pairingProblem, err.message || "Connection lost; try again.");
      if (Date.now() >= endsAt) { ended(); return; } // the server ends the wait by itself
      phase = "waiting"; // still waiting, as far as this page knows: Cancel again, or let it run out
      ticker = setInterval(tick, TICK_MS);
      schedule();
    }
  }

  const over = () => { if (phase === "waiting") leave(ended); };

  async function start() {
    buttons.start.disabled = buttons.again.disabled = true;
    say(pairingProblem, "");
    try {
      const r = await api("POST", "/api/quick-play");
      if (r.status === 201) { go(await r.json(), r.headers.get("ETag")); return; }
      if (r.status === 202) { wait(await r.json(), r, true); return; }
      say(pairingProblem, await errorOf(r));
    } catch {
      say(pairingProblem, "Connection lost; try again.");
    } finally {
      buttons.start.disabled = buttons.again.disabled = false;
    }
  }

  document.getElementById("pairing-form").addEventListener("submit", (event) => {
    event.preventDefault();
    start();
  });
  buttons.again.addEventListener("click", start);
  buttons.cancel.addEventListener("click", () => {
    if (phase !== "waiting") return;
    leave(() => {
      kept.clear();
      show("idle");
      news.textContent = "You stopped looking for an opponent.";
    });
  });

  home.addEventListener("live", (event) => {
    streaming = event.detail !== "error" && (streaming || event.detail === "open");
    if (pickingUp && event.detail !== "error") missed = true; // the wait may be paired by now
    if (phase !== "waiting") return;
    if (event.detail === "error") schedule(); // back to polling at once
    else check(); // news, or a stream (re)opened: news may have come while it was closed
  });

  // A reload, or another tab, while this player waits: pick the wait up again.
  (async () => {
    const until = kept.get();
    if (until === "") return; // no wait remembered: nothing to pick up
    if (until && !(Date.parse(until) + SKEW_MS > Date.now())) { kept.clear(); return; }
    pickingUp = true;
    try {
      const r = await api("GET", "/api/quick-play");
      const answer = r.ok ? await r.json() : {};
      if (phase !== "idle" || !r.ok) return;
      if (answer.status === "waiting") {
        wait(answer, r);
        if (missed) check(); // news came while this GET was answered: look again now
      } else if (answer.status === "paired") go(answer.game); // paired while the page reloaded
      else kept.clear();
    } catch { /* the button still works */ } finally {
      pickingUp = missed = false;
    }
  })();

  // Play the computer: the game is created with the player's choices, then shown.
  const computer = document.getElementById("computer-form");
  const computerProblem = document.getElementById("computer-problem");
  computer.addEventListener("submit", async (event) => {
    event.preventDefault();
    const button = computer.querySelector("button");
    const choice = { level: computer.elements.level.value, first: computer.elements.first.value };
    button.disabled = true;
    say(computerProblem, "");
    try {
      const r = await api("POST", "/api/computer-games", choice);
      if (r.status === 201) { go(await r.json(), r.headers.get("ETag")); return; }
      say(computerProblem, await errorOf(r));
    } catch {
      say(computerProblem, "Connection lost; try again.");
    }
    button.disabled = false;
  });
})();

// The game page, enhanced: moves without a reload, and the opponent's moves appear by
// themselves. Polls only while waiting for the other player, and only while the tab is
// visible; each poll is a conditional GET that usually answers 304.
(() => {
  "use strict";
  const root = document.getElementById("game");
  if (!root) return;
  const POLL_MS = 2000;
  const RETRY_MS = 300;
  const me = root.dataset.me;
  const board = document.getElementById("board");
  const cells = [...board.querySelectorAll("button.cell")];
  const statusLine = document.getElementById("status");
  const problem = document.getElementById("problem");
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  let game = JSON.parse(root.dataset.game);
  let state = root.dataset.state;
  let timer = null;
  let busy = false;

  const waiting = () =>
    (game.status === "PENDING" && game.host === me) ||
    (game.status === "IN_PROGRESS" && game.turn !== me);

  function statusText(g) {
    if (g.status === "PENDING") {
      return g.opponent === me ? `${g.host} invited you to a game.` : `Waiting for ${g.opponent} to accept…`;
    }
    if (g.status === "IN_PROGRESS") return g.turn === me ? "Your turn." : `${g.turn}'s turn…`;
    if (g.winner === null) return "It's a tie.";
    return g.winner === me ? "You won!" : `${g.winner} won.`;
  }

  function render() {
    const playable = game.status === "IN_PROGRESS" && game.turn === me;
    game.board.forEach((mark, i) => {
      const cell = cells[i];
      cell.textContent = mark;
      cell.className = "cell" + (mark ? " " + mark.toLowerCase() : "");
      cell.disabled = busy || !playable || mark !== "";
      const row = Math.floor(i / 3) + 1, col = (i % 3) + 1;
      cell.setAttribute("aria-label", `Row ${row}, column ${col}: ${mark || "empty"}`);
    });
    board.classList.toggle("busy", busy);
    board.elements.state.value = state;
    statusLine.textContent = statusText(game);
    if (game.status !== "PENDING") root.querySelectorAll(".actions").forEach((el) => el.remove());
  }

  function take(json, etag) {
    game = json;
    if (etag) state = etag.replace(/^W\//, "").replace(/"/g, "");
    render();
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
    timer = waiting() && !document.hidden ? setTimeout(poll, delay) : null;
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
      busy = false;
      if (r.ok) { take(await r.json(), r.headers.get("ETag")); say(""); }
      else { say(await errorOf(r)); render(); if (r.status === 409) poll(); }
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
  document.addEventListener("visibilitychange", () => {
    if (document.hidden) clearTimeout(timer);
    else poll();
  });
  schedule();
})();

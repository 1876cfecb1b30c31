// Who has the game open, and when the win may be claimed, on the game page. game.js hands over
// each `event: presence` of the game's stream ({here: [players here], watchers: N}) and calls
// drawn() after each redraw. The line says in words whether the opponent (for a watcher: each
// player) is here or away, with a filled or hollow dot beside the words, and "N watching". A
// countdown runs to the game's claimable_at when it is near (the player to move is away); at
// zero the page redraws, and board.js shows the claim button. The server decides the claim.
(() => {
  "use strict";
  const NEAR_MS = 10 * 60 * 1000; // a claim further off than this (the 3-day rule) is no news

  window.gamePresence = (view) => {
    const line = document.getElementById("presence");
    const countdown = document.getElementById("countdown");
    let timer = null;
    let here = null; // null until the stream says who is here

    const players = () => [view.game.host, view.game.opponent].filter(Boolean);
    const playing = () => players().includes(view.me);

    function drawLine() {
      if (!line) return;
      line.hidden = here === null; // unknown (no stream): say nothing rather than guess
      if (here === null) return;
      const others = players().filter((p) => p !== view.me);
      line.replaceChildren(...others.map((name) => {
        const present = here.here.includes(name);
        const item = document.createElement("span");
        item.className = `seat ${present ? "here" : "away"}`;
        const dot = document.createElement("span");
        dot.className = "dot";
        dot.setAttribute("aria-hidden", "true");
        item.append(dot, `${view.nameOf(name)} is ${present ? "here" : "away"}`);
        return item;
      }));
      if (here.watchers > 0) {
        const dot = document.createElement("span"); // between the two, for eyes only
        dot.setAttribute("aria-hidden", "true");
        dot.textContent = "·";
        const watching = document.createElement("span");
        watching.className = "watching";
        watching.textContent = `${here.watchers} watching`;
        line.append(" ", dot, " ", watching);
      }
    }

    function left(ms) {
      const seconds = Math.max(0, Math.ceil(ms / 1000));
      return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
    }

    function tick() {
      clearTimeout(timer);
      const g = view.game;
      const at = g.claimable_at ? Date.parse(g.claimable_at) : NaN;
      const waiting = g.status === "IN_PROGRESS" && !g.computer && playing();
      const ms = at - Date.now();
      if (!countdown || !waiting || !(ms > 0 && ms <= NEAR_MS)) {
        if (countdown) countdown.hidden = true;
        if (waiting && ms <= 0 && ms > -1000) view.draw(); // just reached: the button shows
        return;
      }
      const other = view.nameOf(g.turn === view.me ? players().find((p) => p !== view.me) : g.turn);
      countdown.textContent = g.turn === view.me
        ? `${other} may claim the win in ${left(ms)} unless you move.`
        : `${other} is away: you may claim the win in ${left(ms)}.`;
      countdown.hidden = false;
      timer = setTimeout(tick, ms % 1000 || 1000);
    }

    return {
      presence(data) { here = data; drawLine(); }, // null: not known any more
      drawn() { drawLine(); tick(); },
    };
  };
})();

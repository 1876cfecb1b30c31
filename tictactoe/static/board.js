// The game page's drawing, from the game's JSON: the board with the winning line the server
// names (`line`), the status line, the buttons that depend on the game's status, and the replay
// of a finished game with its buttons and keys. The status line's sentences are the ones the
// server says it with (templates/_sentences.html, handed over in data-sentences); this file
// only fills in the names. game.js talks to the server and redraws with what it hears.
(() => {
  "use strict";
  const COMPUTER = "computer"; // the computer's seat in a game against it
  const KEYS = { ArrowLeft: "back", ArrowRight: "forward", Home: "first", End: "last" };

  // The page's view of one game: what it shows (game, moves, the replay's position, busy) and
  // how to draw it; game.js changes the fields and calls draw().
  window.gameBoard = (root) => {
    const me = root.dataset.me;
    const form = document.getElementById("board");
    const cells = [...form.querySelectorAll("button.cell")];
    const statusLine = document.getElementById("status");
    const replay = document.getElementById("replay");
    const replayAt = document.getElementById("replay-at");
    const claim = document.getElementById("claim");
    const nudge = root.querySelector(".nudge"); // "Tell me when it's my turn" (nudge.js)
    const sentences = JSON.parse(root.dataset.sentences);
    const timeoutMs = Number(root.dataset.timeout || 0) * 1000;
    const game = JSON.parse(root.dataset.game);
    const moves = game.moves || JSON.parse(root.dataset.moves || "[]");
    const view = {
      me,
      game,
      moves,
      shown: moves.length, // the replay's position: how many moves the board shows
      state: root.dataset.state, // the ETag's value of the game shown
      busy: false, // a move is on its way
    };
    // The server's clock decides; this one only shows the button once the time has come.
    const serverSaidClaimable = claim && !claim.hidden ? game.updated_at : null;

    // A sentence of the status line, its {names} filled in.
    const say = (key, names = {}) => sentences[key].replace(/\{(\w+)\}/g, (_, name) => names[name]);
    view.myTurn = (g) => g.status === "IN_PROGRESS" && g.turn === me;
    // A seat in words: a player's name, or the computer at its level (in the sentences' words).
    view.nameOf = (seat) => (view.game.computer && seat === COMPUTER ? say("computer_level", { level: view.game.computer }) : seat);

    function statusText(g) {
      if (g.status === "PENDING" && g.opponent === null) {
        return g.host === me ? say("challenge_mine") : say("challenge", { host: g.host });
      }
      if (g.status === "PENDING") {
        return g.opponent === me ? say("invited", { host: g.host }) : say("inviting", { opponent: g.opponent });
      }
      if (g.status === "IN_PROGRESS" && g.turn === me) return say("your_turn");
      if (g.status === "IN_PROGRESS") return say(g.computer ? "playing" : "turn", { turn: view.nameOf(g.turn) });
      const result = g.winner === null ? say("tie") : g.winner === me ? say("you_won") : say("won", { winner: view.nameOf(g.winner) });
      // Unrated between people (not a deleted player's game): the pair's rated games for the day are used up.
      const farmed = g.rated === false && !g.computer && ![g.host, g.opponent].includes("deleted player");
      return farmed ? `${result} ${say("unrated")}` : result;
    }

    // The board after the first `count` moves (X moves first), or the game's own board.
    function boardAt(count) {
      if (count >= view.moves.length) return view.game.board;
      const marks = Array(9).fill("");
      view.moves.slice(0, count).forEach((cell, i) => { marks[cell] = i % 2 === 0 ? "X" : "O"; });
      return marks;
    }

    // When the waiting player may claim the win: a timeout after the game last changed.
    function claimableAt(g) {
      if (g.claimable_at) return Date.parse(g.claimable_at);
      return timeoutMs ? Date.parse(g.updated_at) + timeoutMs : Infinity;
    }

    view.draw = () => {
      const { game: g, shown, busy } = view;
      const last = shown === view.moves.length;
      const playable = view.myTurn(g) && last;
      const marks = boardAt(shown);
      // A win ends the game, so only its last board has a line: the one the server names.
      const line = (last && g.line) || [];
      marks.forEach((mark, i) => {
        const cell = cells[i];
        const won = line.includes(i);
        cell.textContent = mark;
        cell.className = "cell" + (mark ? " " + mark.toLowerCase() : "") + (won ? " win" : "");
        // A disabled button drops the keyboard's focus to the page: the cell that has it (the
        // one just played) stays focusable and says it is unavailable instead, so a keyboard
        // player keeps their place on the board; game.js ignores a press on it.
        const blocked = busy || !playable || mark !== "";
        const keep = blocked && cell === document.activeElement;
        cell.disabled = blocked && !keep;
        if (keep) cell.setAttribute("aria-disabled", "true");
        else cell.removeAttribute("aria-disabled");
        const row = Math.floor(i / 3) + 1, col = (i % 3) + 1;
        cell.setAttribute("aria-label", `Row ${row}, column ${col}: ${mark || "empty"}${won ? ", winning line" : ""}`);
      });
      form.classList.toggle("busy", busy);
      form.elements.state.value = view.state;
      statusLine.textContent = statusText(g);
      root.querySelectorAll("[data-when]").forEach((el) => { el.hidden = el.dataset.when !== g.status; });
      if (nudge) nudge.hidden = g.status === "FINISHED"; // no turn will come: nothing to tell
      if (claim) {
        const due = g.updated_at === serverSaidClaimable || Date.now() >= claimableAt(g);
        claim.hidden = g.status !== "IN_PROGRESS" || g.turn === me || !due;
      }
      drawReplay();
    };

    function drawReplay() {
      const on = view.game.status === "FINISHED" && view.moves.length > 0;
      replay.hidden = !on;
      if (!on) return;
      replayAt.textContent = `Move ${view.shown} of ${view.moves.length}`;
      replay.querySelectorAll("button").forEach((b) => {
        const step = b.dataset.step;
        b.disabled = (step === "first" || step === "back") ? view.shown === 0 : view.shown === view.moves.length;
      });
    }

    function step(how) {
      const { shown, moves: all } = view;
      const to = { first: 0, back: shown - 1, forward: shown + 1, last: all.length }[how];
      if (to === undefined || to < 0 || to > all.length || to === shown) return;
      view.shown = to;
      view.draw();
      // A button that just became disabled drops the focus: keep it in the replay group.
      if (replay.contains(document.activeElement) && document.activeElement.disabled) {
        const other = replay.querySelector("button:enabled");
        if (other) other.focus();
      }
    }

    // An open challenge was taken: name its taker where "Anyone" stood, linking to them.
    view.showTaker = (name, pictureUrl) => {
      const open = root.querySelector(".players .player.open");
      if (!open || !name) return;
      const link = document.createElement("a");
      link.className = "player";
      link.href = `/players/${encodeURIComponent(name)}`;
      const picture = document.createElement("img");
      Object.assign(picture, { className: "picture", src: pictureUrl || "", alt: "", width: 28, height: 28 });
      link.append(picture, name);
      open.replaceWith(link);
    };

    // A withdrawn or declined invitation: no button applies any more.
    view.drawGone = () => {
      root.querySelectorAll("[data-when]").forEach((el) => { el.hidden = true; });
      statusLine.textContent = say(view.game.opponent === null ? "challenge_withdrawn" : "invitation_withdrawn");
    };

    replay.addEventListener("click", (event) => {
      const button = event.target.closest("button[data-step]");
      if (button) step(button.dataset.step);
    });
    document.addEventListener("keydown", (event) => {
      if (replay.hidden || !KEYS[event.key] || event.altKey || event.ctrlKey || event.metaKey) return;
      if (event.target.closest("input, textarea, select, dialog")) return;
      event.preventDefault();
      step(KEYS[event.key]);
    });
    return view;
  };
})();

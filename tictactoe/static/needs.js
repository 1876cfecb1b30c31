// The home page's bar "Waiting for you" (#needs), above the ways to start a game: the first
// NEEDS_SHOWN of the list rows that wait for the player (data-need: "invite" to answer, "turn"
// to move), each a link to its game, and "N more" linking to the lists; and, while the tab is
// hidden, a title that counts them: "(2) Your turn · Tic-Tac-Toe". home.js calls
// window.homeNeeds(home).draw() whenever its lists change; the server draws the same at first.
(() => {
  "use strict";
  const NEEDS_SHOWN = 3; // as home.html
  const WORDS = { invite: (who) => [who, "invited you"], turn: (who) => ["Your turn", `against ${who}`] };

  window.homeNeeds = (home) => {
    const bar = document.getElementById("needs");
    const title = document.title;
    const clone = (id) => document.getElementById(id).content.firstElementChild.cloneNode(true);
    // The rows that wait for the player, in the lists' order: invitations first.
    const waiting = () => [...home.querySelectorAll("[data-list] [data-need]")];

    function itemOf(row) {
      const item = clone("need-item");
      const [strong, rest] = WORDS[row.dataset.need](row.dataset.who);
      item.dataset.needGame = row.dataset.game;
      item.querySelector("a").href = `/games/${encodeURIComponent(row.dataset.game)}`;
      item.querySelector("strong").textContent = strong;
      item.querySelector("a span").textContent = rest;
      window.when(item.querySelector("time"), row.querySelector("time.when").dateTime);
      return item;
    }

    function moreOf(rows) {
      const item = Object.assign(document.createElement("li"), { className: "needs-more" });
      const invites = rows.filter((row) => row.dataset.need === "invite").length;
      const link = Object.assign(document.createElement("a"), { href: invites > NEEDS_SHOWN ? "#invites-h" : "#playing-h" });
      link.textContent = `${rows.length - NEEDS_SHOWN} more`;
      item.append(link);
      return item;
    }

    function retitle() {
      const rows = waiting();
      const what = rows.some((row) => row.dataset.need === "turn") ? "Your turn" : "New invitation";
      document.title = document.hidden && rows.length ? `(${rows.length}) ${what} · ${title}` : title;
    }

    function draw() {
      const rows = waiting();
      const items = rows.slice(0, NEEDS_SHOWN).map(itemOf);
      if (rows.length > NEEDS_SHOWN) items.push(moreOf(rows));
      // The keyboard's place in the bar: the same game's link, else the bar's first, else the lists.
      const focused = bar.contains(document.activeElement) && document.activeElement.closest("li");
      bar.querySelector("[data-needs]").replaceChildren(...items);
      bar.hidden = rows.length === 0;
      if (focused && !focused.isConnected) {
        const same = items.find((item) => item.dataset.needGame === focused.dataset.needGame);
        const link = (same || items[0] || bar).querySelector("a");
        (link || document.getElementById("invites-h")).focus();
      }
      retitle();
    }

    document.addEventListener("visibilitychange", retitle);
    return { draw };
  };
})();

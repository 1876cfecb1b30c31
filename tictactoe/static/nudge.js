// "Tell me when it's my turn": a browser notification while this page is hidden, when it
// becomes the player's turn (game.js) or an invitation or a new game arrives (home.js). The
// browser's permission is asked on the button's click, never on load; the choice is kept per
// browser (localStorage), for both pages. No push service: the open page's stream (or its
// polls) brings the news, so it tells only while a page of the game is open somewhere.
// Where the browser cannot notify the button stays hidden; where it was refused, a quiet line
// says so. window.nudge(text, tag) notifies if all of that allows it.
(() => {
  "use strict";
  const KEY = "tictactoe.nudge";
  const BLOCKED = "Notifications are blocked for this site in your browser's settings.";
  const button = document.getElementById("nudge");
  const note = document.getElementById("nudge-note");
  const able = "Notification" in window;
  const kept = {
    get() { try { return localStorage.getItem(KEY) === "on"; } catch { return false; } },
    set(on) { try { localStorage.setItem(KEY, on ? "on" : "off"); } catch { /* this page only */ } },
  };
  let chosen = kept.get(); // where storage is refused, the choice lasts as long as the page
  const on = () => able && chosen && Notification.permission === "granted";

  function draw() {
    if (!button) return;
    const denied = able && Notification.permission === "denied";
    button.hidden = !able || denied;
    button.setAttribute("aria-pressed", String(on()));
    note.hidden = !denied;
    note.textContent = denied ? BLOCKED : "";
  }

  async function choose() {
    if (on()) { chosen = false; kept.set(false); draw(); return; }
    let permission = Notification.permission;
    if (permission === "default") {
      try { permission = await Notification.requestPermission(); } catch { permission = "denied"; }
    }
    chosen = permission === "granted";
    kept.set(chosen);
    draw();
  }

  // Say `text` in a notification if the page is hidden and the player asked for it. `tag`
  // names what it is about: the game page and the home page, both open, notify once.
  window.nudge = (text, tag) => {
    if (!document.hidden || !on()) return;
    try {
      const shown = new Notification(text, { tag });
      shown.onclick = () => { window.focus(); shown.close(); };
    } catch { /* a browser that notifies only from a service worker: the title says it */ }
  };

  if (button) button.addEventListener("click", choose);
  // Another tab changed the choice, or the permission changed in the browser's settings.
  window.addEventListener("storage", (event) => { if (event.key === KEY) { chosen = kept.get(); draw(); } });
  document.addEventListener("visibilitychange", draw);
  draw();
})();

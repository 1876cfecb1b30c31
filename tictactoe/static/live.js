// Live updates over Server-Sent Events, for the pages that use them (game.js, home.js).
// EventSource reconnects by itself when a stream drops, but gives up for good when the server
// refuses one (503 while the bus is down, 429, 401): then a new one is opened here, waiting
// longer each time, with jitter so that many pages do not all come back at the same instant.
// A refused stream, or one the server ends because the bus went down (`event: down`), is
// passed on at once as "down": the page polls, and says quietly that updates are degraded
// (#live-status), until a stream opens again. Each stream names this browser tab (?tab=, kept
// in sessionStorage), so the tab's next page takes over its slot on the server at once; a
// duplicated tab, whose stream another page took (`event: replaced`), picks an id of its own.
(() => {
  "use strict";
  const FIRST_WAIT_MS = 1000;
  const MAX_WAIT_MS = 10000;
  const TAB_KEY = "tictactoe.tab";
  const DEGRADED = "Live updates are paused; this page checks for news every few seconds.";

  function newTab() {
    const bytes = crypto.getRandomValues(new Uint8Array(12));
    const id = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
    try { sessionStorage.setItem(TAB_KEY, id); } catch { /* this page keeps it alone */ }
    return id;
  }

  function tabId() {
    let kept = null;
    try { kept = sessionStorage.getItem(TAB_KEY); } catch { /* storage refused */ }
    return kept && /^[A-Za-z0-9_-]{8,64}$/.test(kept) ? kept : newTab();
  }

  function showDegraded(degraded) {
    const line = document.getElementById("live-status");
    if (!line) return;
    line.hidden = !degraded;
    line.textContent = degraded ? DEGRADED : "";
  }

  // Open the stream at `url`; `on` maps event names ("open", "error", "game", ...) to handlers,
  // and "down" to what to do when no stream can be had for now (poll). Returns { close() },
  // which ends it for good.
  window.openLive = (url, on) => {
    let source = null;
    let tries = 0;
    let timer = null;
    let closed = false;
    let tab = tabId();
    const retry = () => {
      source.close();
      clearTimeout(timer);
      const wait = Math.min(MAX_WAIT_MS, FIRST_WAIT_MS * 2 ** tries++);
      timer = setTimeout(connect, wait * (0.5 + Math.random() / 2));
    };
    const down = () => {
      showDegraded(true);
      if (on.down) on.down();
      retry();
    };
    function connect() {
      if (closed) return;
      source = new EventSource(`${url}${url.includes("?") ? "&" : "?"}tab=${tab}`);
      Object.entries(on).forEach(([name, handle]) => {
        if (name !== "down") source.addEventListener(name, handle);
      });
      source.addEventListener("open", () => { tries = 0; showDegraded(false); });
      source.addEventListener("error", () => {
        if (source.readyState === EventSource.CLOSED) down(); // refused: poll, try later
      });
      source.addEventListener("down", down); // the bus went down: the server ends the stream
      source.addEventListener("replaced", () => { // another page of this tab's id took over
        source.close();
        tab = newTab(); // a duplicated tab: its own id from now on
        connect();
      });
    }
    const close = () => { closed = true; clearTimeout(timer); source.close(); };
    // A form posted from this page leaves it: stop listening, so that the change it makes (an
    // invitation sent, a challenge joined) does not come back to a page that is unloading.
    document.addEventListener("submit", (event) => { if (!event.defaultPrevented) close(); });
    connect();
    return { close };
  };
})();

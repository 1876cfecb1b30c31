// Live updates over Server-Sent Events, for the pages that use them (game.js, home.js).
// EventSource reconnects by itself when a stream drops, but gives up for good when the server
// refuses one (503 while the bus is down, 429, 401): then a new one is opened here, waiting
// longer each time, with jitter so that many pages do not all come back at the same instant.
(() => {
  "use strict";
  const FIRST_WAIT_MS = 1000;
  const MAX_WAIT_MS = 10000;

  // Open the stream at `url`; `on` maps event names ("open", "error", "game", ...) to handlers.
  // Returns { close() }, which ends it for good.
  window.openLive = (url, on) => {
    let source = null;
    let tries = 0;
    let timer = null;
    const connect = () => {
      source = new EventSource(url);
      Object.entries(on).forEach(([name, handle]) => source.addEventListener(name, handle));
      source.addEventListener("open", () => { tries = 0; });
      source.addEventListener("error", () => {
        if (source.readyState !== EventSource.CLOSED) return; // it reconnects by itself
        const wait = Math.min(MAX_WAIT_MS, FIRST_WAIT_MS * 2 ** tries++);
        timer = setTimeout(connect, wait * (0.5 + Math.random() / 2));
      });
    };
    const close = () => { clearTimeout(timer); source.close(); };
    // A form posted from this page leaves it: stop listening, so that the change it makes (an
    // invitation sent, a challenge joined) does not come back to a page that is unloading.
    document.addEventListener("submit", (event) => { if (!event.defaultPrevented) close(); });
    connect();
    return { close };
  };
})();

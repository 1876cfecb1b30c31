// When a game last changed, in a list row's words: "just now", "5 min ago", "3 h ago", "2 days
// ago", then the date, as tictactoe/web/pages/when.py says it on the server. window.when(time,
// iso) fills a <time class="when"> (its title: the full time in the reader's own zone); every
// such <time> on the page is said again every TICK_MS while the page is seen.
(() => {
  "use strict";
  const TICK_MS = 30000;
  const MONTHS = "Jan Feb Mar Apr May Jun Jul Aug Sep Oct Nov Dec".split(" ");

  function ago(iso, now = Date.now()) {
    const at = new Date(iso);
    const seconds = (now - at) / 1000;
    if (!(seconds >= 60)) return "just now"; // a clock a little behind the server's too
    if (seconds < 3600) return `${Math.floor(seconds / 60)} min ago`;
    if (seconds < 86400) return `${Math.floor(seconds / 3600)} h ago`;
    const days = Math.floor(seconds / 86400);
    if (days < 7) return `${days} day${days > 1 ? "s" : ""} ago`;
    return `${at.getUTCDate()} ${MONTHS[at.getUTCMonth()]} ${at.getUTCFullYear()}`;
  }

  // Fill `time` from `iso` (or from its own datetime attribute).
  window.when = (time, iso) => {
    if (iso) time.dateTime = iso;
    time.textContent = ago(time.dateTime);
    time.title = new Date(time.dateTime).toLocaleString(undefined, { dateStyle: "medium", timeStyle: "short" });
  };

  const all = () => document.querySelectorAll("time.when").forEach((time) => window.when(time));
  all(); // the server's titles are in UTC: the reader's own zone instead
  setInterval(() => { if (!document.hidden) all(); }, TICK_MS);
})();

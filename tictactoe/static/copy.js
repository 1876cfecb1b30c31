// Copy buttons beside share links: shown only where the browser can copy; without them (or
// without JavaScript) the link sits in a read-only field, to select and copy by hand. The
// listeners sit on the document, so rows that home.js adds later work the same.
(() => {
  "use strict";
  if (navigator.clipboard) document.querySelectorAll("button.copy").forEach((b) => { b.hidden = false; });
  document.addEventListener("click", async (event) => {
    const button = event.target.closest("button.copy");
    if (!button) return;
    try {
      await navigator.clipboard.writeText(button.dataset.copy);
      button.textContent = "Copied";
      setTimeout(() => { button.textContent = "Copy"; }, 2000);
    } catch {
      button.closest(".share").querySelector("input").select(); // copy by hand
    }
  });
  // A click in a share field selects the whole link.
  document.addEventListener("focusin", (event) => {
    if (event.target.matches("input.share-link")) event.target.select();
  });
})();

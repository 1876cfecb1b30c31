// Copy buttons beside share links: shown only where the browser can copy; without them (or
// without JavaScript) the link sits in a read-only field, to select and copy by hand.
(() => {
  "use strict";
  document.querySelectorAll("button.copy").forEach((button) => {
    if (!navigator.clipboard) return;
    button.hidden = false;
    button.addEventListener("click", async () => {
      try {
        await navigator.clipboard.writeText(button.dataset.copy);
        button.textContent = "Copied";
        setTimeout(() => { button.textContent = "Copy"; }, 2000);
      } catch {
        button.closest(".share").querySelector("input").select(); // copy by hand
      }
    });
  });
  // A click in a share field selects the whole link.
  document.querySelectorAll("input.share-link").forEach((input) => {
    input.addEventListener("focus", () => input.select());
  });
})();

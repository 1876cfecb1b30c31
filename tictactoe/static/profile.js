// The profile page, enhanced: a picture over the size limit is refused before it is sent,
// so the player gets the message at once instead of waiting for a 5 MiB upload to fail.
"use strict";
(() => {
  const form = document.getElementById("picture-form");
  if (!form) return;
  const problem = document.getElementById("picture-problem");
  const limit = Number(form.dataset.maxBytes);
  form.addEventListener("submit", (event) => {
    const file = form.elements.image.files[0];
    if (file && file.size > limit) {
      event.preventDefault();
      problem.textContent = `That picture is ${(file.size / 1048576).toFixed(1)} MiB; the limit is ${limit / 1048576} MiB.`;
      problem.hidden = false;
    }
  });
  form.elements.image.addEventListener("change", () => { problem.hidden = true; });
})();

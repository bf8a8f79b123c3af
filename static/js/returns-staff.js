// The staff returns list: the return-code field opens the return as soon as the camera
// (scanner.js) fills it; a hand scanner types the code and Enter, which submits by itself.
(function () {
  "use strict";
  document.querySelectorAll("[data-submit-on-scan]").forEach((field) => {
    field.addEventListener("input", (event) => {
      if (!event.isTrusted && field.value.trim() && field.form) field.form.requestSubmit();
    });
  });
})();

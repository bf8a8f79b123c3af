// The exit-pass check at the door, and the counter field of the order list.
//
// A field marked data-submit-on-scan submits its form as soon as the camera (scanner.js) fills
// it; a hand scanner types the code and Enter, which submits by itself. On the exit page the
// [data-exit-form] is checked without leaving the page: the verdict the server renders replaces
// [data-exit-result], and the field is emptied for the next shopper. Without JavaScript the
// form posts as an ordinary page and shows the same verdict.
(function () {
  "use strict";

  // scanner.js fills a field with synthetic input events; a person typing makes trusted ones.
  document.querySelectorAll("[data-submit-on-scan]").forEach((field) => {
    field.addEventListener("input", (event) => {
      if (!event.isTrusted && field.value.trim() && field.form) field.form.requestSubmit();
    });
  });

  // The camera dialog says what to point it at.
  const title = document.getElementById("scanner-title");
  document.querySelectorAll("[data-scan][data-scan-title]").forEach((button) => {
    button.addEventListener("click", () => {
      if (title) title.textContent = button.dataset.scanTitle;
    });
  });

  const form = document.querySelector("[data-exit-form]");
  const result = document.querySelector("[data-exit-result]");
  if (!form || !result) return;
  const field = form.elements.code;
  let busy = false;

  function feel(kind) {
    if (navigator.vibrate) navigator.vibrate(kind === "ok" ? 80 : [220, 120, 220]);
  }

  function showNoAnswer() {
    const box = document.createElement("section");
    box.className = "exit-verdict refused";
    box.dataset.verdict = "offline";
    const headline = document.createElement("p");
    headline.className = "verdict";
    headline.textContent = "No answer from the server";
    const detail = document.createElement("p");
    detail.className = "verdict-detail";
    detail.textContent = "Check the network, then press Check again.";
    box.append(headline, detail);
    result.replaceChildren(box);
  }

  async function check() {
    const code = field.value.trim();
    if (!code || busy) return;
    busy = true;
    // Typed or hand-scanned: stay in the field. After the camera, keep the keyboard away.
    const refocus = document.activeElement === field;
    result.classList.add("busy");
    try {
      const url = new URL(form.action, window.location.href);
      url.searchParams.set("part", "result");
      const response = await fetch(url, { method: "POST", body: new FormData(form), credentials: "same-origin" });
      const kind = response.headers.get("X-Exit-Verdict");
      if (!kind) {
        form.submit(); // signed out, or something else went wrong: the page itself says what
        return;
      }
      result.innerHTML = await response.text();
      field.value = "";
      feel(kind);
    } catch (error) {
      showNoAnswer(); // the code stays in the field for another try
      feel("offline");
    } finally {
      busy = false;
      result.classList.remove("busy");
      if (refocus) field.focus();
    }
  }

  form.addEventListener("submit", (event) => {
    event.preventDefault();
    check();
  });
})();

// The member's return pages. The form page starts a return through the JSON API (one
// Idempotency-Key per attempt, so a retried tap starts one return) and opens it; the return
// page follows its status live (return:updated in the member's room) and reloads on a change.
(function () {
  "use strict";

  const formPage = document.querySelector("[data-return-form-page]");
  if (formPage) {
    const form = formPage.querySelector("[data-return-form]");
    const error = formPage.querySelector("[data-return-error]");
    const pickup = formPage.querySelector("[data-pickup]");
    const submit = formPage.querySelector("[data-return-submit]");
    let key = null;

    function channel() {
      const picked = form.querySelector("input[name=channel]:checked");
      return picked ? picked.value : "store";
    }

    function show(message) {
      error.textContent = message;
      error.hidden = !message;
    }

    function iso(field) {
      const value = form.querySelector(field).value;
      return value ? new Date(value).toISOString() : null;
    }

    function body() {
      const lines = [...form.querySelectorAll("[data-qty]")]
        .map((input) => ({ line: Number(input.dataset.lineId), qty: Number(input.value || 0) }))
        .filter((line) => line.qty > 0);
      const sent = { lines, reason: form.querySelector("[data-reason]").value.trim(), channel: channel() };
      if (sent.channel === "pickup") {
        sent.pickup = {
          from: iso("[data-pickup-from]"),
          until: iso("[data-pickup-until]"),
          address: {
            line1: form.querySelector("[data-pickup-line1]").value.trim(),
            city: form.querySelector("[data-pickup-city]").value.trim(),
            postcode: form.querySelector("[data-pickup-postcode]").value.trim(),
            phone: form.querySelector("[data-pickup-phone]").value.trim(),
          },
        };
      }
      return sent;
    }

    form.addEventListener("change", () => {
      pickup.hidden = channel() !== "pickup";
      key = null; // a changed form is a new attempt
    });

    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const sent = body();
      if (!sent.lines.length) return show("Choose at least one item to return.");
      if (sent.channel === "pickup" && (!sent.pickup.from || !sent.pickup.until || !sent.pickup.address.line1)) {
        return show("Say when the courier may come and the address to collect from.");
      }
      show("");
      key = key || window.OneshelfBasket.newKey();
      submit.disabled = true;
      const answer = await window.OneshelfBasket.call("POST", formPage.dataset.apiUrl, {
        csrf: formPage.dataset.csrf,
        body: sent,
        headers: { "Idempotency-Key": key },
      });
      submit.disabled = false;
      if (answer.ok) {
        window.location.assign(`/returns/${encodeURIComponent(answer.body.number)}`);
      } else {
        if (answer.status !== 0) key = null; // refused: nothing was written, the next try is new
        show(answer.error.message);
      }
    });
  }

  const page = document.querySelector("[data-return-page]");
  if (page && typeof io !== "undefined") {
    const liveState = document.querySelector("[data-live-state]");
    let reloading = false;
    const again = () => {
      if (!reloading) {
        reloading = true;
        window.location.reload();
      }
    };
    async function check() {
      try {
        const response = await fetch(page.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" });
        if (response.ok && (await response.json()).status !== page.dataset.status) again();
      } catch (err) {
        // offline: the code on screen still works
      }
    }
    const socket = io("/live", { transports: ["websocket", "polling"] });
    socket.on("connect", () => {
      socket.emit("member:subscribe", {}, (ack) => {
        if (ack && ack.ok) {
          page.dataset.live = "1";
          check(); // anything that happened before we were listening
        }
      });
      liveState.hidden = true;
    });
    socket.on("disconnect", () => {
      liveState.hidden = false;
      liveState.textContent = "Reconnecting…";
      liveState.classList.add("offline");
    });
    socket.on("return:updated", (data) => {
      if (data && data.number === page.dataset.number && data.status !== page.dataset.status) again();
    });
  }
})();

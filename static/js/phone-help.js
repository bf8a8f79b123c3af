// "Need help?" on a phone page: asks the store's staff to come (POST /api/v1/help-requests) and
// follows the answer live. help:subscribe joins this phone's own room on the server (its member's,
// or its shopper session's, from the cookies); the acknowledgement carries the requests as they
// are now, so a reconnect or a reload shows where things stand.
(function () {
  "use strict";
  const box = document.querySelector("[data-need-help]");
  if (!box) return;
  const button = box.querySelector("[data-need-help-button]");
  const what = box.querySelector("[data-need-help-what]");
  const state = box.querySelector("[data-need-help-state]");
  let current = null;
  let followed = false; // help:subscribe accepted: this phone's room is joined

  function show(request) {
    if (!request || request.location !== box.dataset.location) return;
    if (current && request.id < current.id) return;
    current = request;
    const waiting = request.status === "open" || request.status === "claimed";
    button.hidden = waiting;
    what.hidden = waiting;
    state.hidden = false;
    box.dataset.status = request.status;
    if (request.status === "open") {
      state.textContent = `Staff at ${request.location_name} have been called and will be with you shortly.`;
    } else if (request.status === "claimed") {
      state.textContent = `${request.claimed_by || "A member of staff"} is on the way.`;
    } else if (request.status === "answered" || request.status === "closed") {
      state.textContent = "Answered: thank you. ";
      const rate = document.createElement("a");
      rate.href = `${box.dataset.rateUrl}/${request.id}?back=${encodeURIComponent(location.pathname)}`;
      rate.textContent = "How did we do? Rate it";
      rate.dataset.rateHelp = request.id;
      state.append(rate);
      button.textContent = "Need more help?";
    } else {
      state.hidden = true;
    }
  }

  function follow() {
    if (typeof io === "undefined") return;
    const socket = io("/live", { transports: ["websocket", "polling"] });
    socket.on("connect", () => {
      socket.emit("help:subscribe", {}, (ack) => {
        followed = !!(ack && ack.ok);
        if (followed) ack.requests.forEach(show);
      });
    });
    socket.on("help:updated", show);
    return socket;
  }

  const socket = follow();

  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      const body = { location: box.dataset.location };
      if (box.dataset.sku) body.sku = box.dataset.sku;
      else if (box.dataset.topic) body.topic = box.dataset.topic;
      const key = window.crypto && crypto.randomUUID ? crypto.randomUUID() : `${Date.now()}-${Math.random()}`;
      const response = await fetch(box.dataset.url, {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", "X-CSRFToken": box.dataset.csrf, "Idempotency-Key": key },
        body: JSON.stringify(body),
      });
      const answer = await response.json();
      if (!response.ok) throw new Error(answer.error ? answer.error.message : `HTTP ${response.status}`);
      show(answer);
      // The first request of a new shopper session set its cookie just now: connect again with it.
      if (socket && !followed) {
        socket.disconnect();
        socket.connect();
      }
    } catch (error) {
      state.hidden = false;
      state.textContent = `Could not call staff: ${error.message} Please ask at the counter.`;
    } finally {
      button.disabled = false;
    }
  });
})();

// The staff's help page: joins the staff room of each store it shows (staff:subscribe) and
// reloads the list of requests whenever one is raised, answered or closed (help:updated), and
// after every reconnect, so that nothing raised while offline is missed. A request still waiting
// past its store's service standard (data-due-at) is marked on a timer, without a reload.
(function () {
  "use strict";
  const root = document.querySelector("[data-help-desk]");
  if (!root || typeof io === "undefined") return;
  const state = document.querySelector("[data-live-state]");
  const locations = (root.dataset.locations || "").split(/\s+/).filter(Boolean);

  function setState(text, ok) {
    state.textContent = text;
    state.classList.toggle("offline", !ok);
  }

  async function reload() {
    const response = await fetch(root.dataset.requestsUrl, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    const before = new Set([...root.querySelectorAll("[data-help-id]")].map((row) => row.dataset.helpId));
    root.innerHTML = await response.text(); // our own server's HTML fragment
    root.querySelectorAll("[data-help-id]").forEach((row) => {
      if (!before.has(row.dataset.helpId)) row.classList.add("flash-update");
    });
    markLate();
  }

  function markLate() {
    const now = Date.now();
    root.querySelectorAll("[data-help-id][data-due-at]").forEach((row) => {
      const late = row.dataset.status === "open" && now > Date.parse(row.dataset.dueAt);
      row.classList.toggle("help-late", late);
      const note = row.querySelector("[data-late-note]");
      if (note) note.textContent = late ? `Over the ${row.dataset.standard} min standard` : "";
    });
  }
  markLate();
  setInterval(markLate, 5000);

  const socket = io("/live", { transports: ["websocket", "polling"] });
  socket.on("connect", () => {
    let joined = 0;
    locations.forEach((code) => {
      socket.emit("staff:subscribe", { location: code }, (ack) => {
        if (!ack || !ack.ok) return setState(ack && ack.error ? ack.error.message : "Live updates unavailable", false);
        joined += 1;
        if (joined === locations.length) setState("Live", true);
      });
    });
    reload().catch(() => setState("Could not refresh the list", false));
  });
  socket.on("disconnect", () => setState("Reconnecting…", false));
  socket.on("help:updated", () => reload().catch(() => setState("Could not refresh the list", false)));
})();

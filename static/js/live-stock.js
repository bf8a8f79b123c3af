// Live stock on any page: elements with data-stock and data-location show one level of the
// product in <main data-sku>. Events older than what is shown are ignored; after a reconnect
// the levels are read again (the subscribe acknowledgement carries them).
(function () {
  const root = document.querySelector("[data-sku]");
  if (!root || typeof io === "undefined") return;
  const sku = root.dataset.sku;
  const state = document.querySelector("[data-live-state]");

  function cells(location) {
    return document.querySelectorAll(`[data-stock][data-location="${CSS.escape(location)}"]`);
  }

  function show(level, force) {
    cells(level.location).forEach((el) => {
      const known = parseInt(el.dataset.version || "-1", 10);
      if (!force && level.version <= known) return;
      el.dataset.version = String(level.version);
      const count = el.querySelector("[data-available]");
      if (count) count.textContent = String(level.available);
      const text = el.querySelector("[data-stock-text]");
      if (text) {
        const low = parseInt(el.dataset.low || "3", 10);
        text.textContent = level.available <= 0 ? "sold out here" : level.available <= low ? "left here, hurry" : "left here";
      }
      el.classList.toggle("sold-out", level.available <= 0);
      el.classList.remove("flash-update");
      void el.offsetWidth; // restart the highlight animation
      el.classList.add("flash-update");
    });
  }

  function setState(text, ok) {
    if (!state) return;
    state.textContent = text;
    state.classList.toggle("offline", !ok);
  }

  const socket = io("/live", { transports: ["websocket", "polling"] });
  socket.on("connect", () => {
    socket.emit("subscribe", { sku }, (ack) => {
      if (ack && ack.ok) {
        ack.levels.forEach((level) => show(level, true));
        setState("Live", true);
      } else {
        setState(ack && ack.error ? ack.error.message : "Live updates unavailable", false);
      }
    });
  });
  socket.on("disconnect", () => setState("Reconnecting…", false));
  socket.on("stock:changed", (level) => show(level, false));
})();

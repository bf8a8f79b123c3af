// Live stock on staff pages. Inside [data-staff-live], each <tr data-sku data-location
// data-version data-low> shows one level in its [data-field="on_hand|reserved|available"]
// cells. The page joins the staff room of every location in data-locations (staff:subscribe);
// stock:changed updates rows, stock:low adds an alert to [data-low-alerts]. Events older than a
// row's version are ignored, and after every (re)connect the levels are read again from
// data-levels-url (the stock API), so nothing missed while offline stays wrong.
(function () {
  "use strict";
  document.querySelectorAll("select[data-autosubmit]").forEach((select) => {
    select.addEventListener("change", () => select.form && select.form.submit());
  });

  const root = document.querySelector("[data-staff-live]");
  if (!root || typeof io === "undefined") return;
  const locations = (root.dataset.locations || "").split(/\s+/).filter(Boolean);
  const levelsUrl = root.dataset.levelsUrl;
  const state = document.querySelector("[data-live-state]");
  const alerts = document.querySelector("[data-low-alerts]");
  const staleNote = document.querySelector("[data-stale-note]");
  const MAX_ALERTS = 5;
  const ALERT_MS = 60000;

  function rowsOf(level) {
    const sku = CSS.escape(level.sku);
    const where = CSS.escape(level.location);
    return root.querySelectorAll(`tr[data-sku="${sku}"][data-location="${where}"]`);
  }

  function highlight(el) {
    el.classList.remove("flash-update");
    void el.offsetWidth; // restart the animation
    el.classList.add("flash-update");
  }

  function mark(row, available) {
    const low = row.dataset.low === "" || row.dataset.low === undefined ? null : parseInt(row.dataset.low, 10);
    row.classList.toggle("low", low !== null && available <= low);
    row.classList.toggle("out", available <= 0);
  }

  /** Show a level in its rows if it is newer than what they show. */
  function show(level) {
    rowsOf(level).forEach((row) => {
      const known = parseInt(row.dataset.version || "0", 10);
      if (level.version <= known) return;
      row.dataset.version = String(level.version);
      ["on_hand", "reserved", "available"].forEach((field) => {
        const cell = row.querySelector(`[data-field="${field}"]`);
        if (cell) cell.textContent = String(level[field]);
      });
      mark(row, level.available);
      highlight(row);
      if (staleNote) staleNote.hidden = false;
    });
  }

  function alertLow(level) {
    rowsOf(level).forEach((row) => {
      row.dataset.low = String(level.low_stock_at);
      mark(row, level.available);
    });
    if (!alerts) return;
    const item = document.createElement("li");
    item.className = level.available <= 0 ? "toast out" : "toast";
    item.dataset.sku = level.sku;
    item.dataset.location = level.location;
    const title = document.createElement("strong");
    title.textContent = level.available <= 0 ? "Out of stock" : "Low stock";
    const text = document.createElement("span");
    text.textContent = `${level.name} (${level.sku}) at ${level.location}: ${level.available} available (low at ${level.low_stock_at}).`;
    const dismiss = document.createElement("button");
    dismiss.type = "button";
    dismiss.setAttribute("aria-label", "Dismiss");
    dismiss.textContent = "×";
    dismiss.addEventListener("click", () => item.remove());
    item.append(title, text, dismiss);
    // One alert per product and location: the newest replaces the older one.
    alerts.querySelectorAll("li").forEach((old) => {
      if (old.dataset.sku === level.sku && old.dataset.location === level.location) old.remove();
    });
    alerts.prepend(item);
    while (alerts.children.length > MAX_ALERTS) alerts.lastElementChild.remove();
    setTimeout(() => item.remove(), ALERT_MS);
  }

  function setState(text, ok) {
    if (!state) return;
    state.textContent = text;
    state.classList.toggle("offline", !ok);
  }

  async function refresh() {
    if (!levelsUrl) return;
    try {
      const response = await fetch(levelsUrl, { credentials: "same-origin", headers: { Accept: "application/json" } });
      if (!response.ok) return;
      const body = await response.json();
      (body.items || []).forEach(show);
    } catch (error) {
      // Offline again: the next connect reads the levels once more.
    }
  }

  function subscribe(socket, code) {
    return new Promise((resolve) => {
      socket.emit("staff:subscribe", { location: code }, (ack) => resolve(ack || { ok: false }));
    });
  }

  const socket = io("/live", { transports: ["websocket", "polling"] });
  socket.on("connect", async () => {
    const acks = await Promise.all(locations.map((code) => subscribe(socket, code)));
    const refused = acks.find((ack) => !ack.ok);
    if (refused) {
      setState(refused.error ? refused.error.message : "Live updates unavailable", false);
      return;
    }
    setState("Live", true);
    refresh();
  });
  socket.on("disconnect", () => setState("Reconnecting…", false));
  socket.on("stock:changed", show);
  socket.on("stock:low", alertLow);
})();

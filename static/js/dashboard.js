// The staff home page's "today": joins the staff room of each store it shows (staff:subscribe) and,
// whenever something changes there (a sale moves stock, a help request, a parcel, a rating),
// fetches the figures again (a fragment of our own server's HTML) and redraws the chart.
(function () {
  "use strict";
  const root = document.querySelector("[data-dashboard]");
  if (!root) return;
  const state = document.querySelector("[data-live-state]");
  const stores = (root.dataset.stores || "").split(/\s+/).filter(Boolean);
  let chart = null;
  let pending = null;

  function setState(text, ok) {
    if (!state) return;
    state.textContent = text;
    state.classList.toggle("offline", !ok);
  }

  function draw() {
    const today = root.querySelector("[data-dashboard-today]");
    const canvas = today && today.querySelector("[data-dash-chart]");
    if (!canvas || typeof Chart === "undefined") return;
    const byHour = JSON.parse(today.dataset.byHour);
    const minor = 100; // CNY and most currencies: two decimals
    const labels = byHour.today.map((_, hour) => `${hour}:00`);
    const data = {
      labels,
      datasets: [
        { label: "Today", data: byHour.today.map((v) => v / minor), backgroundColor: "#0b6e4f" },
        { label: "Same day last week", data: byHour.week_ago.map((v) => v / minor), backgroundColor: "#98a2b3" },
      ],
    };
    if (chart) chart.destroy();
    chart = new Chart(canvas, {
      type: "bar",
      data,
      options: { animation: false, responsive: true, scales: { y: { beginAtZero: true } }, plugins: { legend: { position: "bottom" } } },
    });
  }

  async function reload() {
    const response = await fetch(root.dataset.url, { credentials: "same-origin" });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    root.innerHTML = await response.text();
    root.querySelector("[data-dashboard-today]").classList.add("flash-update");
    draw();
  }

  function soon() {
    // Several events arrive for one sale (each line's stock): fetch once they settle.
    clearTimeout(pending);
    pending = setTimeout(() => reload().catch(() => setState("Could not refresh", false)), 300);
  }

  draw();
  if (typeof io === "undefined") return;
  const socket = io("/live", { transports: ["websocket", "polling"] });
  socket.on("connect", () => {
    let joined = 0;
    stores.forEach((code) => {
      socket.emit("staff:subscribe", { location: code }, (ack) => {
        if (!ack || !ack.ok) return setState(ack && ack.error ? ack.error.message : "Live updates unavailable", false);
        joined += 1;
        if (joined === stores.length) setState("Live", true);
      });
    });
    soon(); // whatever happened while offline
  });
  socket.on("disconnect", () => setState("Reconnecting…", false));
  ["stock:changed", "help:updated", "feedback:new", "fulfilment:updated", "return:updated"].forEach((name) =>
    socket.on(name, soon),
  );
})();

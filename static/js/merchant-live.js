// The merchant portal's "today" page: each sale or refund of the merchant's products is added
// to the table as it happens (the server puts this screen in its merchant's room only).
(function () {
  const table = document.querySelector("[data-merchant-live]");
  if (!table || typeof io === "undefined") return;
  const body = table.querySelector("[data-today-lines]");
  const state = document.querySelector("[data-live-state]");
  const none = document.querySelector("[data-none-yet]");
  const sold = document.querySelector("[data-today-sold]");
  const back = document.querySelector("[data-today-back]");
  const currency = table.dataset.currency;
  const zone = table.dataset.zone;

  function money(amount) {
    return new Intl.NumberFormat("en", { style: "currency", currency }).format(amount / 100);
  }

  function clock(iso) {
    return new Date(iso).toLocaleTimeString("en-GB", { timeZone: zone, hour12: false });
  }

  function cell(text) {
    const td = document.createElement("td");
    td.textContent = text;
    return td;
  }

  function add(total, amount) {
    const value = parseInt(total.dataset.amount || "0", 10) + amount;
    total.dataset.amount = String(value);
    total.textContent = money(value);
  }

  function show(event, kind) {
    event.lines.forEach((line) => {
      const row = document.createElement("tr");
      row.className = kind;
      row.dataset.order = event.order;
      [clock(event.at), event.order, line.sku, line.kind, String(line.quantity), money(line.gross)].forEach((t) =>
        row.appendChild(cell(t)),
      );
      body.insertBefore(row, body.firstChild);
      if (kind === "sale") add(sold, line.gross);
      else add(back, -line.gross);
    });
    if (none) none.hidden = true;
  }

  function setState(text, ok) {
    if (!state) return;
    state.textContent = text;
    state.classList.toggle("offline", !ok);
  }

  const socket = io("/merchant", { transports: ["websocket", "polling"] });
  socket.on("connect", () => {
    socket.emit("merchant:subscribe", {}, (ack) => {
      setState(ack && ack.ok ? "Live" : "Live updates unavailable", Boolean(ack && ack.ok));
    });
  });
  socket.on("disconnect", () => setState("Reconnecting…", false));
  socket.on("connect_error", () => setState("Reconnecting…", false));
  socket.on("merchant:sale", (event) => show(event, "sale"));
  socket.on("merchant:refund", (event) => show(event, "refund"));
})();

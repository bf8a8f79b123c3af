// The staff's feedback page: joins the staff room of each store it shows (staff:subscribe) and
// puts every new rating (feedback:new) at the top of the latest ones, a low rating marked and
// announced, without a reload.
(function () {
  "use strict";
  const table = document.querySelector("[data-feedback-latest]");
  if (!table || typeof io === "undefined") return;
  const body = table.querySelector("tbody");
  const state = document.querySelector("[data-live-state]");
  const locations = (table.dataset.locations || "").split(/\s+/).filter(Boolean);
  const names = JSON.parse(table.dataset.names || "{}");

  function setState(text, ok) {
    state.textContent = text;
    state.classList.toggle("offline", !ok);
  }

  function cell(text, className) {
    const td = document.createElement("td");
    td.textContent = text;
    if (className) td.className = className;
    return td;
  }

  function add(item) {
    if (body.querySelector(`[data-feedback-row="${item.id}"]`)) return;
    const none = body.querySelector("[data-feedback-none]");
    if (none) none.remove();
    const row = document.createElement("tr");
    row.dataset.feedbackRow = item.id;
    row.classList.add("flash-update");
    if (item.low) row.classList.add("feedback-low");
    const when = new Date(item.created_at).toLocaleString([], { dateStyle: "short", timeStyle: "short" });
    [when, names[item.location] || "", item.title, item.channel, item.clerk].forEach((text) => row.append(cell(text)));
    row.append(cell(`${item.rating}/5`, "num"), cell(item.comment));
    body.prepend(row);
    if (item.low) setState(`New low rating: ${item.rating}/5 for ${item.title}`, true);
  }

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
  });
  socket.on("disconnect", () => setState("Reconnecting…", false));
  socket.on("feedback:new", add);
})();

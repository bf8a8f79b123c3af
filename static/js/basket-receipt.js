// The receipt follows its order: order:updated (in the order's cart room) says when a clerk
// confirmed the money at the counter, a card's answer came, or a refund was made, and the
// page is shown again with the exit pass. Using the pass at the exit sends no event, so while
// an unused pass is on screen the page asks now and then whether it was used.
(function () {
  "use strict";
  const box = document.querySelector("[data-receipt]");
  if (!box) return;
  const number = box.dataset.number;
  const status = box.dataset.status;
  const passUsed = box.dataset.passUsed === "1";
  const hasPass = Boolean(box.querySelector("[data-exit-pass]"));
  const liveState = document.querySelector("[data-live-state]");
  const CHECK_MS = 10000;
  let reloading = false;

  function again() {
    if (reloading) return;
    reloading = true;
    window.location.reload();
  }

  async function check() {
    try {
      const response = await fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (!response.ok) return;
      const now = await response.json();
      if (now.status !== status || now.exit_pass_used !== passUsed) again();
    } catch (err) {
      // offline: the pass on screen still works; ask again later
    }
  }

  // A parcel's step changes in place (its status is a live region, so it is announced); the
  // rest of the receipt, and the collection QR the shopper may be showing, stay as they are.
  function showParcel(parcel) {
    const item = box.querySelector(`[data-parcel="${parcel.id}"]`);
    if (!item) {
      again();
      return;
    }
    item.dataset.parcelState = parcel.status;
    item.querySelector("[data-parcel-status]").textContent = parcel.status_text;
    const qr = item.querySelector("[data-parcel-qr]");
    if (qr && parcel.status === "ready") qr.open = true;
    if (qr && ["collected", "expired", "cancelled"].includes(parcel.status)) qr.hidden = true;
  }

  if (typeof io !== "undefined") {
    const socket = io("/live", { transports: ["websocket", "polling"] });
    socket.on("connect", () => {
      socket.emit("cart:subscribe", { cart: box.dataset.cart }, (ack) => {
        if (ack && ack.ok) check(); // anything that happened before we were listening
      });
      liveState.hidden = true;
    });
    socket.on("disconnect", () => {
      liveState.hidden = false;
      liveState.textContent = "Reconnecting…";
      liveState.classList.add("offline");
    });
    socket.on("order:updated", (data) => {
      if (!data || data.order !== number) return;
      if (data.status !== status) {
        again();
        return;
      }
      if (data.parcel) showParcel(data.parcel);
    });
  }

  if (hasPass && !passUsed) {
    setInterval(() => {
      if (document.visibilityState === "visible") check();
    }, CHECK_MS);
  }
})();

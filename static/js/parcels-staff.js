// A location's parcels, live. One scan field serves the whole desk: by default a scan hands
// over what is ready for an order's QR or a member code; after "Pick items" on a parcel, each
// scan picks one unit of it (a product the parcel does not need is refused on the spot). The
// list is read from the JSON API and read again whenever the location's staff room hears that
// a parcel changed (fulfilment:updated), and after every reconnect.
(function () {
  "use strict";
  const choice = document.querySelector("[data-location-choice]");
  if (choice) choice.addEventListener("change", () => choice.form.submit());
  const root = document.querySelector("[data-parcels-desk]");
  if (!root || !root.dataset.location) return;
  const here = root.dataset.location;
  const csrf = root.dataset.csrf;
  const groups = root.querySelector("[data-parcel-groups]");
  const form = root.querySelector("[data-scan-form]");
  const input = root.querySelector("[data-scan-input]");
  const label = root.querySelector("[data-scan-label]");
  const forText = root.querySelector("[data-scan-for]");
  const backButton = root.querySelector("[data-scan-collect]");
  const answerBox = root.querySelector("[data-scan-answer]");
  const liveState = document.querySelector("[data-live-state]");
  let parcels = [];
  let target = null; // the parcel being picked, or null: collection

  const STEP_NAMES = {
    pick: "Pick items",
    pack: "Packed",
    ship: "Hand to courier",
    ready: "Ready for collection",
    delivered: "Delivered",
  };

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function key() {
    return `${Date.now().toString(36)}-${Math.random().toString(36).slice(2)}`;
  }

  async function call(method, url, body) {
    try {
      const response = await fetch(url, {
        method,
        credentials: "same-origin",
        headers: { Accept: "application/json", "Content-Type": "application/json", "X-CSRFToken": csrf, "Idempotency-Key": key() },
        body: body === undefined ? undefined : JSON.stringify(body),
      });
      const data = await response.json().catch(() => ({}));
      return response.ok ? { ok: true, body: data } : { ok: false, error: data.error || { message: `HTTP ${response.status}` } };
    } catch (err) {
      return { ok: false, error: { message: "No connection: try again." } };
    }
  }

  function say(text, ok) {
    answerBox.replaceChildren(el("p", ok ? "flash info" : "flash error", text));
  }

  function where(p) {
    if (p.mode === "deliver") return `Deliver to ${p.address_text}`;
    if (p.collect_at.code === p.from.code) return "Collect here";
    return p.from.code === here ? `Send to ${p.collect_at.name} for collection` : `Coming from ${p.from.name}`;
  }

  function card(p) {
    const item = el("li", "card parcel-card");
    item.dataset.parcel = String(p.id);
    item.dataset.parcelState = p.status;
    if (target === p.id) item.classList.add("picking-now");
    const head = el("p", "parcel-head");
    head.append(el("strong", "", `Order ${p.order}`), ` · ${p.member_name || "guest"} · ${where(p)}`);
    item.append(head, el("p", "muted", p.status_text));
    const list = el("ul", "parcel-lines");
    p.lines.forEach((line) => {
      const row = el("li", line.picked >= line.qty ? "picked" : "", `${line.picked}/${line.qty} × ${line.name} `);
      row.append(el("code", "", line.sku));
      list.append(row);
    });
    item.append(list);
    const actions = el("div", "row");
    p.next.forEach((step) => {
      if (!STEP_NAMES[step]) return;
      const button = el("button", step === "pick" ? "button" : "button primary", STEP_NAMES[step]);
      button.type = "button";
      button.dataset.step = step;
      actions.append(button);
    });
    if (p.status === "ready") actions.append(el("span", "muted", "Hand over by scanning the order's QR or the member code."));
    item.append(actions);
    return item;
  }

  function section(title, rows) {
    const box = el("section", "parcel-group");
    box.append(el("h2", "", `${title} (${rows.length})`));
    if (!rows.length) box.append(el("p", "muted", "None."));
    else {
      const list = el("ul", "parcel-cards");
      rows.forEach((p) => list.append(card(p)));
      box.append(list);
    }
    return box;
  }

  function render() {
    const sends = parcels.filter((p) => p.from && p.from.code === here);
    const comes = parcels.filter((p) => p.collect_at && p.collect_at.code === here);
    groups.replaceChildren(
      section("To pick", sends.filter((p) => ["open", "picking"].includes(p.status))),
      section("To send or mark ready", sends.filter((p) => p.status === "packed")),
      section("On the way here", comes.filter((p) => p.status === "shipped")),
      section("Waiting for collection", comes.filter((p) => p.status === "ready"))
    );
    if (target !== null && !parcels.some((p) => p.id === target && ["open", "picking"].includes(p.status))) aim(null);
  }

  async function load() {
    const url = `${root.dataset.listUrl}?location=${encodeURIComponent(here)}&limit=200`;
    const answer = await call("GET", url);
    if (!answer.ok) {
      say(answer.error.message, false);
      return;
    }
    parcels = answer.body.items;
    render();
  }

  function aim(parcelId) {
    target = parcelId;
    const p = parcels.find((x) => x.id === parcelId);
    backButton.hidden = target === null;
    if (target === null) {
      label.textContent = "Scan an order's QR or a member code to hand over what is ready";
      forText.firstChild.textContent = "For: collection at the counter. ";
    } else {
      label.textContent = `Scan each item of order ${p.order}`;
      forText.firstChild.textContent = `For: picking order ${p.order}. `;
    }
    groups.querySelectorAll("[data-parcel]").forEach((node) => {
      node.classList.toggle("picking-now", Number(node.dataset.parcel) === target);
    });
    input.focus();
  }

  backButton.addEventListener("click", () => aim(null));

  groups.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-step]");
    if (!button) return;
    const id = Number(button.closest("[data-parcel]").dataset.parcel);
    if (button.dataset.step === "pick") {
      aim(id);
      return;
    }
    button.disabled = true;
    const answer = await call("POST", `${root.dataset.api}/${id}/${button.dataset.step}`, {});
    if (answer.ok) say(`Order ${answer.body.order}: ${answer.body.status_text}.`, true);
    else say(answer.error.message, false);
    await load();
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const code = input.value.trim();
    if (!code) return;
    input.value = "";
    if (target !== null) {
      const answer = await call("POST", `${root.dataset.api}/${target}/pick`, { code });
      if (answer.ok) {
        const left = answer.body.lines.reduce((n, line) => n + line.qty - line.picked, 0);
        say(left ? `Picked. ${left} more to pick for order ${answer.body.order}.` : `All picked for order ${answer.body.order}: pack it.`, true);
      } else say(answer.error.message, false);
    } else {
      const answer = await call("POST", root.dataset.collectUrl, { code, location: here });
      if (answer.ok) {
        const what = answer.body.items.flatMap((p) => p.lines.map((line) => `${line.qty} × ${line.name}`));
        say(`Hand over order ${answer.body.items[0].order}: ${what.join(", ")}.`, true);
      } else say(answer.error.message, false);
    }
    await load();
    input.focus();
  });
  // A camera scan fills the field: act on it at once, as a hand scanner's Enter would.
  input.addEventListener("input", (event) => {
    if (!event.isTrusted && input.value.trim()) form.requestSubmit();
  });

  if (typeof io !== "undefined") {
    const socket = io("/live", { transports: ["websocket", "polling"] });
    socket.on("connect", () => {
      socket.emit("staff:subscribe", { location: here }, (ack) => {
        liveState.textContent = ack && ack.ok ? "Live" : "Live updates unavailable";
        liveState.classList.toggle("offline", !(ack && ack.ok));
      });
      load();
    });
    socket.on("disconnect", () => {
      liveState.textContent = "Reconnecting…";
      liveState.classList.add("offline");
    });
    socket.on("fulfilment:updated", () => load());
  } else load();
})();

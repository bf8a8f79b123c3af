// The basket page: this phone's cart, live in its cart:<id> room (an older cart:updated than
// the one shown is ignored), quantities and removal through the cart API, and checkout. A
// basket filled as a guest joins the member's once they sign in. Paying sends one
// Idempotency-Key per attempt: a retry after a lost answer reuses it, a new attempt gets a
// new one.
(function () {
  "use strict";
  const page = document.querySelector("[data-basket-page]");
  if (!page || !window.OneshelfBasket) return;
  const B = window.OneshelfBasket;
  const state = JSON.parse(document.getElementById("basket-state").textContent);
  const csrf = page.dataset.csrf;
  const $ = (selector) => page.querySelector(selector);
  const list = $("[data-basket-lines]");
  const empty = $("[data-basket-empty]");
  const count = $("[data-basket-count]");
  const totalBox = $("[data-basket-total]");
  const totalText = $("[data-total-text]");
  const adopted = $("[data-adopted]");
  const checkout = $("[data-checkout]");
  const pointsInput = $("[data-points]");
  const pointsDiscount = $("[data-points-discount]");
  const toPay = $("[data-to-pay]");
  const payHint = $("[data-pay-hint]");
  const payButton = $("[data-pay]");
  const errorBox = $("[data-checkout-error]");
  const errorText = $("[data-error-text]");
  const priceChanges = $("[data-price-changes]");
  const liveState = document.querySelector("[data-live-state]");

  let cart = null;
  let socket = null;
  let attempt = null; // {key, body, cart}: the payment being tried
  let paying = false;
  const notes = {}; // line id -> what went wrong with it
  const modes = {}; // line id -> "carry_out" | "collect" | "deliver"
  const modeList = $("[data-line-modes]");
  const collectBox = $("[data-collect-box]");
  const collectStore = $("[data-collect-store]");
  const deliverBox = $("[data-deliver-box]");
  const savedAddress = document.querySelector("[data-saved-address]");
  const newAddress = $("[data-new-address]");
  const keepAddress = document.querySelector("[data-keep-address]");
  const located = $("[data-located]");
  let coords = null; // {latitude, longitude} from "Use my location"

  // ---- showing the cart ------------------------------------------------------------------

  function place(code) {
    return state.places[code] || { name: code, timezone: null };
  }

  function lineView(line) {
    const li = B.el("li", "basket-line");
    li.dataset.line = String(line.id);
    li.dataset.qty = String(line.qty);
    li.dataset.sku = line.sku;
    const img = B.el("img", "basket-thumb");
    img.alt = "";
    if (line.image) img.src = line.image;
    else img.hidden = true;
    const what = B.el("div", "basket-what");
    what.append(B.el("strong", "basket-name", line.name), B.el("span", "muted", `${line.price} · ${place(line.location).name}`));
    let held;
    if (line.held) held = B.el("span", "held", `Held for you until ${B.clock(line.held_until, place(line.location).timezone)}`);
    else if (line.online) held = B.el("span", "held online", "Not on this store's shelf: collect it or have it delivered");
    else held = B.el("span", "held expired", "Not held any more: paying holds it again if it is still there");
    what.append(held);
    if (notes[line.id]) what.append(B.el("span", "line-note", notes[line.id]));
    const steps = B.el("div", "qty-stepper small");
    const less = B.el("button", "button", "−");
    less.type = "button";
    less.dataset.less = "";
    less.disabled = line.qty <= 1;
    less.setAttribute("aria-label", `One less ${line.name}`);
    const shown = B.el("output", "qty", String(line.qty));
    shown.setAttribute("aria-label", `Quantity of ${line.name}`);
    const more = B.el("button", "button", "+");
    more.type = "button";
    more.dataset.more = "";
    more.setAttribute("aria-label", `One more ${line.name}`);
    steps.append(less, shown, more);
    const remove = B.el("button", "link remove", "Remove");
    remove.type = "button";
    remove.dataset.remove = "";
    remove.setAttribute("aria-label", `Remove ${line.name}`);
    const money = B.el("strong", "basket-line-total", B.money(line.line_total, state.currency));
    li.append(img, what, money, steps, remove);
    return li;
  }

  function lines() {
    return cart && cart.status === "open" ? cart.lines : [];
  }

  // ---- how each line is got: carried out now, collected at a store, delivered ----------------

  const MODE_NAMES = { carry_out: "Take it now", collect: "Collect at a store", deliver: "Deliver" };

  function modeOf(line) {
    if (!modes[line.id]) modes[line.id] = line.held || !line.online ? "carry_out" : "deliver";
    return modes[line.id];
  }

  function modeView(line) {
    const li = B.el("li", "line-mode");
    const label = B.el("label", "field");
    label.append(B.el("span", "", `${line.qty} × ${line.name}`));
    const select = B.el("select");
    select.dataset.lineMode = String(line.id);
    select.setAttribute("aria-label", `How you get ${line.name}`);
    Object.entries(MODE_NAMES).forEach(([value, text]) => {
      const option = B.el("option", "", text);
      option.value = value;
      select.append(option);
    });
    select.value = modeOf(line);
    label.append(select);
    li.append(label);
    return li;
  }

  function renderModes() {
    const shown = lines();
    modeList.replaceChildren(...shown.map(modeView));
    const chosen = shown.map(modeOf);
    collectBox.hidden = !chosen.includes("collect");
    deliverBox.hidden = !chosen.includes("deliver");
    newAddress.hidden = Boolean(savedAddress && savedAddress.value);
    if (shown.length && !collectStore.dataset.touched) {
      const here = shown[0].location;
      if ([...collectStore.options].some((o) => o.value === here)) collectStore.value = here;
    }
  }

  modeList.addEventListener("change", (event) => {
    const select = event.target.closest("[data-line-mode]");
    if (!select) return;
    modes[select.dataset.lineMode] = select.value;
    clearError();
    renderModes();
  });
  collectStore.addEventListener("change", () => {
    collectStore.dataset.touched = "1";
  });
  if (savedAddress) savedAddress.addEventListener("change", renderModes);

  $("[data-locate]").addEventListener("click", () => {
    if (!navigator.geolocation) {
      located.textContent = "This browser cannot tell where you are.";
      return;
    }
    located.textContent = "Finding you…";
    navigator.geolocation.getCurrentPosition(
      (position) => {
        coords = { latitude: position.coords.latitude, longitude: position.coords.longitude };
        located.textContent = "Located: we send from the nearest place that has it.";
      },
      () => {
        located.textContent = "Not located; we plan by the address.";
      },
      { timeout: 10000 }
    );
  });

  async function loadAddresses() {
    if (!savedAddress) return;
    const answer = await B.call("GET", state.urls.addresses);
    if (!answer.ok) return;
    answer.body.items.forEach((a) => {
      const option = B.el("option", "", [a.recipient, a.line1, a.city].filter(Boolean).join(", "));
      option.value = String(a.id);
      savedAddress.insertBefore(option, savedAddress.firstChild);
    });
    if (answer.body.items.length) savedAddress.selectedIndex = 0;
    renderModes();
  }

  function typedAddress() {
    const address = {};
    newAddress.querySelectorAll("[data-address]").forEach((input) => {
      if (input.value.trim()) address[input.dataset.address] = input.value.trim();
    });
    if (coords) Object.assign(address, coords);
    return address;
  }

  // What the checkout sends: every line not carried out, with where it goes.
  async function fulfilment() {
    const wanted = lines().filter((line) => modeOf(line) !== "carry_out");
    if (!wanted.length) return [];
    let address = null;
    if (wanted.some((line) => modeOf(line) === "deliver")) {
      if (savedAddress && savedAddress.value) address = { id: parseInt(savedAddress.value, 10) };
      else {
        address = typedAddress();
        const missing = ["recipient", "line1", "city"].filter((name) => !address[name]);
        if (missing.length) throw { code: "address_required", message: "Fill in the recipient, the street and the city to deliver to." };
        if (keepAddress && keepAddress.checked) {
          const kept = await B.call("POST", state.urls.addresses, { csrf, body: address, headers: { "Idempotency-Key": B.newKey() } });
          if (!kept.ok) throw kept.error;
          address = { id: kept.body.id };
          const option = B.el("option", "", [kept.body.recipient, kept.body.line1, kept.body.city].join(", "));
          option.value = String(kept.body.id);
          savedAddress.insertBefore(option, savedAddress.firstChild);
          savedAddress.value = option.value;
          renderModes();
        }
      }
    }
    return wanted.map((line) => {
      const mode = modeOf(line);
      if (mode === "collect") return { line: line.id, mode, location: collectStore.value };
      return { line: line.id, mode, address };
    });
  }

  function render() {
    const shown = lines();
    list.replaceChildren(...shown.map(lineView));
    renderModes();
    const filled = shown.length > 0;
    empty.hidden = filled;
    totalBox.hidden = !filled;
    checkout.hidden = !filled;
    count.textContent = filled ? `${cart.items} item${cart.items === 1 ? "" : "s"}` : "";
    if (filled) totalText.textContent = cart.total_text;
    summarise();
  }

  function show(next) {
    if (!next) return;
    if (cart && next.id === cart.id && next.version < cart.version) return; // older than what is shown
    const switched = !cart || cart.id !== next.id;
    cart = next;
    render();
    if (switched) follow();
  }

  async function reload() {
    if (!cart) return;
    const answer = await B.call("GET", `${state.urls.carts}/${encodeURIComponent(cart.id)}`);
    if (answer.ok) show(answer.body);
  }

  // ---- changing lines -----------------------------------------------------------------------

  list.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-less], [data-more], [data-remove]");
    if (!button || !cart) return;
    const li = button.closest("[data-line]");
    const id = li.dataset.line;
    const qty = parseInt(li.dataset.qty, 10);
    const path = `${state.urls.carts}/${encodeURIComponent(cart.id)}/lines/${id}`;
    button.disabled = true;
    let answer;
    if (button.matches("[data-remove]")) answer = await B.call("DELETE", path, { csrf });
    else answer = await B.call("PATCH", path, { csrf, body: { qty: qty + (button.matches("[data-more]") ? 1 : -1) } });
    if (answer.ok) {
      delete notes[id];
      show(answer.body);
    } else {
      notes[id] = B.stockMessage(answer.error);
      render();
      if (answer.error.code === "cart_closed") reload();
    }
  });

  // ---- paying ----------------------------------------------------------------------------

  function method() {
    const chosen = checkout.querySelector('input[name="method"]:checked');
    return chosen ? chosen.value : null;
  }

  function points() {
    if (!pointsInput || !cart) return 0;
    const most = Math.min(state.points, Math.floor(cart.total / state.pointValue));
    pointsInput.max = String(most);
    const n = parseInt(pointsInput.value, 10);
    return Number.isFinite(n) ? Math.min(most, Math.max(0, n)) : 0;
  }

  function summarise() {
    if (!cart) return;
    const spend = points();
    const discount = spend * state.pointValue;
    const due = cart.total - discount;
    const dueText = B.money(due, state.currency);
    toPay.textContent = dueText;
    if (pointsDiscount) pointsDiscount.textContent = spend > 0 ? `${spend} points take ${B.money(discount, state.currency)} off.` : "";
    const how = method();
    payButton.textContent = how === "counter" ? `Pay ${dueText} at the counter` : `Pay ${dueText}`;
    const short = how === "wallet" && state.wallet < due;
    payHint.hidden = !short;
    if (short) {
      payHint.replaceChildren(`Your wallet has ${B.money(state.wallet, state.currency)}. `);
      const link = B.el("a", "", "Top up");
      link.href = state.urls.wallet;
      payHint.append(link, " or choose another way to pay.");
    }
  }

  function clearError() {
    errorBox.hidden = true;
    errorText.replaceChildren();
    priceChanges.replaceChildren();
  }

  function showError(error) {
    errorBox.hidden = false;
    payHint.hidden = true; // the error says it
    const names = Object.fromEntries(lines().map((x) => [x.sku, x.name]));
    const sku = error.details && error.details.sku;
    errorText.replaceChildren(B.stockMessage(error, sku ? names[sku] : ""));
    if (error.code === "sign_in_to_use_wallet" || error.code === "sign_in_to_use_points" || error.code === "not_signed_in") {
      const link = B.el("a", "", "Sign in");
      link.href = state.urls.signIn;
      errorText.append(" ", link);
    }
    const changes = (error.details && error.details.changes) || [];
    priceChanges.replaceChildren(
      ...changes.map((c) => B.el("li", "", `${c.name}: was ${B.money(c.was, state.currency)}, now ${B.money(c.now, state.currency)}`))
    );
    errorBox.scrollIntoView({ block: "center", behavior: "smooth" });
  }

  checkout.addEventListener("change", (event) => {
    if (event.target.name === "method") clearError();
    summarise();
  });
  if (pointsInput) pointsInput.addEventListener("input", summarise);

  checkout.addEventListener("submit", async (event) => {
    event.preventDefault();
    if (!cart || paying) return;
    clearError();
    const how = method();
    if (!how) {
      showError({ code: "choose", message: "Choose how to pay." });
      return;
    }
    // A card is typed on the card provider's page, never here: the answer says where that is.
    const body = { payment: { method: how } };
    try {
      const sending = await fulfilment();
      if (sending.length) body.fulfilment = sending;
    } catch (error) {
      showError(error);
      return;
    }
    const spend = points();
    if (spend > 0) body.points = spend;
    const text = JSON.stringify(body);
    if (!attempt || attempt.body !== text || attempt.cart !== cart.id) attempt = { key: B.newKey(), body: text, cart: cart.id };
    paying = true;
    payButton.disabled = true;
    payButton.textContent = "Paying…";
    const answer = await B.call("POST", `${state.urls.carts}/${encodeURIComponent(cart.id)}/checkout`, {
      csrf,
      body,
      headers: { "Idempotency-Key": attempt.key },
    });
    if (answer.ok) {
      const next = answer.body.next_action;
      window.location.assign(next && next.redirect_url ? next.redirect_url : state.urls.receipt.replace("NUMBER", encodeURIComponent(answer.body.number)));
      return;
    }
    // No answer, or the server failed: the same attempt may be retried with its key. Any
    // other answer was final for this attempt (a declined card stays declined for its key).
    if (answer.status !== 0 && answer.status < 500) attempt = null;
    paying = false;
    payButton.disabled = false;
    summarise();
    showError(answer.error);
    if (answer.status === 409) reload(); // new prices, what is left, or a closed basket
  });

  // ---- a basket filled before signing in ----------------------------------------------

  async function adopt() {
    const answer = await B.call("POST", state.urls.adopt, { csrf });
    if (!answer.ok) {
      adopted.hidden = false;
      adopted.className = "flash error basket-adopted";
      adopted.textContent = `We could not add the basket you filled before signing in: ${answer.error.message}`;
      return;
    }
    const { moved, left_out: leftOut } = answer.body;
    if (answer.body.cart) show(answer.body.cart);
    adopted.hidden = moved.length === 0 && leftOut.length === 0;
    adopted.replaceChildren();
    if (moved.length) {
      adopted.append(B.el("p", "", `What you put in your basket before signing in is in it now: ${moved.join(", ")}.`));
    }
    leftOut.forEach((x) => adopted.append(B.el("p", "", `${x.name} could not be kept: ${x.message}`)));
  }

  // ---- live --------------------------------------------------------------------------------

  function setLive(text, ok) {
    liveState.textContent = text;
    liveState.classList.toggle("offline", !ok);
  }

  function follow() {
    if (!socket || !socket.connected || !cart) return;
    socket.emit("cart:subscribe", { cart: cart.id }, (ack) => {
      if (ack && ack.ok) show(ack.cart);
    });
  }

  if (typeof io !== "undefined") {
    socket = io("/live", { transports: ["websocket", "polling"] });
    socket.on("connect", () => {
      setLive("Live", true);
      follow();
    });
    socket.on("disconnect", () => setLive("Reconnecting…", false));
    socket.on("cart:updated", (next) => {
      if (cart && next.id === cart.id) show(next);
    });
    socket.on("cart:merged", (data) => {
      if (cart && data.cart === cart.id && !state.adopt) window.location.reload(); // it joined another basket
    });
  } else {
    setLive("Live updates unavailable", false);
  }

  // ---- start ---------------------------------------------------------------------------

  const initial = checkout.querySelector(
    state.member && state.cart && state.wallet >= state.cart.total ? 'input[value="wallet"]' : 'input[value="card"]'
  );
  initial.checked = true;
  if (state.cart) show(state.cart);
  else render();
  if (state.adopt) adopt();
  loadAddresses();
})();

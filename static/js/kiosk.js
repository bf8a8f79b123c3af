// The kiosk screen. While nobody is identified it shows a pairing QR, renewed before it expires.
// The kiosk program's scans arrive over Socket.IO in the kiosk session's room: kiosk:product
// shows the product with live stock here and nearby (joining the product's stock room),
// kiosk:unknown and kiosk:notice say what went wrong, kiosk:identified greets the member.
// "Call staff" raises a help request; help:updated says when a clerk is on the way. After
// data-idle-seconds with nothing happening the screen goes back to its welcome (and a member's
// or a shopper's session ends, so the next person starts fresh).
(function () {
  "use strict";
  const body = document.querySelector("[data-kiosk]");
  if (!body) return;
  const $ = (selector) => body.querySelector(selector);
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const here = body.dataset.location;
  const qr = $("[data-pairing-qr]");
  const pairPanel = $("[data-pair-panel]");
  const memberPanel = $("[data-member-panel]");
  const greeting = $("[data-greeting]");
  const welcomeBox = $("[data-welcome]");
  const productBox = $("[data-product]");
  const notice = $("[data-notice]");
  const basketPanel = $("[data-basket-panel]");
  const basket = $("[data-basket]");
  const basketCount = $("[data-basket-count]");
  const basketEmpty = $("[data-basket-empty]");
  const basketTotal = $("[data-basket-total]");
  const basketHint = $("[data-basket-hint]");
  const totalText = $("[data-basket-total-text]");
  const endButton = $("[data-end]");
  const callButton = $("[data-call-staff]");
  const cancelHelp = $("[data-cancel-help]");
  const helpState = $("[data-help-state]");
  const countdown = $("[data-pairing-countdown]");
  const liveState = $("[data-live-state]");
  const RETRY_MS = 5000;
  const IDLE_MS = (parseInt(body.dataset.idleSeconds, 10) || 90) * 1000;

  let sessionId = parseInt(body.dataset.sessionId, 10);
  let renewTimer = null;
  let tickTimer = null;
  let idleTimer = null;
  let socket = null;
  let shownSku = null;
  let identified = body.classList.contains("identified");
  let cartId = basketPanel.dataset.cartId || null;

  function setLive(text, ok) {
    liveState.textContent = text;
    liveState.classList.toggle("offline", !ok);
  }

  // ---- who is here ------------------------------------------------------------------

  function greet(firstName) {
    stopRenewing();
    identified = true;
    greeting.textContent = `Hello, ${firstName}`;
    body.classList.add("identified");
    pairPanel.hidden = true;
    memberPanel.hidden = false;
    showWelcomeUnlessProduct();
    touch();
  }

  function anonymous() {
    identified = false;
    greeting.textContent = "Welcome";
    body.classList.remove("identified");
    pairPanel.hidden = false;
    memberPanel.hidden = true;
  }

  function stopRenewing() {
    clearTimeout(renewTimer);
    clearInterval(tickTimer);
  }

  function showPairing(pairing) {
    qr.innerHTML = pairing.svg; // our own server's SVG of our own URL
    qr.dataset.pairingUrl = pairing.url;
    qr.dataset.renewIn = String(pairing.renew_in);
    qr.classList.remove("stale");
    scheduleRenewal(pairing.renew_in);
  }

  function scheduleRenewal(seconds) {
    stopRenewing();
    const due = Date.now() + seconds * 1000;
    countdown.max = seconds;
    countdown.value = seconds;
    tickTimer = setInterval(() => {
      countdown.value = Math.max(0, (due - Date.now()) / 1000);
    }, 250);
    renewTimer = setTimeout(refresh, seconds * 1000);
  }

  function apply(state) {
    const changed = state.session.id !== sessionId;
    sessionId = state.session.id;
    body.dataset.sessionId = String(sessionId);
    if (state.session.member) {
      greet(state.session.member.first_name);
    } else {
      anonymous();
      if (state.pairing) showPairing(state.pairing);
    }
    if (changed || (state.cart && state.cart.id !== cartId)) {
      clearProduct();
      showCart(state.cart, true);
      showHelp(null);
    }
    if (changed) subscribe();
  }

  async function post(url, payload) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, Accept: "application/json", "Content-Type": "application/json" },
      body: JSON.stringify(payload || {}),
    });
    if (response.status === 401) {
      window.location.reload(); // the kiosk was revoked: show why
      throw new Error("signed out");
    }
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
  }

  async function refresh() {
    try {
      apply(await post(body.dataset.pairingEndpoint));
    } catch (error) {
      qr.classList.add("stale");
      renewTimer = setTimeout(refresh, RETRY_MS);
    }
  }

  // ---- what was scanned -------------------------------------------------------------

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function stockText(available) {
    return available <= 0 ? "sold out here" : available <= 3 ? "left here, hurry" : "left here";
  }

  function levelRow(level) {
    const li = el("li");
    li.dataset.stock = "";
    li.dataset.location = level.location;
    li.dataset.version = String(level.version);
    li.append(el("span", "where", level.name + (level.kind === "warehouse" ? " (delivery)" : "")));
    const count = el("span", "how-many");
    const number = el("span", "", String(level.available));
    number.dataset.available = "";
    count.append(number, " left");
    li.append(count);
    if (level.km !== null && level.km !== undefined) li.append(el("small", "km", `${level.km.toFixed(1)} km`));
    li.classList.toggle("sold-out", level.available <= 0);
    return li;
  }

  function showProduct(product, added) {
    shownSku = product.sku;
    notice.hidden = true;
    welcomeBox.hidden = true;
    productBox.hidden = false;
    productBox.dataset.sku = product.sku;
    const image = $("[data-product-image]");
    image.hidden = !product.image;
    if (product.image) image.src = product.image;
    image.alt = product.name;
    $("[data-product-category]").textContent = product.category || "";
    $("[data-product-name]").textContent = product.name;
    $("[data-product-price]").textContent = product.price;
    const hereBox = $("[data-stock-here]");
    hereBox.dataset.stock = "";
    hereBox.dataset.location = product.here.location;
    hereBox.dataset.version = String(product.here.version);
    showLevel(hereBox, product.here.available);
    const nearby = $("[data-nearby]");
    nearby.replaceChildren(...product.nearby.map(levelRow));
    const together = $("[data-together]");
    together.replaceChildren(
      ...product.together.map((item) => {
        const li = el("li");
        li.append(el("span", "", item.name), " ", el("strong", "", item.price));
        return li;
      })
    );
    $("[data-together-box]").hidden = product.together.length === 0;
    $("[data-together-title]").textContent = product.together_title;
    productBox.classList.remove("flash-update");
    void productBox.offsetWidth;
    productBox.classList.add("flash-update");
    const notAdded = $("[data-not-added]");
    notAdded.hidden = !added || added.added;
    notAdded.textContent = added && !added.added ? `Not added to your basket: ${added.message}` : "";
    if (added && added.cart) {
      if (added.cart !== cartId) {
        cartId = added.cart;
        basketPanel.dataset.cartVersion = "-1";
      }
      // Read the basket again with the room joined: a cart:updated sent while joining is not lost.
      followCart();
    }
    followStock(product.sku);
    touch();
  }

  function showLevel(box, available) {
    box.querySelector("[data-available]").textContent = String(available);
    const text = box.querySelector("[data-stock-text]");
    if (text) text.textContent = stockText(available);
    box.classList.toggle("sold-out", available <= 0);
  }

  function clearProduct() {
    shownSku = null;
    productBox.hidden = true;
    notice.hidden = true;
    welcomeBox.hidden = false;
  }

  function showWelcomeUnlessProduct() {
    if (!shownSku) welcomeBox.hidden = false;
  }

  function showNotice(message) {
    notice.textContent = message;
    notice.hidden = false;
    productBox.hidden = true;
    welcomeBox.hidden = true;
    shownSku = null;
    touch();
  }

  // ---- the basket (the shopper's cart, live in its cart:<id> room) ---------------------

  function basketLine(line) {
    const li = el("li");
    li.dataset.line = String(line.id);
    li.dataset.qty = String(line.qty);
    li.append(el("span", "", `${line.qty} × ${line.name}`), " ", el("strong", "", line.price));
    const less = el("button", "link kiosk-less", "−");
    less.type = "button";
    less.dataset.less = "";
    less.setAttribute("aria-label", `One less ${line.name}`);
    li.append(less);
    return li;
  }

  function showCart(cart, force) {
    if (!cart) {
      cartId = null;
      basketPanel.dataset.cartVersion = "-1";
      basket.replaceChildren();
    } else {
      if (!force && cart.id === cartId && cart.version <= parseInt(basketPanel.dataset.cartVersion, 10)) return;
      const switched = cart.id !== cartId;
      cartId = cart.id;
      basketPanel.dataset.cartVersion = String(cart.version);
      basket.replaceChildren(...cart.lines.map(basketLine));
      totalText.textContent = cart.total_text;
      if (switched) followCart();
    }
    const filled = basket.children.length > 0;
    basketCount.textContent = String(cart ? cart.items : 0);
    basketEmpty.hidden = filled;
    basketTotal.hidden = !filled;
    basketHint.hidden = !filled;
  }

  function followCart() {
    if (!socket || !socket.connected || !cartId) return;
    socket.emit("cart:subscribe", { cart: cartId }, (ack) => {
      if (ack && ack.ok) showCart(ack.cart, false); // never back to an older version than shown
    });
  }

  async function cartRequest(method, path, payload) {
    const response = await fetch(basketPanel.dataset.cartsUrl.replace("CART", cartId) + path, {
      method,
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, Accept: "application/json", "Content-Type": "application/json" },
      body: payload ? JSON.stringify(payload) : undefined,
    });
    if (!response.ok) throw new Error(`HTTP ${response.status}`);
    return response.json();
  }

  basket.addEventListener("click", async (event) => {
    const button = event.target.closest("[data-less]");
    if (!button || !cartId) return;
    const li = button.closest("[data-line]");
    const qty = parseInt(li.dataset.qty, 10);
    button.disabled = true;
    try {
      const path = `/lines/${li.dataset.line}`;
      showCart(qty > 1 ? await cartRequest("PATCH", path, { qty: qty - 1 }) : await cartRequest("DELETE", path), false);
    } catch (error) {
      setLive("Could not change the basket; try again", false);
      button.disabled = false;
    }
    touch();
  });

  function followStock(sku) {
    if (!socket || !socket.connected) return;
    socket.emit("subscribe", { sku }, (ack) => {
      if (ack && ack.ok && sku === shownSku) ack.levels.forEach((level) => updateLevel(level, true));
    });
  }

  function updateLevel(level, force) {
    if (productBox.dataset.sku !== level.sku) return;
    productBox.querySelectorAll(`[data-stock][data-location="${CSS.escape(level.location)}"]`).forEach((box) => {
      if (!force && level.version <= parseInt(box.dataset.version || "-1", 10)) return;
      box.dataset.version = String(level.version);
      if (box.matches("[data-stock-here]")) showLevel(box, level.available);
      else {
        box.querySelector("[data-available]").textContent = String(level.available);
        box.classList.toggle("sold-out", level.available <= 0);
      }
      box.classList.remove("flash-update");
      void box.offsetWidth;
      box.classList.add("flash-update");
    });
  }

  // ---- calling staff ----------------------------------------------------------------

  function showHelp(request) {
    const active = request && (request.status === "open" || request.status === "answered");
    callButton.hidden = !!active;
    cancelHelp.hidden = !(request && request.status === "open");
    if (!active) {
      helpState.textContent = request && request.status === "closed" ? "Glad we could help." : "";
    } else if (request.status === "open") {
      helpState.textContent = "A member of staff has been called and will be with you shortly.";
    } else {
      helpState.textContent = `${request.answered_by || "A member of staff"} is on the way.`;
    }
  }

  callButton.addEventListener("click", async () => {
    callButton.disabled = true;
    try {
      showHelp(await post(body.dataset.helpEndpoint, { topic: shownSku ? $("[data-product-name]").textContent : "" }));
    } catch (error) {
      helpState.textContent = "Could not call staff from here. Please ask at the counter.";
    } finally {
      callButton.disabled = false;
      touch();
    }
  });

  cancelHelp.addEventListener("click", async () => {
    try {
      await post(body.dataset.helpCancelEndpoint);
      showHelp(null);
    } catch (error) {
      helpState.textContent = "Could not cancel; a member of staff will come by.";
    }
  });

  // ---- idle -------------------------------------------------------------------------

  function touch() {
    clearTimeout(idleTimer);
    idleTimer = setTimeout(goIdle, IDLE_MS);
  }

  async function goIdle() {
    const used = identified || basket.children.length > 0 || cartId !== null;
    clearProduct();
    if (!used) return touch();
    try {
      apply(await post(body.dataset.endEndpoint));
    } catch (error) {
      setTimeout(goIdle, RETRY_MS);
    }
  }

  ["pointerdown", "keydown"].forEach((name) => document.addEventListener(name, touch, { passive: true }));

  endButton.addEventListener("click", async () => {
    endButton.disabled = true;
    try {
      apply(await post(body.dataset.endEndpoint));
    } catch (error) {
      setLive("Could not end the session; try again", false);
    } finally {
      endButton.disabled = false;
    }
  });

  // ---- live -------------------------------------------------------------------------

  function subscribe() {
    if (!socket || !socket.connected) return;
    socket.emit("kiosk:subscribe", {}, (ack) => {
      if (ack && ack.ok) {
        setLive("Live", true);
        if (ack.session.id !== sessionId) {
          refresh(); // another session started meanwhile (e.g. from the kiosk program)
        } else if (ack.session.member) {
          greet(ack.session.member.first_name);
        }
        if (shownSku) followStock(shownSku);
        followCart();
      } else {
        setLive(ack && ack.error ? ack.error.message : "Live updates unavailable", false);
      }
    });
  }

  if (qr.dataset.pairingUrl) scheduleRenewal(parseInt(qr.dataset.renewIn, 10) || 60);
  touch();

  if (typeof io !== "undefined") {
    socket = io("/live", { transports: ["websocket", "polling"] });
    socket.on("connect", subscribe);
    socket.on("disconnect", (reason) => {
      setLive("Reconnecting…", false);
      // The server cut this screen off (e.g. the kiosk was revoked): reload to show why.
      if (reason === "io server disconnect") setTimeout(() => window.location.reload(), 1000);
    });
    const mine = (handler) => (event) => {
      if (event.session === sessionId) handler(event);
    };
    socket.on("kiosk:identified", mine((event) => greet(event.first_name)));
    socket.on("kiosk:ended", mine(() => refresh()));
    socket.on("kiosk:product", mine((event) => showProduct(event.product, event.basket)));
    socket.on("cart:updated", (cart) => {
      if (cart.id === cartId) showCart(cart, false);
    });
    socket.on("cart:merged", (event) => {
      if (event.cart === cartId) refresh(); // the member's basket took it over
    });
    socket.on("kiosk:unknown", mine((event) => showNotice(event.message)));
    socket.on("kiosk:notice", mine((event) => showNotice(event.message)));
    socket.on("help:updated", (event) => {
      if (event.kiosk_session === sessionId) showHelp(event);
    });
    socket.on("stock:changed", (level) => updateLevel(level, false));
  }
})();

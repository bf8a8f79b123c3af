// "Add to basket" on the product page a shelf QR opens (and the web shop's). A signed-in member's
// basket is their open cart; a guest's is the cart whose id this browser remembers (a new one when there is
// none, or when the old one was paid for). The units are held at this store from now on.
(function () {
  "use strict";
  const form = document.querySelector("[data-add-to-basket]");
  if (!form || !window.OneshelfBasket) return;
  const B = window.OneshelfBasket;
  const qty = form.querySelector("[data-qty]");
  const button = form.querySelector("[data-add]");
  const result = form.querySelector("[data-add-result]");
  const member = form.dataset.member === "1";
  const cartsUrl = form.dataset.cartsUrl;
  const csrf = form.dataset.csrf;
  const STALE = ["cart_not_found", "cart_closed", "not_your_cart"];

  function quantity() {
    const n = parseInt(qty.value, 10);
    return Number.isFinite(n) ? Math.min(99, Math.max(1, n)) : 1;
  }

  form.addEventListener("click", (event) => {
    const step = event.target.closest("[data-step]");
    if (!step) return;
    qty.value = String(Math.min(99, Math.max(1, quantity() + parseInt(step.dataset.step, 10))));
  });

  function say(text, kind) {
    result.textContent = text;
    result.className = `add-result ${kind || ""}`;
  }

  async function cartId(fresh) {
    if (!member && !fresh) {
      const known = B.guestCart();
      if (known) return { ok: true, id: known };
    }
    const made = await B.call("POST", cartsUrl, { csrf });
    if (!made.ok) return made;
    if (made.body.member === null) B.rememberGuestCart(made.body.id);
    return { ok: true, id: made.body.id };
  }

  async function addTo(id, n) {
    // A shelf label names the product and the store; the web shop's page names both itself, and
    // there a product this store lacks still goes in the basket, to be delivered or collected.
    const what = form.dataset.code
      ? { code: form.dataset.code }
      : { sku: form.dataset.basketSku, location: form.dataset.location, online: true };
    return B.call("POST", `${cartsUrl}/${encodeURIComponent(id)}/lines`, { csrf, body: { ...what, qty: n } });
  }

  async function add(n) {
    let cart = await cartId(false);
    if (!cart.ok) return cart;
    let answer = await addTo(cart.id, n);
    if (!answer.ok && STALE.includes(answer.error.code)) {
      cart = await cartId(true); // that basket was paid for (or is gone): start a new one
      if (!cart.ok) return cart;
      answer = await addTo(cart.id, n);
    }
    if (!answer.ok && answer.error.code === "insufficient_stock") answer.error.message = await refusal(cart.id, answer.error);
    return answer;
  }

  function mine(cart) {
    return cart.lines.find((x) => x.sku === form.dataset.basketSku && x.location === form.dataset.location);
  }

  // "Only 3 left here" counts what this basket holds already: say so when it holds some.
  async function refusal(id, error) {
    const text = B.stockMessage(error);
    const available = error.details && error.details.available;
    const cart = await B.call("GET", `${cartsUrl}/${encodeURIComponent(id)}`);
    const line = cart.ok ? mine(cart.body) : null;
    if (!line || typeof available !== "number" || available <= 0) return text;
    if (line.qty >= available) return `All ${available} left here are in your basket already.`;
    return `Only ${available} left here, and ${line.qty} of them are in your basket already.`;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const n = quantity();
    button.disabled = true;
    say("Adding…", "");
    const answer = await add(n);
    button.disabled = false;
    if (!answer.ok) {
      say(answer.error.message, "error");
      return;
    }
    const line = mine(answer.body);
    const held = line && line.held ? ` · held for you until ${B.clock(line.held_until, form.dataset.timezone)}` : "";
    const inBasket = line ? `${line.qty} in your basket` : "In your basket";
    const sent = line && line.online ? " · not on this store's shelf: at checkout, have it delivered or collect it" : "";
    say(`Added. ${inBasket}${held}${sent}.`, "ok");
    form.querySelector("[data-basket-link]").textContent = `View basket (${answer.body.items})`;
  });
})();

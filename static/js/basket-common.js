// What the phone's basket pages share: the guest cart cookie, JSON calls to our API (with the
// CSRF token, which cookie-signed-in writes need), Idempotency-Keys, money and times.
window.OneshelfBasket = (function () {
  "use strict";
  const COOKIE = "oneshelf_cart";
  const MONTH = 30 * 86400;

  // A guest's cart id is the key to the cart: kept in a cookie so the basket page can show it.
  function guestCart() {
    const found = document.cookie.match(/(?:^|;\s*)oneshelf_cart=([^;]+)/);
    return found ? decodeURIComponent(found[1]) : null;
  }

  function rememberGuestCart(id) {
    const secure = window.location.protocol === "https:" ? "; Secure" : "";
    document.cookie = `${COOKIE}=${encodeURIComponent(id)}; Path=/; Max-Age=${MONTH}; SameSite=Lax${secure}`;
  }

  // One per attempt to pay or top up; a retry of the same attempt sends the same key.
  function newKey() {
    if (window.crypto && typeof window.crypto.randomUUID === "function") return window.crypto.randomUUID();
    const bytes = window.crypto.getRandomValues(new Uint8Array(16)); // plain http on a LAN has no randomUUID
    return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  }

  const OFFLINE = { code: "offline", message: "No connection. Check the network and try again." };

  // {ok, status, body} or {ok: false, status, error: {code, message, details?}}; status 0 is no answer.
  async function call(method, url, options) {
    const { csrf, body, headers } = options || {};
    const sent = { Accept: "application/json", ...(headers || {}) };
    if (csrf) sent["X-CSRFToken"] = csrf;
    if (body !== undefined) sent["Content-Type"] = "application/json";
    let response;
    try {
      response = await fetch(url, {
        method,
        credentials: "same-origin",
        headers: sent,
        body: body !== undefined ? JSON.stringify(body) : undefined,
      });
    } catch (err) {
      return { ok: false, status: 0, error: OFFLINE };
    }
    let data = null;
    try {
      data = await response.json();
    } catch (err) {
      data = null;
    }
    if (response.ok) return { ok: true, status: response.status, body: data };
    const error = data && data.error ? data.error : { code: `http_${response.status}`, message: "Something went wrong. Please try again." };
    return { ok: false, status: response.status, error };
  }

  const formats = {};
  // Amounts are integers of minor units; only the text shown is made here.
  function money(amount, currency) {
    if (!formats[currency]) formats[currency] = new Intl.NumberFormat("en", { style: "currency", currency });
    const format = formats[currency];
    const digits = format.resolvedOptions().maximumFractionDigits;
    return format.format(amount / 10 ** digits);
  }

  // "14:32" (or with the date, "2025-05-01 14:32") in the store's time zone.
  function clock(iso, timeZone, withDate) {
    const options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    if (withDate) Object.assign(options, { year: "numeric", month: "2-digit", day: "2-digit" });
    if (timeZone) options.timeZone = timeZone;
    try {
      return stamp(new Intl.DateTimeFormat("en-CA", options), iso);
    } catch (err) {
      delete options.timeZone; // an unknown zone: the phone's own
      return stamp(new Intl.DateTimeFormat("en-CA", options), iso);
    }
  }

  function stamp(format, iso) {
    const part = Object.fromEntries(format.formatToParts(new Date(iso)).map((p) => [p.type, p.value]));
    const time = `${part.hour}:${part.minute}`;
    return part.year ? `${part.year}-${part.month}-${part.day} ${time}` : time;
  }

  function el(tag, className, text) {
    const node = document.createElement(tag);
    if (className) node.className = className;
    if (text !== undefined) node.textContent = text;
    return node;
  }

  function stockMessage(error, name) {
    const details = error.details || {};
    if (error.code !== "insufficient_stock" || typeof details.available !== "number") return error.message;
    const text = details.available <= 0 ? "none left here." : `only ${details.available} left here.`;
    return name ? `${name}: ${text}` : text.charAt(0).toUpperCase() + text.slice(1);
  }

  return { guestCart, rememberGuestCart, newKey, call, money, clock, el, stockMessage };
})();

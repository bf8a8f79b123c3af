// The web shop's front page: the nearest store from the browser's position, when the shopper
// allows it. The page sends the position once (?lat=&lng=); the server picks the store and
// remembers it, and the position leaves the address bar again.
(function () {
  "use strict";
  const root = document.querySelector("[data-web-shop]");
  if (!root) return;
  const button = root.querySelector("[data-locate]");
  const status = root.querySelector("[data-locate-status]");
  const ASKED = "oneshelf_located";

  const here = new URL(window.location.href);
  if (here.searchParams.has("lat") || here.searchParams.has("store")) {
    ["lat", "lng", "store"].forEach((name) => here.searchParams.delete(name));
    window.history.replaceState(null, "", here.pathname + here.search + here.hash);
  }
  if (!button) return;
  if (!("geolocation" in navigator)) {
    button.hidden = true;
    return;
  }

  function say(text) {
    if (status) status.textContent = text;
  }

  function go(position) {
    const url = new URL(window.location.href);
    ["store", "cursor"].forEach((name) => url.searchParams.delete(name));
    url.searchParams.set("lat", position.coords.latitude.toFixed(5));
    url.searchParams.set("lng", position.coords.longitude.toFixed(5));
    window.location.assign(url.toString());
  }

  function locate() {
    button.disabled = true;
    say("Finding the store nearest to you…");
    navigator.geolocation.getCurrentPosition(go, () => {
      button.disabled = false;
      say("Your location is not available: choose a store from the list.");
    }, { maximumAge: 600000, timeout: 10000 });
  }

  function askedBefore() {
    try {
      if (window.sessionStorage.getItem(ASKED)) return true;
      window.sessionStorage.setItem(ASKED, "1");
      return false;
    } catch (err) {
      return true; // no storage: ask only when the shopper taps the button
    }
  }

  button.addEventListener("click", locate);
  // No store yet: ask once per visit (the browser asks the shopper before it tells us anything).
  if (!root.dataset.store && !askedBefore()) locate();
})();

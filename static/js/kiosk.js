// The kiosk screen: shows a pairing QR that is renewed before it expires, and greets the member
// as soon as one is identified (kiosk:identified over Socket.IO, or the next renewal if the
// socket is down). "Done" ends the session and starts an anonymous one.
(function () {
  const body = document.querySelector("[data-kiosk]");
  if (!body) return;
  const csrf = document.querySelector('meta[name="csrf-token"]').content;
  const qr = body.querySelector("[data-pairing-qr]");
  const panel = body.querySelector("[data-pair-panel]");
  const greeting = body.querySelector("[data-greeting]");
  const anonymousText = body.querySelector("[data-welcome-anonymous]");
  const memberText = body.querySelector("[data-welcome-member]");
  const endButton = body.querySelector("[data-end]");
  const countdown = body.querySelector("[data-pairing-countdown]");
  const liveState = body.querySelector("[data-live-state]");
  const RETRY_MS = 5000;

  let sessionId = parseInt(body.dataset.sessionId, 10);
  let renewTimer = null;
  let tickTimer = null;
  let socket = null;

  function setLive(text, ok) {
    liveState.textContent = text;
    liveState.classList.toggle("offline", !ok);
  }

  function greet(firstName) {
    stopRenewing();
    greeting.textContent = `Hello, ${firstName}`;
    body.classList.add("identified");
    panel.hidden = true;
    anonymousText.hidden = true;
    memberText.hidden = false;
    endButton.hidden = false;
  }

  function welcome() {
    greeting.textContent = "Welcome";
    body.classList.remove("identified");
    panel.hidden = false;
    anonymousText.hidden = false;
    memberText.hidden = true;
    endButton.hidden = true;
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
      welcome();
      if (state.pairing) showPairing(state.pairing);
    }
    if (changed) subscribe();
  }

  async function post(url) {
    const response = await fetch(url, {
      method: "POST",
      credentials: "same-origin",
      headers: { "X-CSRFToken": csrf, Accept: "application/json" },
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
      } else {
        setLive(ack && ack.error ? ack.error.message : "Live updates unavailable", false);
      }
    });
  }

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

  if (qr.dataset.pairingUrl) scheduleRenewal(parseInt(qr.dataset.renewIn, 10) || 60);

  if (typeof io !== "undefined") {
    socket = io("/live", { transports: ["websocket", "polling"] });
    socket.on("connect", subscribe);
    socket.on("disconnect", () => setLive("Reconnecting…", false));
    socket.on("kiosk:identified", (event) => {
      if (event.session === sessionId) greet(event.first_name);
    });
    socket.on("kiosk:ended", (event) => {
      if (event.session === sessionId) refresh();
    });
  }
})();

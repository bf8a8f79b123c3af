// Show the member code for the current 30 seconds, then the next one. The page holds the
// current code and the next ones, so it keeps working for a minute without network; it
// fetches fresh ones whenever it can.
(function () {
  const box = document.querySelector(".member-code");
  if (!box) return;
  const bar = box.querySelector(".countdown");
  const state = box.querySelector("[data-code-state]");
  const qrBox = box.querySelector(".qr-box");

  function figures() {
    return Array.from(qrBox.querySelectorAll("figure.code"));
  }

  function tick() {
    const now = Date.now() / 1000;
    const usable = figures().filter((f) => +f.dataset.showsFrom <= now && now < +f.dataset.showsFrom + 30);
    figures().forEach((f) => { f.hidden = f !== usable[0]; });
    if (usable.length) {
      bar.value = 30 - (now - +usable[0].dataset.showsFrom);
      state.textContent = "Valid now";
      state.classList.remove("offline");
    } else {
      state.textContent = "Connect to the internet to get a fresh code";
      state.classList.add("offline");
    }
    const last = figures().reduce((m, f) => Math.max(m, +f.dataset.showsFrom), 0);
    if (last - now < 45) refresh();
  }

  let fetching = false;
  async function refresh() {
    if (fetching) return;
    fetching = true;
    try {
      const response = await fetch(box.dataset.codeUrl, { headers: { Accept: "application/json" }, credentials: "same-origin" });
      if (response.status === 401) { window.location.reload(); return; }
      if (!response.ok) return;
      const body = await response.json();
      const known = new Set(figures().map((f) => f.dataset.code));
      body.ahead.forEach((c) => {
        if (known.has(c.code)) return;
        const figure = document.createElement("figure");
        figure.className = "code";
        figure.hidden = true;
        figure.dataset.code = c.code;
        figure.dataset.showsFrom = String(Date.parse(c.shows_from) / 1000);
        figure.dataset.expiresAt = String(Date.parse(c.expires_at) / 1000);
        figure.innerHTML = c.svg + "<figcaption><code></code></figcaption>";
        figure.querySelector("code").textContent = c.code;
        qrBox.appendChild(figure);
      });
      const now = Date.now() / 1000;
      figures().filter((f) => +f.dataset.expiresAt < now).forEach((f) => f.remove());
    } catch (err) {
      // offline: keep showing the codes we have
    } finally {
      fetching = false;
    }
  }

  tick();
  setInterval(tick, 1000);
})();

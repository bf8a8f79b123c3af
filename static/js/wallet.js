// Topping up the wallet from a card through the top-up API. The amount is typed in yuan and
// sent as whole minor units (no floats). One Idempotency-Key per attempt: a retry after a lost
// answer reuses it (the card is charged once); after a decline the next try gets a new one.
(function () {
  "use strict";
  const box = document.querySelector("[data-wallet]");
  if (!box || !window.OneshelfBasket) return;
  const B = window.OneshelfBasket;
  const form = box.querySelector("[data-topup]");
  const amountInput = box.querySelector("[data-topup-amount]");
  const cardInput = box.querySelector("[data-topup-card]");
  const submit = box.querySelector("[data-topup-submit]");
  const errorBox = box.querySelector("[data-topup-error]");
  const doneBox = box.querySelector("[data-topup-done]");
  const balance = box.querySelector("[data-balance]");
  const entries = box.querySelector("[data-entries]");
  const noEntries = box.querySelector("[data-no-entries]");
  const back = box.querySelector("[data-back]");
  const currency = box.dataset.currency;
  const digits = parseInt(box.dataset.digits, 10);
  let attempt = null;

  // "50", "50.5", "50,50" -> 5000, 5050, 5050; null when it is not an amount.
  function minorUnits(text) {
    const found = text.trim().match(digits > 0 ? new RegExp(`^(\\d{1,7})(?:[.,](\\d{1,${digits}}))?$`) : /^(\d{1,9})$/);
    if (!found) return null;
    const fraction = (found[2] || "").padEnd(digits, "0");
    return parseInt(found[1], 10) * 10 ** digits + (fraction ? parseInt(fraction, 10) : 0);
  }

  function say(node, text) {
    node.textContent = text;
    node.hidden = !text;
  }

  box.querySelectorAll("[data-amount]").forEach((chip) => {
    chip.addEventListener("click", () => {
      amountInput.value = chip.dataset.amount;
      cardInput.focus();
    });
  });

  function entryView(entry) {
    const li = B.el("li");
    const what = B.el("span", "entry-what", "Top-up");
    const at = B.el("time", "", B.clock(entry.created_at, box.dataset.timezone, true));
    at.dateTime = entry.created_at;
    what.append(at);
    const amount = B.el("span", "entry-amount in", `+${B.money(entry.amount, currency)}`);
    amount.append(B.el("small", "", `Balance ${B.money(entry.balance_after, currency)}`));
    li.append(what, amount);
    return li;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    say(errorBox, "");
    say(doneBox, "");
    const amount = minorUnits(amountInput.value);
    if (amount === null || amount <= 0) {
      say(errorBox, "Enter an amount, like 50 or 50.00.");
      amountInput.focus();
      return;
    }
    if (!cardInput.value.trim()) {
      say(errorBox, "Enter the card number.");
      cardInput.focus();
      return;
    }
    const body = { amount, card_number: cardInput.value.trim() };
    const text = JSON.stringify(body);
    if (!attempt || attempt.body !== text) attempt = { key: B.newKey(), body: text };
    submit.disabled = true;
    submit.textContent = "Topping up…";
    const answer = await B.call("POST", box.dataset.topupsUrl, {
      csrf: box.dataset.csrf,
      body,
      headers: { "Idempotency-Key": attempt.key },
    });
    submit.disabled = false;
    submit.textContent = "Top up";
    if (!answer.ok) {
      if (answer.status !== 0 && answer.status < 500) attempt = null;
      say(errorBox, answer.status === 401 ? "Your session ended: sign in again to top up." : answer.error.message);
      return;
    }
    attempt = null;
    balance.textContent = answer.body.balance_text;
    entries.prepend(entryView(answer.body.entry));
    noEntries.hidden = true;
    say(doneBox, `Added ${B.money(answer.body.entry.amount, currency)} to your wallet.`);
    cardInput.value = "";
    if (back) back.classList.add("primary");
  });
})();

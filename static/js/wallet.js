// Topping up the wallet from a card through the top-up API. The amount is typed in yuan and
// sent as whole minor units (no floats); the card is typed on the card provider's page, where
// the answer's next_action sends the shopper (the wallet is credited when the provider confirms).
// One Idempotency-Key per attempt: a retry after a lost answer reuses it (one payment).
(function () {
  "use strict";
  const box = document.querySelector("[data-wallet]");
  if (!box || !window.OneshelfBasket) return;
  const B = window.OneshelfBasket;
  const form = box.querySelector("[data-topup]");
  const amountInput = box.querySelector("[data-topup-amount]");
  const submit = box.querySelector("[data-topup-submit]");
  const errorBox = box.querySelector("[data-topup-error]");
  const doneBox = box.querySelector("[data-topup-done]");
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
      submit.focus();
    });
  });

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
    const body = { amount };
    const text = JSON.stringify(body);
    if (!attempt || attempt.body !== text) attempt = { key: B.newKey(), body: text };
    submit.disabled = true;
    submit.textContent = "Going to the card provider…";
    const answer = await B.call("POST", box.dataset.topupsUrl, {
      csrf: box.dataset.csrf,
      body,
      headers: { "Idempotency-Key": attempt.key },
    });
    if (answer.ok && answer.body.next_action) {
      window.location.assign(answer.body.next_action.redirect_url);
      return;
    }
    submit.disabled = false;
    submit.textContent = "Top up by card";
    if (!answer.ok) {
      if (answer.status !== 0 && answer.status < 500) attempt = null;
      say(errorBox, answer.status === 401 ? "Your session ended: sign in again to top up." : answer.error.message);
      return;
    }
    attempt = null;
    say(doneBox, `Added ${B.money(answer.body.payment.amount, currency)} to your wallet.`);
  });
})();

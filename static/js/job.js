// Poll a background job and show its progress, then its outcome.
(function () {
  const box = document.getElementById("job");
  if (!box) return;
  const bar = document.getElementById("job-progress");
  const text = document.getElementById("job-text");
  const outcome = document.getElementById("job-outcome");

  function esc(s) {
    return String(s ?? "").replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]);
  }

  function plural(n, word) {
    return `${n} ${word}${n === 1 ? "" : "s"}`;
  }

  function showImport(result) {
    const written = result.written;
    let html = `<p class="flash ${written ? "info" : "error"}">` +
      (written ? `Imported: ${result.created} new, ${result.updated} updated, ${result.unchanged} unchanged.`
               : `Nothing was written.`) +
      (result.errors.length ? ` ${result.errors.length} row(s) have errors:` : "") + "</p>";
    if (result.errors.length) {
      html += '<table class="list errors"><thead><tr><th>Line</th><th>SKU</th><th>Field</th><th>Problem</th></tr></thead><tbody>' +
        result.errors.map((e) => `<tr><td>${e.line}</td><td>${esc(e.sku)}</td><td>${esc(e.field)}</td><td>${esc(e.message)}</td></tr>`).join("") +
        "</tbody></table>";
    }
    html += '<p><a class="button" href="/staff/products">See products</a> <a class="button" href="/staff/products/import">Import another file</a></p>';
    outcome.innerHTML = html;
  }

  async function poll() {
    let state;
    try {
      const response = await fetch(box.dataset.statusUrl, { headers: { Accept: "application/json" } });
      state = await response.json();
      if (!response.ok) throw new Error(state.error ? state.error.message : response.statusText);
    } catch (err) {
      text.textContent = "Connection lost, retrying…";
      setTimeout(poll, 1500);
      return;
    }
    bar.value = state.percent;
    text.textContent = `${state.done} of ${state.total} · ${state.status}`;
    if (state.status === "done") {
      if (state.file_url) {
        outcome.innerHTML = `<p><a class="button primary" id="download" href="${state.file_url}" download>Download PDF (${plural(state.result.labels, "label")}, ${plural(state.result.pages, "page")})</a></p>`;
      } else if (state.result) {
        showImport(state.result);
      }
    } else if (state.status === "failed") {
      outcome.innerHTML = `<p class="flash error" role="alert">${esc(state.message)}</p>`;
    } else {
      setTimeout(poll, 400);
    }
  }
  poll();
})();

/* Exchange rates page: each month's rates, the deals waiting for one, and a form that sets one month's rate
   (PUT /api/v1/rates/{month}; the server rescores that month's contests). Texts in #rates-text. */
"use strict";
(function () {
  var C = window.arenaConsole, T = JSON.parse(document.getElementById("rates-text").textContent);
  var form = document.getElementById("rate-form"), status = document.getElementById("rate-status");

  function fill(selector, rows, empty) {
    var body = document.querySelector(selector + " tbody");
    body.textContent = "";
    if (!rows.length) {  // an empty list says so
      var none = document.createElement("td");
      none.colSpan = 3;
      none.className = "muted";
      none.textContent = empty;
      body.appendChild(document.createElement("tr")).appendChild(none);
    }
    rows.forEach(function (values) {
      var tr = document.createElement("tr");
      values.forEach(function (v) { var td = document.createElement("td"); td.textContent = v; tr.appendChild(td); });
      body.appendChild(tr);
    });
  }

  function load() {
    C.api("GET", "/api/v1/rates").then(function (r) {
      if (!r.ok) { return; }
      var rows = [];
      (r.data.months || []).slice().reverse().forEach(function (m) {
        Object.keys(m.rates).sort().forEach(function (currency) { rows.push([m.month, currency, m.rates[currency]]); });
      });
      fill("#rates", rows, T.no_rates);
      fill("#waiting", (r.data.waiting || []).map(function (w) { return [w.month, w.currency, String(w.deals)]; }), T.none_waiting);
    });
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var rates = {};
    rates[form.elements.currency.value.trim().toUpperCase()] = form.elements.rate.value.trim();
    status.textContent = "";
    C.api("PUT", "/api/v1/rates/" + encodeURIComponent(form.elements.month.value), {rates: rates}).then(function (result) {
      if (result.ok) { status.textContent = T.saved; load(); }
      else { C.showErrors(document.getElementById("rate-errors"), result); }
    });
  });
  load();
})();

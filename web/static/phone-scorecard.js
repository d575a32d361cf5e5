/* Reps' phone: my KPI scorecard for this month (GET /api/v1/reps/{me}/scorecard): the weighted total, each
   ratio with its marks, and an honest "not enough data" where a ratio rests on too few events. */
(function () {
  "use strict";
  var phone = JSON.parse(document.getElementById("phone-config").textContent);
  var T = JSON.parse(document.getElementById("scorecard-config").textContent);
  var rep = phone.state && phone.state.rep;
  var section = document.getElementById("scorecard");
  if (!rep || !section) { return; }
  var fill = ArenaText.fill;
  var one = new Intl.NumberFormat(phone.locale, {maximumFractionDigits: 1});
  var two = new Intl.NumberFormat(phone.locale, {minimumFractionDigits: 2, maximumFractionDigits: 2});
  var money = new Intl.NumberFormat(phone.locale, {style: "currency", currency: phone.currency, maximumFractionDigits: 0});

  function shown(unit, value) {
    if (unit === "percent") { return one.format(value) + "%"; }
    if (unit === "money") { return money.format(value); }
    if (unit === "rating") { return two.format(value); }
    return one.format(value);
  }

  function render(data) {
    var card = data.card;
    document.getElementById("scorecard-period").textContent = data.period;
    var total = document.getElementById("scorecard-total");
    total.textContent = card.total === null
      ? (card.defined ? T.no_total : T.not_defined) : fill(T.total, {total: one.format(card.total)});
    total.classList.toggle("pending", card.total === null);  // a sentence, not a headline figure
    var list = document.getElementById("scorecard-kpis");
    list.textContent = "";
    card.kpis.forEach(function (row) {
      if (card.defined && row.weight === undefined) { return; }  // a KPI the scorecard does not weigh
      var item = document.createElement("li");
      item.dataset.kpi = row.kpi;
      var name = document.createElement("span");
      name.textContent = T.names[row.kpi];
      var value = document.createElement("strong");
      if (row.value === null) {
        value.className = "muted no-data";
        value.textContent = row.reason === "no_revenue" ? T.no_revenue : fill(T.not_enough, {n: row.sample, min: row.min_events});
      } else {
        value.textContent = shown(row.unit, row.value);
      }
      item.appendChild(name);
      item.appendChild(document.createTextNode(" "));
      item.appendChild(value);
      if (row.points !== null && row.points !== undefined) {
        var marks = document.createElement("span");
        marks.className = "muted";
        marks.textContent = " · " + fill(T.marks, {points: one.format(row.points)}) + " · " + fill(T.target, {target: shown(row.unit, row.target)});
        item.appendChild(marks);
      }
      list.appendChild(item);
    });
    var note = document.getElementById("scorecard-note");
    note.hidden = !card.rescaled;
    note.textContent = card.rescaled ? fill(T.rescaled, {kpis: card.left_out.map(function (k) { return T.names[k]; }).join(", ")}) : "";
    section.hidden = false;
  }

  fetch("/api/v1/reps/" + encodeURIComponent(rep) + "/scorecard", {credentials: "same-origin", headers: {"Accept": "application/json"}})
    .then(function (r) { return r.ok ? r.json() : null; })
    .then(function (data) { if (data) { render(data); } })
    .catch(function () { /* offline: the card stays hidden until the next visit */ });
})();

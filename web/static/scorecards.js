/* Scorecards page: sort the table by any column (a button in each header; aria-sort says which), and save the
   team's weights and targets through PUT /api/v1/teams/{id}/scorecard/definition. */
"use strict";
(function () {
  var table = document.getElementById("scorecards");
  if (table) {
    var headers = Array.prototype.slice.call(table.tHead.rows[0].cells);
    headers.forEach(function (th, column) {
      th.querySelector("button.sort").addEventListener("click", function () {
        var descending = th.getAttribute("aria-sort") !== "descending";
        headers.forEach(function (other) { other.removeAttribute("aria-sort"); });
        th.setAttribute("aria-sort", descending ? "descending" : "ascending");
        var text = th.dataset.sortType === "text";
        var body = table.tBodies[0];
        var rows = Array.prototype.slice.call(body.querySelectorAll("tr[data-rep]"));
        rows.sort(function (a, b) {
          var x = a.cells[column].dataset.sort, y = b.cells[column].dataset.sort;
          var order = text ? x.localeCompare(y) : parseFloat(x) - parseFloat(y);
          return descending ? -order : order;
        });
        rows.forEach(function (row) { body.appendChild(row); });
      });
    });
  }

  var form = document.getElementById("scorecard-definition");
  if (!form) { return; }
  var sum = document.getElementById("weight-sum");
  function terms() {
    var out = [];
    form.querySelectorAll("tbody tr[data-kpi]").forEach(function (row) {
      var weight = row.querySelector(".weight").value.trim();
      if (weight === "") { return; }
      out.push({kpi: row.dataset.kpi, weight: Number(weight), target: row.querySelector(".target").value.trim(),
                min_events: Number(row.querySelector(".min-events").value || 5)});
    });
    return out;
  }
  function showSum() {
    var total = terms().reduce(function (n, term) { return n + (isFinite(term.weight) ? term.weight : 0); }, 0);
    sum.textContent = ArenaText.fill(form.dataset.sumText, {sum: total});
    sum.classList.toggle("field-error", total !== 100);
  }
  form.addEventListener("input", showSum);
  showSum();
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = {kpis: terms(), conversion_basis: form.querySelector('[name="conversion_basis"]').value};
    var url = "/api/v1/teams/" + encodeURIComponent(form.dataset.team) + "/scorecard/definition";
    window.arenaConsole.api("PUT", url, body).then(function (result) {
      if (result.ok) { window.location.reload(); return; }
      window.arenaConsole.showErrors(document.getElementById("scorecard-errors"), result, form);
    });
  });
})();

/* Contest page: change the rules of a contest with a reason, preview who moves (rank and points before →
   after, the contest replayed under the draft) before confirming, then follow the rescore to its end. */
(function () {
  "use strict";
  var section = document.getElementById("rule-change");
  if (!section) { return; }
  var C = window.arenaConsole;
  var E = window.FieldErrors;
  var form = document.getElementById("rule-form");
  var rows = document.getElementById("rule-rows");
  var box = document.getElementById("rule-errors");
  var confirmButton = document.getElementById("rule-confirm");
  var contest = section.dataset.contest;
  var base = "/api/v1/contests/" + encodeURIComponent(contest);
  var definition = JSON.parse(document.getElementById("rule-definition").textContent);

  function number(input) { return input.value === "" ? undefined : Number(input.value); }

  function renumber() {
    Array.prototype.forEach.call(rows.children, function (row, index) { row.dataset.field = "rules[" + index + "]"; });
  }

  /* A refusal of one rule ("rules[2].points") is said once, at the end of that rule's row, in the page's words;
     a refusal naming no field below the form. */
  function refused(r) {
    E.show(form, r, {summary: box, page: "rule-change", quiet: true, locate: function (field) {
      var rule = /^rules\[(\d+)\]/.exec(field || "");
      return rule ? rows.children[Number(rule[1])] || null : undefined;
    }});
  }

  function rules() {
    return Array.prototype.map.call(rows.children, function (row) {
      var rule = JSON.parse(row.dataset.original || "{}");
      var get = function (name) { return row.querySelector('[name="' + name + '"]'); };
      rule.on = get("on").value;
      ["points", "cap_per_day"].forEach(function (name) {
        var value = number(get(name));
        if (value === undefined) { delete rule[name]; } else { rule[name] = value; }
      });
      var per = get("points_per").value;
      if (per === "") { delete rule.points_per; } else { rule.points_per = per; }
      var basis = get("basis").value;  /* written only when chosen (or written before): other rules stay as they were */
      if (basis === "margin" || rule.basis !== undefined) { rule.basis = basis; }
      rule.new_customer_only = get("new_customer_only").checked;
      return rule;
    });
  }

  function draft() {
    var body = JSON.parse(JSON.stringify(definition));
    body.rules = rules();
    /* caps per calendar or working day; the days off are taken from the organisation's calendar when saved */
    body.cap_days = form.elements.cap_days.value;
    delete body.days_off;
    body.change_reason = form.elements.change_reason.value.trim();
    return body;
  }

  function stale() {  /* the preview no longer shows this draft: preview again before confirming */
    confirmButton.disabled = true;
  }

  function cell(row, text, className) {
    var td = document.createElement("td");
    td.textContent = text === null || text === undefined ? "—" : text;
    if (className) { td.className = className; }
    row.appendChild(td);
  }

  function showMoves(data) {
    var panel = document.getElementById("rule-moves");
    var line = panel.querySelector(".moves-summary");
    var words = data.moves.length ? line.dataset.some : line.dataset.none;
    line.textContent = ArenaText.fill(words, {count: data.moves.length, events: data.events});
    var body = panel.querySelector("tbody");
    body.textContent = "";
    var format = new Intl.NumberFormat(C.config.locale);
    data.moves.forEach(function (move) {
      var row = document.createElement("tr");
      row.dataset.rep = move.rep;
      var climbed = move.rank_before && move.rank_after ? move.rank_before - move.rank_after : 0;
      row.className = climbed > 0 ? "up" : (climbed < 0 ? "down" : "");
      cell(row, move.name);
      cell(row, move.rank_before, "num rank-before");
      cell(row, move.rank_after, "num rank-after");
      cell(row, move.points_before === null ? null : format.format(move.points_before), "num points-before");
      cell(row, move.points_after === null ? null : format.format(move.points_after), "num points-after");
      body.appendChild(row);
    });
    panel.hidden = false;
  }

  /* The rescore starts in the background: follow it until the contest is at the new version and no rescore
     runs (a state read before the rescore started says nothing about this one). */
  function follow(version, seenRunning) {
    var panel = document.getElementById("rule-rescore");
    var text = panel.querySelector("p");
    var bar = panel.querySelector(".progress span");
    panel.hidden = false;
    C.api("GET", base + "/rescore").then(function (r) {
      if (!r.ok) { setTimeout(function () { follow(version, seenRunning); }, 1000); return; }
      if (r.data.state === "running") {
        bar.style.width = Math.round((r.data.total ? r.data.done / r.data.total : 0) * 100) + "%";
        text.textContent = ArenaText.fill(text.dataset.running, {done: r.data.done, total: r.data.total});
        setTimeout(function () { follow(version, true); }, 600);
        return;
      }
      if (r.data.state === "failed" && seenRunning) { text.textContent = text.dataset.failed; return; }
      C.api("GET", base).then(function (c) {
        if (c.ok && c.data.version >= version) {
          bar.style.width = "100%";
          text.textContent = text.dataset.done;
          setTimeout(function () { location.reload(); }, 1200);
        } else {
          setTimeout(function () { follow(version, seenRunning); }, 500);
        }
      });
    });
  }

  document.getElementById("rule-add").addEventListener("click", function () {
    rows.appendChild(document.getElementById("rule-template").content.firstElementChild.cloneNode(true));
    renumber();
    stale();
  });
  rows.addEventListener("click", function (event) {
    var remove = event.target.closest(".rule-remove");
    if (!remove) { return; }
    remove.closest(".rule-row").remove();
    renumber();
    stale();
  });
  rows.addEventListener("input", stale);
  rows.addEventListener("change", stale);
  form.elements.cap_days.addEventListener("change", stale);

  document.getElementById("rule-preview").addEventListener("click", function () {
    var button = this;
    button.disabled = true;
    C.api("POST", base + "/change-preview", draft()).then(function (r) {
      button.disabled = false;
      if (!r.ok) { refused(r); stale(); return; }
      E.clear(form);
      showMoves(r.data);
      confirmButton.disabled = false;
    });
  });

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    confirmButton.disabled = true;
    C.api("PUT", base, draft()).then(function (r) {
      if (!r.ok) { refused(r); confirmButton.disabled = false; return; }
      E.clear(form);
      if (r.data.rescore === "running") { C.toast(C.config.text.running); follow(r.data.version, false); }
      else { C.toast(C.config.text.saved); setTimeout(function () { location.reload(); }, 300); }
    });
  });
  renumber();
})();

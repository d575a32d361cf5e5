/* Contest wizard: a template fills rules, schedule and prizes; every change is previewed as plain words in
   both languages (validated by the server, nothing stored); Launch posts the definition to the API. */
(function () {
  "use strict";
  var wizard = JSON.parse(document.getElementById("wizard-config").textContent);
  var C = window.arenaConsole;
  var form = document.getElementById("wizard");
  var rulesEl = document.getElementById("rules");
  var prizesEl = document.getElementById("prizes");
  var teamsEl = document.getElementById("teams");
  var everyone = document.getElementById("everyone");
  var idTouched = false;
  var previewTimer = null;

  function el(name) { return form.elements[name]; }

  /* datetime-local values are wall-clock times in the organisation's zone; the API wants an offset. */
  function offsetAt(local) {
    var guess = new Date(local + ":00Z");
    try {
      var part = new Intl.DateTimeFormat("en-US", {timeZone: wizard.timezone, timeZoneName: "longOffset"})
        .formatToParts(guess).filter(function (p) { return p.type === "timeZoneName"; })[0].value;
      var m = part.match(/GMT([+-]\d{1,2}):?(\d{2})?/);
      if (!m) { return "+00:00"; }
      var hours = m[1].length === 2 ? m[1][0] + "0" + m[1][1] : m[1];
      return hours + ":" + (m[2] || "00");
    } catch (err) { return "+00:00"; }
  }
  function toIso(local) { return local ? local + ":00" + offsetAt(local) : ""; }
  function toLocal(iso) { return iso ? iso.slice(0, 16) : ""; }

  wizard.teams.forEach(function (team) {
    var label = document.createElement("label");
    label.className = "check";
    var box = document.createElement("input");
    box.type = "checkbox";
    box.value = team.id;
    box.className = "team-box";
    box.checked = !wizard.everyone;
    var dot = document.createElement("span");
    dot.className = "dot";
    dot.style.background = team.color || "#9ca3af";
    label.appendChild(box);
    label.appendChild(dot);
    label.appendChild(document.createTextNode(" " + team.name));
    teamsEl.appendChild(label);
  });
  if (everyone) {
    everyone.checked = true;
    everyone.addEventListener("change", function () {
      Array.prototype.forEach.call(document.querySelectorAll(".team-box"), function (b) { b.disabled = everyone.checked; });
    });
    everyone.dispatchEvent(new Event("change"));
  }

  function addRow(container, templateId, values) {
    var node = document.getElementById(templateId).content.firstElementChild.cloneNode(true);
    Object.keys(values || {}).forEach(function (key) {
      var input = node.querySelector('[data-f="' + key + '"]');
      if (!input) { return; }
      if (input.type === "checkbox") { input.checked = !!values[key]; } else { input.value = values[key]; }
    });
    node.querySelector("[data-remove]").addEventListener("click", function () { node.remove(); schedulePreview(); });
    container.appendChild(node);
  }

  function readRows(container, reader) {
    return Array.prototype.map.call(container.children, function (row) {
      var values = {};
      Array.prototype.forEach.call(row.querySelectorAll("[data-f]"), function (input) {
        values[input.dataset.f] = input.type === "checkbox" ? input.checked : input.value;
      });
      return reader(values);
    }).filter(function (x) { return x; });
  }

  function setPeriod(name) {
    var period = wizard.periods[name];
    if (!period) { return; }
    el("starts_at").value = toLocal(period[0]);
    el("ends_at").value = toLocal(period[1]);
    suggestId();
  }

  function suggestId() {
    if (idTouched) { return; }
    var kind = form.dataset.template || "contest";
    var start = el("starts_at").value || "";
    el("id").value = (kind.replace(/_/g, "-") + "-" + start.slice(0, 10)).replace(/[^A-Za-z0-9_-]/g, "");
  }

  function applyTemplate(template, definition) {
    form.dataset.template = template ? template.key : "contest";
    Array.prototype.forEach.call(document.querySelectorAll(".template"), function (b) {
      b.setAttribute("aria-pressed", template && b.dataset.key === template.key ? "true" : "false");
    });
    if (template) { el("name").value = template.name.replace(/\s*\(.*\)$/, ""); }
    else { el("name").value = definition.name || ""; }
    el("kind").value = definition.kind || "individual";
    el("team_score").value = definition.team_score || "sum";
    el("target").value = definition.target || "";
    el("goal").value = definition.goal || "";
    var margin = definition.multipliers && definition.multipliers.category && definition.multipliers.category.high_margin;
    el("high_margin").value = margin || "";
    rulesEl.textContent = "";
    (definition.rules || []).forEach(function (rule) { addRow(rulesEl, "rule-template", rule); });
    prizesEl.textContent = "";
    (definition.prizes || []).forEach(function (prize) {
      var rank = prize.rank === undefined ? [] : (Array.isArray(prize.rank) ? prize.rank : [prize.rank, prize.rank]);
      addRow(prizesEl, "prize-template", {from: rank[0] || "", to: rank[1] || "", threshold: prize.threshold || "",
                                          prize: prize.prize, board: prize.board || "reps"});
    });
    if (template) { setPeriod(template.period); }
    else { el("starts_at").value = toLocal(definition.starts_at); el("ends_at").value = toLocal(definition.ends_at); }
    schedulePreview();
  }

  var templatesEl = document.getElementById("templates");
  wizard.templates.forEach(function (template) {
    var button = document.createElement("button");
    button.type = "button";
    button.className = "template";
    button.dataset.key = template.key;
    var title = document.createElement("strong");
    title.textContent = template.name;
    var blurb = document.createElement("span");
    blurb.textContent = template.blurb;
    button.appendChild(title);
    button.appendChild(blurb);
    button.addEventListener("click", function () { applyTemplate(template, template.definition); });
    templatesEl.appendChild(button);
  });

  function number(value) { return value === "" || value === undefined ? undefined : Number(value); }

  function definition(draft) {
    var body = {
      id: el("id").value.trim(),
      name: el("name").value.trim(),
      kind: el("kind").value,
      starts_at: toIso(el("starts_at").value),
      ends_at: toIso(el("ends_at").value),
      timezone: wizard.timezone,
      team_score: el("team_score").value
    };
    if (!everyone || !everyone.checked) {
      body.teams = Array.prototype.filter.call(document.querySelectorAll(".team-box"), function (b) { return b.checked; })
        .map(function (b) { return b.value; });
    }
    if (number(el("target").value)) { body.target = number(el("target").value); }
    if (number(el("goal").value)) { body.goal = number(el("goal").value); }
    if (number(el("high_margin").value)) { body.multipliers = {category: {high_margin: el("high_margin").value}}; }
    body.rules = readRows(rulesEl, function (v) {
      var rule = {on: v.on};
      if (number(v.points)) { rule.points = number(v.points); }
      if (number(v.points_per)) { rule.points_per = number(v.points_per); }
      if (number(v.cap_per_day)) { rule.cap_per_day = number(v.cap_per_day); }
      if (v.new_customer_only) { rule.new_customer_only = true; }
      return rule;
    });
    body.prizes = readRows(prizesEl, function (v) {
      if (!v.prize.trim()) { return null; }
      var prize = {prize: v.prize.trim(), board: v.board};
      if (number(v.threshold)) { prize.threshold = number(v.threshold); }
      else { var from = number(v.from) || 1, to = number(v.to) || from; prize.rank = from === to ? from : [from, to]; }
      return prize;
    });
    if (draft) { body.draft = true; }
    return body;
  }

  function schedulePreview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(preview, 250);
  }

  var errorsEl = document.getElementById("wizard-errors");
  var pastStart = document.getElementById("past-start");
  function preview() {
    var start = toIso(el("starts_at").value);  // a past start: launching scores what is logged since then
    pastStart.hidden = !(start && new Date(start).getTime() < Date.now());
    C.api("POST", "/api/v1/contests/preview", definition(false)).then(function (result) {
      if (!result.ok) { return; }
      document.getElementById("preview-zh").textContent = result.data.rules["zh-CN"] || "—";
      document.getElementById("preview-en").textContent = result.data.rules.en || "—";
      errorsEl.textContent = "";
      if (result.data.errors.length) { C.showErrors(errorsEl, {data: {error: "", errors: result.data.errors}}); }
    });
  }

  function submit(draft) {
    C.api("POST", "/api/v1/contests", definition(draft)).then(function (result) {
      if (result.ok) { location.href = "/admin/contests/" + encodeURIComponent(result.data.id); }
      else { C.showErrors(errorsEl, result); }
    });
  }

  form.addEventListener("input", function (event) {
    if (event.target === el("id")) { idTouched = true; }
    schedulePreview();
  });
  form.addEventListener("change", schedulePreview);
  form.addEventListener("submit", function (event) { event.preventDefault(); submit(false); });
  document.getElementById("save-draft").addEventListener("click", function () { submit(true); });
  document.getElementById("add-rule").addEventListener("click", function () { addRow(rulesEl, "rule-template", {on: "deal.won"}); });
  document.getElementById("add-prize").addEventListener("click", function () { addRow(prizesEl, "prize-template", {board: "reps"}); });
  Array.prototype.forEach.call(document.querySelectorAll("[data-period]"), function (button) {
    button.addEventListener("click", function () { setPeriod(button.dataset.period); schedulePreview(); });
  });

  // The pre-launch simulator (simulator.js) reads the draft from here.
  window.arenaWizard = {definition: definition, toIso: toIso};

  if (wizard.clone) { applyTemplate(null, wizard.clone); } else { applyTemplate(wizard.templates[0], wizard.templates[0].definition); }
})();

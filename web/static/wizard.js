/* Contest wizard: a template fills rules, schedule and prizes; every change is previewed as plain words in
   both languages (validated by the server, nothing stored); Launch posts the definition to the API. */
(function () {
  "use strict";
  var wizard = JSON.parse(document.getElementById("wizard-config").textContent);
  var C = window.arenaConsole;
  var form = document.getElementById("wizard");
  var rulesEl = document.getElementById("rules");
  var prizesEl = document.getElementById("prizes");
  var awardRows = Array.prototype.slice.call(document.querySelectorAll("#awards .award-row"));
  var teamsEl = document.getElementById("teams");
  var everyone = document.getElementById("everyone");
  var idTouched = false;
  var previewTimer = null;

  function el(name) { return form.elements[name]; }
  var Fair = window.wizardFairness(form, wizard, function () { schedulePreview(); });

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

  /* Per-product multipliers typed as "A100=1.5, S1=2" (a rule's multipliers.product); a pair that does not
     read as name=factor is sent as typed, so the server names the field at fault. */
  function withProducts(rule) {
    var table = rule.multipliers && rule.multipliers.product;
    if (!table) { return rule; }
    var copy = Object.assign({}, rule);
    copy.products = Object.keys(table).map(function (name) { return name + "=" + table[name]; }).join(", ");
    return copy;
  }

  function productFactors(text) {
    var table = {}, any = false;
    text.split(/[,，;；]/).forEach(function (pair) {
      var parts = pair.split(/[=＝]/);
      var name = (parts[0] || "").trim();
      if (!name) { return; }
      table[name] = parts.length > 1 ? parts[1].trim() : "";
      any = true;
    });
    return any ? table : null;
  }

  function readRows(container, reader, path) {
    return Array.prototype.map.call(container.children, function (row, index) {
      row.dataset.field = path + "[" + index + "]";
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

  /* The default id follows the name and the period (monthly-revenue-race-2026-12; a name in Chinese adds a short
     fingerprint of itself) and skips the ids already taken, so a second "this month" contest gets its own. */
  function slug(text) {
    return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 36).replace(/-+$/, "");
  }
  function fingerprint(text) {
    var hash = 2166136261;
    for (var i = 0; i < text.length; i += 1) { hash = Math.imul(hash ^ text.charCodeAt(i), 16777619) >>> 0; }
    return hash.toString(36).slice(0, 4);
  }
  function periodTag() {
    var start = el("starts_at").value || "", end = el("ends_at").value || "";
    var wholeMonth = start.slice(8, 16) === "01T00:00" && end.slice(8, 16) === "01T00:00";
    return wholeMonth ? start.slice(0, 7) : start.slice(0, 10);
  }
  function suggestId() {
    if (idTouched) { return; }
    var name = el("name").value.trim();
    var base = slug(name);
    if (!base || /[^\x00-\x7f]/.test(name)) {
      base = (base || (form.dataset.template || "contest").replace(/_/g, "-")) + (name ? "-" + fingerprint(name) : "");
    }
    var id = (base + "-" + periodTag()).replace(/[^A-Za-z0-9_-]/g, "").replace(/^-+/, "").slice(0, 60);
    var candidate = id, n = 2;
    while (wizard.taken.indexOf(candidate) >= 0) { candidate = id + "-" + n; n += 1; }
    el("id").value = candidate;
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
    (definition.rules || []).forEach(function (rule) { addRow(rulesEl, "rule-template", withProducts(rule)); });
    prizesEl.textContent = "";
    (definition.prizes || []).forEach(function (prize) {
      var rank = prize.rank === undefined ? [] : (Array.isArray(prize.rank) ? prize.rank : [prize.rank, prize.rank]);
      addRow(prizesEl, "prize-template", {from: rank[0] || "", to: rank[1] || "", threshold: prize.threshold || "",
                                          prize: prize.prize, board: prize.board || "reps",
                                          reward_points: prize.reward_points || ""});
    });
    applyAwards(definition.awards || []);
    if (template) { setPeriod(template.period); }
    else { el("starts_at").value = toLocal(definition.starts_at); el("ends_at").value = toLocal(definition.ends_at); }
    Fair.apply(definition);
    suggestId();
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

  /* The awards as the API takes them (game/awards.py): the kinds ticked, in the page's order, each with its title
     when one is typed (else the award's own name in each language). A ticked row is named by its place in the
     list sent ("awards[1]"), so the server's errors land next to its title. */
  function readAwards() {
    var awards = [];
    awardRows.forEach(function (row) {
      var box = row.querySelector('[data-f="kind"]');
      delete row.dataset.field;
      if (!box.checked) { return; }
      row.dataset.field = "awards[" + awards.length + "]";
      var award = {kind: box.value};
      var title = row.querySelector('[data-f="title"]').value.trim();
      if (title) { award.title = title; }
      awards.push(award);
    });
    return awards;
  }

  awardRows.forEach(function (row) {  // typing a title gives the award
    var box = row.querySelector('[data-f="kind"]');
    row.querySelector('[data-f="title"]').addEventListener("input", function (event) {
      if (event.target.value.trim()) { box.checked = true; }
    });
  });

  function applyAwards(awards) {
    awardRows.forEach(function (row) {
      var given = awards.filter(function (a) { return a && a.kind === row.dataset.award; })[0];
      row.querySelector('[data-f="kind"]').checked = !!given;
      row.querySelector('[data-f="title"]').value = (given && given.title) || "";
    });
  }

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
      if (v.basis === "margin") { rule.basis = "margin"; }
      var products = productFactors(v.products || "");
      if (products) { rule.multipliers = {product: products}; }
      return rule;
    }, "rules");
    body.prizes = readRows(prizesEl, function (v) {
      var prize = {prize: v.prize.trim(), board: v.board};
      if (number(v.threshold)) { prize.threshold = number(v.threshold); }
      else { var from = number(v.from) || 1, to = number(v.to) || from; prize.rank = from === to ? from : [from, to]; }
      if (v.reward_points !== "") { prize.reward_points = Number(v.reward_points); }  // 0 or 1.5: the server says why not
      return prize;
    }, "prizes");
    var awards = readAwards();
    if (awards.length) { body.awards = awards; }
    Fair.extend(body);
    if (draft) { body.draft = true; }
    return body;
  }

  function schedulePreview() {
    clearTimeout(previewTimer);
    previewTimer = setTimeout(preview, 250);
  }

  var errorsEl = document.getElementById("wizard-errors");
  var pastStart = document.getElementById("past-start");
  var E = window.FieldErrors;
  /* A failed launch's errors stay next to their fields until those fields change: the live preview only
     replaces its own messages (field-errors.js sources). */
  function showProblems(result, source) {
    E.show(form, result, {summary: errorsEl, source: source, keep: source === "launch", decorate: function (error, node) {
      if (error.field !== "id" || !/already in use/.test(error.message)) { return; }
      var link = document.createElement("a");
      link.href = "/admin/contests/" + encodeURIComponent(el("id").value.trim());
      link.textContent = E.text.open;
      node.appendChild(document.createTextNode(" · "));
      node.appendChild(link);
    }});
  }
  function preview() {
    var start = toIso(el("starts_at").value);  // a past start: launching scores what is logged since then
    pastStart.hidden = !(start && new Date(start).getTime() < Date.now());
    C.api("POST", "/api/v1/contests/preview", Fair.forPreview(definition(false))).then(function (result) {
      if (!result.ok) { return; }
      document.getElementById("preview-zh").textContent = result.data.rules["zh-CN"] || "—";
      document.getElementById("preview-en").textContent = result.data.rules.en || "—";
      showProblems({data: {errors: result.data.errors}}, "preview");
      if (!result.data.errors.length) { E.clear(form, "preview"); }
    });
  }

  function submit(draft) {
    var body = definition(draft);
    var launchButtons = [document.getElementById("launch"), document.getElementById("save-draft")];
    launchButtons.forEach(function (b) { b.disabled = true; });
    var prepared = Fair.needsPreparing(body)
      ? C.api("POST", "/api/v1/contests/prepare", body).then(function (result) {
          return result.ok ? Object.assign(result.data.definition, draft ? {draft: true} : {}) : Promise.reject(result);
        })
      : Promise.resolve(body);
    prepared.then(function (ready) { return C.api("POST", "/api/v1/contests", ready); }).then(function (result) {
      if (result.ok) { location.href = "/admin/contests/" + encodeURIComponent(result.data.id); return; }
      return Promise.reject(result);
    }).catch(function (result) {
      launchButtons.forEach(function (b) { b.disabled = false; });
      if (result && result.status === 409) { wizard.taken.push(body.id); }
      showProblems(result && result.data ? result : {ok: false, data: {}}, "launch");
      var first = form.querySelector('[aria-invalid="true"]');  // the first field at fault, in view
      if (first) { first.scrollIntoView({block: "center"}); first.focus({preventScroll: true}); }
    });
  }

  form.addEventListener("input", function (event) {
    if (event.target === el("id")) { idTouched = el("id").value.trim() !== ""; }
    if (event.target === el("name")) { suggestId(); }
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
  window.arenaWizard = {definition: function (launch) { return Fair.forPreview(definition(launch)); },
                        periods: wizard.periods};

  if (wizard.clone) { applyTemplate(null, wizard.clone); } else { applyTemplate(wizard.templates[0], wizard.templates[0].definition); }
})();

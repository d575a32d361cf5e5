/* The wizard's fairness section: scoring by points, by percent of each rep's target (targets pasted or read from a
   CSV file, matched to reps by id or name and previewed row by row before launch) or by improvement on their own
   past; divisions per team, from the targets file, or leagues of similar past performance.
   window.wizardFairness(form, wizard, changed) -> {apply(definition), extend(body), forPreview(body), needsPreparing(body)}.
   Improvement and leagues are measured on the event log by POST /contests/prepare before the contest is created. */
(function () {
  "use strict";

  /* One CSV line into cells: commas, tabs (a spreadsheet's paste), semicolons or "，"; quotes keep a separator. */
  function cells(line) {
    var out = [], cell = "", quoted = false;
    for (var i = 0; i < line.length; i += 1) {
      var ch = line[i];
      if (quoted) {
        if (ch === '"' && line[i + 1] === '"') { cell += '"'; i += 1; } else if (ch === '"') { quoted = false; } else { cell += ch; }
      } else if (ch === '"') { quoted = true; } else if (/[,\t;，]/.test(ch)) { out.push(cell.trim()); cell = ""; } else { cell += ch; }
    }
    out.push(cell.trim());
    return out;
  }

  function wholePoints(text) {
    var clean = String(text || "").replace(/[,\s_]/g, "");
    if (!/^\d+$/.test(clean)) { return null; }
    var value = Number(clean);
    return value >= 1 && value <= 2147483647 ? value : null;
  }

  /* Every row of the targets text, matched to a rep by id, then by name (a name two reps share is not guessed). */
  function matchTargets(text, reps) {
    var byId = {}, byName = {};
    reps.forEach(function (rep) {
      byId[rep.id] = rep;
      var key = rep.name.trim().toLowerCase();
      byName[key] = byName[key] ? "ambiguous" : rep;
    });
    var rows = [], seen = {};
    text.replace(/^\ufeff/, "").split(/\r\n|\n|\r/).forEach(function (raw, index) {
      if (!raw.trim()) { return; }
      var parts = cells(raw);
      var who = parts[0] || "", target = wholePoints(parts[1]), division = (parts[2] || "").trim();
      var row = {line: index + 1, written: who, target: parts[1] || "", division: division, rep: null, problem: ""};
      if (index === 0 && target === null && !byId[who] && !byName[who.toLowerCase()]) { row.problem = "header"; rows.push(row); return; }
      var rep = byId[who] || byName[who.trim().toLowerCase()];
      if (rep === "ambiguous") { row.problem = "ambiguous"; }
      else if (!rep) { row.problem = "unknown"; }
      else if (target === null) { row.problem = "bad_target"; row.rep = rep; }
      else if (seen[rep.id]) { row.problem = "twice"; row.rep = rep; }
      else { row.rep = rep; row.value = target; seen[rep.id] = true; }
      rows.push(row);
    });
    return rows;
  }

  function divisionName(text) { return String(text).replace(/[^A-Za-z0-9_-]+/g, "-").replace(/^-+|-+$/g, "").slice(0, 32); }

  window.wizardFairness = function (form, wizard, changed) {
    var T = JSON.parse(document.getElementById("wizard-text").textContent);
    var C = window.arenaConsole;
    var scoring = form.elements.scoring, mode = form.elements.divisions_mode;
    var text = document.getElementById("targets-text");
    var file = document.getElementById("targets-file");
    var table = document.getElementById("targets-rows");
    var summary = document.getElementById("targets-summary");
    var rows = [];

    var fill = ArenaText.fill;
    function number(input) { return input.value === "" ? undefined : Number(input.value); }

    function render() {
      rows = matchTargets(text.value, wizard.reps);
      var body = table.tBodies[0];
      body.textContent = "";
      var matched = 0, unmatched = 0;
      rows.forEach(function (row) {
        if (row.problem === "header") { return; }
        if (row.problem) { unmatched += 1; } else { matched += 1; }
        var tr = document.createElement("tr");
        tr.className = row.problem ? "row-error" : "row-ok";
        [row.line, row.written, row.rep ? row.rep.name + " (" + row.rep.id + ")" : "—", row.target, row.division || "—",
         row.problem ? T[row.problem] : T.matched].forEach(function (value, i) {
          var td = document.createElement("td");
          td.textContent = value;
          if (i === 0 || i === 3) { td.className = "num"; }
          tr.appendChild(td);
        });
        body.appendChild(tr);
      });
      table.hidden = !rows.length;
      summary.textContent = rows.length ? fill(T.summary, {matched: matched, unmatched: unmatched}) : "";
      warnMissing();
    }

    /* Without a target a rep's raw points would stand among percentages: say how many participants lack one. */
    function warnMissing() {
      var warning = document.getElementById("targets-missing");
      var everyone = document.getElementById("everyone");
      var teams = Array.prototype.filter.call(form.querySelectorAll(".team-box"), function (b) { return b.checked; })
        .map(function (b) { return b.value; });
      var targeted = targets();
      var missing = wizard.reps.filter(function (rep) {
        var taking = (everyone && everyone.checked) || teams.indexOf(rep.team) >= 0;
        return taking && !targeted[rep.id];
      }).length;
      var show = scoring.value === "percent_of_target" && missing > 0 && !form.elements.default_target.value;
      warning.hidden = !show;
      warning.textContent = show ? fill(T.missing, {n: missing}) : "";
    }

    function toggle() {
      var kind = scoring.value, division = mode.value;
      document.getElementById("targets-box").hidden = kind !== "percent_of_target";
      document.getElementById("improvement-box").hidden = kind !== "improvement";
      document.getElementById("leagues-box").hidden = division !== "leagues";
      warnMissing();
      Array.prototype.forEach.call(form.querySelectorAll("[data-explains]"), function (item) {
        item.hidden = item.dataset.explains !== kind && item.dataset.explains !== division;
      });
    }

    file.addEventListener("change", function () {
      var chosen = file.files[0];
      if (!chosen) { return; }
      var problem = C.fileTooLarge(chosen, wizard.csv_limit);
      if (problem) {
        file.value = "";
        window.FieldErrors.show(form, {data: {errors: [{field: "targets-file", text: problem}]}},
                                {source: "file", locate: function () { return file; }});
        return;
      }
      chosen.text().then(function (content) {
        text.value = content;
        render();
        changed();
      });
    });
    text.addEventListener("input", render);
    form.addEventListener("change", warnMissing);
    form.elements.default_target.addEventListener("input", warnMissing);
    scoring.addEventListener("change", toggle);
    mode.addEventListener("change", toggle);

    function targets() {
      var out = {};
      rows.forEach(function (row) { if (!row.problem) { out[row.rep.id] = row.value; } });
      return out;
    }

    function divisions(body) {
      var out = {};
      if (mode.value === "teams") {
        wizard.reps.forEach(function (rep) {
          if (!rep.team || (body.teams && body.teams.indexOf(rep.team) < 0)) { return; }
          var name = divisionName(rep.team);
          (out[name] = out[name] || []).push(rep.id);
        });
      } else if (mode.value === "file") {
        rows.forEach(function (row) {
          if (!row.rep || !row.division || row.problem === "twice") { return; }
          var name = divisionName(row.division);
          (out[name] = out[name] || []).push(row.rep.id);
        });
      }
      return out;
    }

    return {
      apply: function (definition) {
        scoring.value = definition.scoring === "percent_of_target" && definition.improvement ? "improvement"
          : (definition.scoring || "points");
        var named = definition.divisions && Object.keys(definition.divisions).length && !definition.leagues;
        var divisionOf = {};
        if (named) {
          Object.keys(definition.divisions).forEach(function (name) {
            definition.divisions[name].forEach(function (rep) { divisionOf[rep] = name; });
          });
        }
        mode.value = definition.leagues ? "leagues" : (named ? "file" : "");
        if (definition.leagues) {
          form.elements.league_size.value = definition.leagues.size;
          form.elements.league_promote.value = definition.leagues.promote;
          form.elements.league_relegate.value = definition.leagues.relegate;
        }
        form.elements.default_target.value = definition.default_target || "";
        text.value = definition.targets && !definition.improvement ? Object.keys(definition.targets).map(function (id) {
          return id + "," + definition.targets[id] + (divisionOf[id] ? "," + divisionOf[id] : "");
        }).join("\n") : "";
        render();
        toggle();
      },
      extend: function (body) {
        if (scoring.value === "percent_of_target") {
          body.scoring = "percent_of_target";
          body.targets = targets();
          if (number(form.elements.default_target)) { body.default_target = number(form.elements.default_target); }
        } else if (scoring.value === "improvement") {
          body.scoring = "improvement";
          if (number(form.elements.improvement_floor)) { body.improvement = {floor: number(form.elements.improvement_floor)}; }
        }
        if (mode.value === "leagues") {
          body.leagues = {size: number(form.elements.league_size), promote: number(form.elements.league_promote),
                          relegate: number(form.elements.league_relegate)};
        } else if (mode.value) {
          body.divisions = divisions(body);
        }
        return body;
      },
      /* What the preview and the simulator understand: improvement and leagues are measured at launch. */
      forPreview: function (body) {
        var copy = Object.assign({}, body);
        if (copy.scoring === "improvement") { copy.scoring = "points"; delete copy.improvement; }
        delete copy.leagues;
        return copy;
      },
      needsPreparing: function (body) { return body.scoring === "improvement" || !!body.leagues; }
    };
  };
})();

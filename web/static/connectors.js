/* CRM connectors page: create (URL and secret shown once), test delivery, unmatched CRM users matched to reps
   in one click, latest deliveries, delete. Everything goes through /api/v1/connectors; refreshed every few
   seconds so deliveries and waiting CRM users show up as they arrive. Texts in #connectors-text. */
"use strict";
(function () {
  var C = window.arenaConsole, E = window.FieldErrors;
  var T = JSON.parse(document.getElementById("connectors-text").textContent);
  var list = document.getElementById("connectors"), template = document.getElementById("connector-template");
  var form = document.getElementById("new-connector");
  var fieldsets = Array.prototype.slice.call(form.querySelectorAll("fieldset[data-for]"));
  var when = new Intl.DateTimeFormat(C.config.locale, {timeZone: C.config.timezone, dateStyle: "short", timeStyle: "medium"});
  var cards = {};
  var REFRESH_MS = 3000;
  var SEPARATOR = C.config.locale.indexOf("zh") === 0 ? "、" : ", ";

  var fill = ArenaText.fill;
  function at(iso) { return iso ? when.format(new Date(iso)) : "—"; }
  function repName(id) { var i = T.reps.indexOf(id); return i < 0 ? id : T.rep_names[i]; }
  function cell(row, text, className) {
    var td = document.createElement("td"); td.textContent = text;
    if (className) { td.className = className; }
    row.appendChild(td); return td;
  }

  /* A refusal next to the fields at fault in this page's words, the rest in the form's .form-errors line. */
  function refused(target, r, action, quiet) {
    E.show(target, r, {summary: target.querySelector(".form-errors"), page: "connectors", action: action, quiet: quiet, focus: true});
  }
  function refusal(r, action) { return E.refusal(r, {page: "connectors", action: action}); }

  function randomSecret() {
    var bytes = new Uint8Array(24);
    window.crypto.getRandomValues(bytes);
    return Array.prototype.map.call(bytes, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }

  /* The creation form ------------------------------------------------------------------------------ */
  function chosenType() { return form.elements.type.value; }
  function showFields() {
    fieldsets.forEach(function (set) { var on = set.dataset.for === chosenType(); set.hidden = !on; set.disabled = !on; });
  }
  function freshSecret() {
    Array.prototype.forEach.call(form.querySelectorAll('input[name="config.secret"]'), function (input) { input.value = randomSecret(); });
  }

  function connectorBody() {
    var config = {};
    Array.prototype.forEach.call(form.querySelectorAll("fieldset:not([disabled]) input"), function (input) {
      var value = input.value.trim();
      if (!value) { return; }
      var key = input.name.slice("config.".length);
      config[key] = input.dataset.kind === "stages"
        ? value.split(/[,，]/).map(function (s) { return s.trim(); }).filter(Boolean) : value;
    });
    return {type: chosenType(), name: form.elements.name.value.trim(), config: config};
  }

  form.elements.type.addEventListener("change", showFields);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = connectorBody();
    E.clear(form);
    C.api("POST", "/api/v1/connectors", body).then(function (r) {
      if (!r.ok) { refused(form, r, "create", false); return; }
      document.getElementById("new-url").textContent = r.data.url;
      document.getElementById("new-secret").textContent = body.config.secret || "";
      document.getElementById("new-secret-line").hidden = !body.config.secret;
      var box = document.getElementById("connector-secret");
      box.hidden = false;
      box.scrollIntoView({block: "nearest"});
      form.reset(); showFields(); freshSecret();
      C.toast(C.config.text.saved);
      load();
    });
  });
  document.getElementById("secret-done").addEventListener("click", function () {
    document.getElementById("connector-secret").hidden = true;
    document.getElementById("new-secret").textContent = "";
  });

  /* What a delivery came to, in words -------------------------------------------------------------- */
  function describe(d) {
    var label = T.outcomes[d.outcome] || d.outcome, details = "";
    if (d.reason) { label += ": " + (T.reasons[d.reason] || T.reasons.error); }
    if (d.events && d.events.length) {
      details = d.events.map(function (e) {
        var names = (e.fields || []).map(function (f) { return T.event_fields[f] || T.event_content; });
        if (!names.length) { names = [T.event_content]; }
        return fill(T.event_refused, {number: e.number, fields: names.join(SEPARATOR)});
      }).join("; ");
    } else if (d.outcome !== "rejected" && d.outcome !== "test") {
      details = fill(T.counts, {accepted: d.accepted || 0, held: d.held || 0, duplicates: d.duplicates || 0});
    }
    return {label: label, details: details};
  }

  /* One card per connector ------------------------------------------------------------------------- */
  function card(connector) {
    var entry = cards[connector.id];
    if (entry) { return entry; }
    var el = template.content.firstElementChild.cloneNode(true);
    el.dataset.connector = connector.id;
    el.querySelector(".c-name").textContent = connector.name;
    el.querySelector(".c-type").textContent = T.types[connector.type] || connector.type;
    var url = el.querySelector(".c-url");
    url.id = "url-" + connector.id; url.textContent = connector.url;
    el.querySelector(".c-copy").dataset.copy = url.id;
    var test = el.querySelector(".c-test");
    test.hidden = connector.type !== "generic" && connector.type !== "fxiaoke";
    test.addEventListener("click", function () { sendTest(connector, el, test); });
    el.querySelector(".c-delete").addEventListener("click", function () {
      if (!window.confirm(T.confirm_delete)) { return; }
      C.api("DELETE", "/api/v1/connectors/" + connector.id).then(function (r) {
        if (!r.ok && r.status !== 404) { C.toast(refusal(r, "delete")); return; }
        el.remove(); delete cards[connector.id]; load();
      });
    });
    list.appendChild(el);
    entry = cards[connector.id] = {el: el, unmapped: "", deliveries: ""};
    return entry;
  }

  function sendTest(connector, el, button) {
    var out = el.querySelector(".c-test-result");
    out.className = "c-test-result"; out.textContent = T.test_sending; button.disabled = true;
    C.api("POST", "/api/v1/connectors/" + connector.id + "/test").then(function (r) {
      button.disabled = false;
      if (!r.ok) { out.classList.add("bad"); out.textContent = refusal(r, "test"); return; }
      var said = describe(r.data);
      out.classList.add(r.data.outcome === "test" && !r.data.rejected ? "good" : "bad");
      out.textContent = said.label + (said.details ? " · " + said.details : "");
      refresh(connector.id);
    });
  }

  function repSelect(owner) {
    var select = document.createElement("select");
    select.name = "rep";
    select.setAttribute("aria-label", T.choose_rep + ": " + owner);
    var none = document.createElement("option"); none.value = ""; none.textContent = T.choose_rep;
    select.appendChild(none);
    T.reps.forEach(function (id, i) {
      var option = document.createElement("option");
      option.value = id; option.textContent = T.rep_names[i] + " (" + id + ")";
      select.appendChild(option);
    });
    return select;
  }

  function mapRow(connectorId, owner, el) {
    var row = document.createElement("tr");
    row.dataset.crmUser = owner.crm_user;
    cell(row, owner.crm_user);
    cell(row, String(owner.held), "num");
    cell(row, at(owner.last_seen));
    cell(row, owner.example_deal || "—");
    var td = document.createElement("td"), mapForm = document.createElement("form");
    mapForm.className = "map-form";
    var select = repSelect(owner.crm_user), button = document.createElement("button"), errors = document.createElement("span");
    button.className = "primary"; button.textContent = T.map; errors.className = "form-errors";
    button.setAttribute("aria-label", T.map + ": " + owner.crm_user);
    mapForm.appendChild(select); mapForm.appendChild(button); mapForm.appendChild(errors);
    td.appendChild(mapForm); row.appendChild(td);
    mapForm.addEventListener("submit", function (event) {
      event.preventDefault();
      var rep = select.value;
      if (!rep) { refused(mapForm, {status: 422, data: {errors: [{field: "rep"}]}}, "map", true); return; }
      button.disabled = true;
      C.api("POST", "/api/v1/connectors/" + connectorId + "/map", {crm_user: owner.crm_user, rep: rep}).then(function (r) {
        button.disabled = false;
        if (!r.ok) { refused(mapForm, r, "map", true); return; }
        var text = r.data.accepted ? T.mapped : T.mapped_none;
        el.querySelector(".c-map-result").textContent = fill(text, {crm_user: r.data.crm_user, rep: repName(r.data.rep), accepted: r.data.accepted});
        row.remove();  // matched: its chosen rep must not keep the table "busy" and the row on show
        cards[connectorId].unmapped = "";
        refresh(connectorId);
      });
    });
    return row;
  }

  function busy(table) {
    return Array.prototype.some.call(table.querySelectorAll("select"), function (s) { return s.value !== "" || s === document.activeElement; });
  }

  function showUnmapped(connectorId, owners) {
    var entry = cards[connectorId], table = entry.el.querySelector(".c-unmapped");
    var key = JSON.stringify(owners);
    if (key === entry.unmapped || busy(table)) { return; }
    entry.unmapped = key;
    var body = table.querySelector("tbody");
    body.textContent = "";
    owners.forEach(function (owner) { body.appendChild(mapRow(connectorId, owner, entry.el)); });
    table.hidden = !owners.length;
    entry.el.querySelector(".c-unmapped-none").hidden = !!owners.length;
  }

  function showDeliveries(connectorId, deliveries) {
    var entry = cards[connectorId], key = JSON.stringify(deliveries);
    if (key === entry.deliveries) { return; }
    entry.deliveries = key;
    var table = entry.el.querySelector(".c-deliveries"), body = table.querySelector("tbody");
    body.textContent = "";
    deliveries.forEach(function (d) {
      var row = document.createElement("tr"), said = describe(d);
      row.dataset.outcome = d.outcome;
      cell(row, at(d.at));
      cell(row, said.label, "outcome outcome-" + d.outcome);
      cell(row, said.details);
      body.appendChild(row);
    });
    table.hidden = !deliveries.length;
    entry.el.querySelector(".c-deliveries-none").hidden = !!deliveries.length;
  }

  function refresh(connectorId) {
    var base = "/api/v1/connectors/" + connectorId;
    return Promise.all([C.api("GET", base + "/unmapped"), C.api("GET", base + "/deliveries")]).then(function (r) {
      if (!cards[connectorId]) { return; }
      if (r[0].ok) { showUnmapped(connectorId, r[0].data.owners || []); }
      if (r[1].ok) { showDeliveries(connectorId, r[1].data.deliveries || []); }
    });
  }

  function load() {
    return C.api("GET", "/api/v1/connectors").then(function (r) {
      if (!r.ok) { return; }
      var seen = {};
      (r.data.connectors || []).forEach(function (connector) { seen[connector.id] = true; card(connector); });
      Object.keys(cards).forEach(function (id) { if (!seen[id]) { cards[id].el.remove(); delete cards[id]; } });
      document.getElementById("no-connectors").hidden = Object.keys(seen).length > 0;
      return Promise.all(Object.keys(seen).map(refresh));
    });
  }

  showFields(); freshSecret(); load();
  setInterval(function () { if (!document.hidden) { load(); } }, REFRESH_MS);
})();

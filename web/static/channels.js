/* Chat channels page: add a channel, send a test, pause/resume, delete; see delivery failures and the
   messages set aside (dead letters), send one again or discard it. Everything goes through
   /api/v1/notifications; refreshed every few seconds. Texts in #channels-text. */
"use strict";
(function () {
  var C = window.arenaConsole, E = window.FieldErrors;
  var T = JSON.parse(document.getElementById("channels-text").textContent);
  var form = document.getElementById("new-channel");
  var table = document.getElementById("channels"), letters = document.getElementById("dead-letters");
  var when = new Intl.DateTimeFormat(C.config.locale, {timeZone: C.config.timezone, dateStyle: "short", timeStyle: "medium"});
  var shown = {channels: "", letters: ""};
  var REFRESH_MS = 3000;

  var fill = ArenaText.fill;
  function at(iso) { return iso ? when.format(new Date(iso)) : "—"; }
  function cell(row, text, className) {
    var td = document.createElement("td"); td.textContent = text;
    if (className) { td.className = className; }
    row.appendChild(td); return td;
  }
  function button(text, className, onClick) {
    var b = document.createElement("button"); b.type = "button"; b.textContent = text;
    if (className) { b.className = className; }
    b.addEventListener("click", function () { onClick(b); });
    return b;
  }
  function technical(parent, text) {
    var details = document.createElement("details"), summary = document.createElement("summary"), code = document.createElement("code");
    summary.textContent = T.technical; code.textContent = text;
    details.appendChild(summary); details.appendChild(code); parent.appendChild(details);
  }
  /* A refusal: next to the fields at fault in this page's words (the rest below the form), or in words for a button. */
  function refusal(r, action) { return E.refusal(r, {page: "channels", action: action}); }
  function say(id, text, good) {
    var out = document.getElementById(id);
    out.className = good ? "good" : "bad"; out.textContent = text;
  }

  /* The creation form ------------------------------------------------------------------------------ */
  function showSecret() {
    var signed = T.signed.indexOf(form.elements.type.value) >= 0;
    document.getElementById("secret-field").hidden = !signed;
    if (!signed) { form.elements.secret.value = ""; }
  }
  function channelBody() {
    var body = {type: form.elements.type.value, name: form.elements.name.value.trim(), url: form.elements.url.value.trim()};
    var secret = form.elements.secret.value.trim(), locale = form.elements.locale.value, amount = form.elements.min_amount.value.trim();
    if (secret) { body.secret = secret; }
    if (locale) { body.locale = locale; }
    if (amount) { body.min_amount = amount; }
    var attempts = form.elements.max_attempts.value.trim();
    if (attempts) { body.max_attempts = /^\d+$/.test(attempts) ? parseInt(attempts, 10) : attempts; }
    body.events = Array.prototype.filter.call(form.querySelectorAll('input[name="events"]'), function (b) { return b.checked; })
      .map(function (b) { return b.value; });
    return body;
  }
  form.elements.type.addEventListener("change", showSecret);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    E.clear(form);
    C.api("POST", "/api/v1/notifications/channels", channelBody()).then(function (r) {
      if (!r.ok) { E.show(form, r, {summary: form.querySelector(".form-errors"), page: "channels", action: "create", focus: true}); return; }
      form.reset(); showSecret();
      C.toast(C.config.text.saved);
      load();
    });
  });

  /* Channels --------------------------------------------------------------------------------------- */
  function act(channel, action, b) {
    b.disabled = true;
    if (action === "test") { say("channel-result", T.test_sending, true); }
    var url = "/api/v1/notifications/channels/" + channel.id + (action === "delete" ? "" : "/" + action);
    C.api(action === "delete" ? "DELETE" : "POST", url).then(function (r) {
      b.disabled = false;
      if (!r.ok) { say("channel-result", refusal(r, action), false); return; }
      if (action === "test") { say("channel-result", fill(T.test_sent, {name: channel.name}), true); }
      shown.channels = ""; load();
    });
  }

  function deliveryCell(row, channel) {
    var d = channel.delivery || {}, td = document.createElement("td"), lines = [];
    lines.push(d.last_success_at ? fill(T.last_ok, {when: at(d.last_success_at)}) : T.never);
    if (d.waiting) { lines.push(fill(T.waiting, {count: d.waiting})); }
    if (d.dropped) { lines.push(fill(T.dropped, {count: d.dropped})); }
    lines.forEach(function (text) { var div = document.createElement("div"); div.textContent = text; td.appendChild(div); });
    if (d.last_error && (!d.last_success_at || d.last_error_at > d.last_success_at)) {
      var fail = document.createElement("div");
      fail.className = "ch-failure"; fail.textContent = fill(T.failing, {when: at(d.last_error_at)});
      td.appendChild(fail); technical(td, d.last_error);
    }
    row.appendChild(td);
  }

  function channelRow(channel) {
    var row = document.createElement("tr");
    row.dataset.channel = channel.id;
    var name = cell(row, channel.name), host = document.createElement("div");
    host.className = "muted"; host.textContent = channel.host; name.appendChild(host);
    cell(row, T.types[channel.type] || channel.type);
    cell(row, channel.paused ? T.paused : T.active, "ch-status " + (channel.paused ? "paused" : "active"));
    deliveryCell(row, channel);
    var td = document.createElement("td"), actions = document.createElement("div");
    actions.className = "ch-actions";
    actions.appendChild(button(T.test, "", function (b) { act(channel, "test", b); }));
    actions.appendChild(button(channel.paused ? T.resume : T.pause, "", function (b) { act(channel, channel.paused ? "resume" : "pause", b); }));
    actions.appendChild(button(T["delete"], "danger", function (b) { if (window.confirm(T.confirm_delete)) { act(channel, "delete", b); } }));
    td.appendChild(actions); row.appendChild(td);
    return row;
  }

  /* Rebuild a table when what it shows changed; `empty` is the sentence shown instead of an empty table. */
  function showRows(name, element, empty, items, row) {
    var key = JSON.stringify(items);
    if (key === shown[name]) { return; }
    shown[name] = key;
    var body = element.querySelector("tbody");
    body.textContent = "";
    items.forEach(function (item) { body.appendChild(row(item)); });
    element.hidden = !items.length;
    document.getElementById(empty).hidden = !!items.length;
  }

  /* Messages set aside ----------------------------------------------------------------------------- */
  function letterAction(letter, action, b) {
    b.disabled = true;
    var request = action === "retry"
      ? C.api("POST", "/api/v1/notifications/dead-letters/" + letter.id + "/retry")
      : C.api("DELETE", "/api/v1/notifications/dead-letters/" + letter.id);
    request.then(function (r) {
      b.disabled = false;
      if (!r.ok) { say("dead-letter-result", refusal(r, action), false); return; }
      if (action === "retry") { say("dead-letter-result", fill(T.requeued, {name: letter.channel_name || letter.channel}), true); }
      shown.letters = ""; load();
    });
  }

  function letterRow(letter) {
    var row = document.createElement("tr");
    row.dataset.letter = letter.id;
    cell(row, at(letter.failed_at));
    cell(row, letter.channel_name || letter.channel);
    var what = cell(row, T.letter_kinds[letter.kind] || letter.kind);
    if (letter.summary) { var s = document.createElement("div"); s.className = "muted"; s.textContent = letter.summary; what.appendChild(s); }
    cell(row, String(letter.attempts), "num");
    var why = cell(row, T.refused);
    technical(why, letter.error);
    var td = document.createElement("td"), actions = document.createElement("div");
    actions.className = "ch-actions";
    actions.appendChild(button(T.retry, "primary", function (b) { letterAction(letter, "retry", b); }));
    actions.appendChild(button(T.discard, "danger", function (b) { if (window.confirm(T.confirm_discard)) { letterAction(letter, "discard", b); } }));
    td.appendChild(actions); row.appendChild(td);
    return row;
  }

  function load() {
    return Promise.all([C.api("GET", "/api/v1/notifications/channels"), C.api("GET", "/api/v1/notifications/dead-letters")]).then(function (r) {
      if (r[0].ok) { showRows("channels", table, "no-channels", r[0].data.channels || [], channelRow); }
      if (r[1].ok) { showRows("letters", letters, "no-dead-letters", r[1].data.dead_letters || [], letterRow); }
    });
  }

  showSecret(); load();
  setInterval(function () { if (!document.hidden) { load(); } }, REFRESH_MS);
})();

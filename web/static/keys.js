/* API keys page: lists the keys with a revoke button each (texts in #keys-text). */
"use strict";
(function () {
  var C = window.arenaConsole, T = JSON.parse(document.getElementById("keys-text").textContent);
  var body = document.querySelector("#keys tbody");
  var when = new Intl.DateTimeFormat(C.config.locale, {timeZone: C.config.timezone, dateStyle: "medium", timeStyle: "short"});
  function load() {
    C.api("GET", "/api/v1/keys").then(function (r) {
      body.textContent = "";
      (r.data.keys || []).forEach(function (k) {
        var tr = document.createElement("tr");
        [k.id, k.name, k.scope, k.created_at ? when.format(new Date(k.created_at)) : "—"].forEach(function (v) {
          var td = document.createElement("td"); td.textContent = v; tr.appendChild(td);
        });
        var td = document.createElement("td"), button = document.createElement("button");
        button.className = "danger"; button.textContent = T.revoke;
        button.dataset.api = "DELETE /api/v1/keys/" + k.id; button.dataset.confirm = T.confirm;
        td.appendChild(button); tr.appendChild(td); body.appendChild(tr);
      });
    });
  }
  load();
  document.addEventListener("submit", function () { setTimeout(load, 500); });
})();

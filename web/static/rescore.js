/* Contest page: starts a rescore and shows its progress. */
"use strict";
(function () {
  var button = document.getElementById("rescore");
  if (!button) { return; }
  var bar = document.getElementById("rescore-progress");
  var C = window.arenaConsole;
  function poll() {
    C.api("GET", "/api/v1/contests/" + encodeURIComponent(button.dataset.contest) + "/rescore").then(function (r) {
      if (!r.ok) { return; }
      bar.hidden = false;
      var share = r.data.total ? r.data.done / r.data.total : (r.data.state === "idle" ? 1 : 0);
      bar.firstElementChild.style.width = Math.round(share * 100) + "%";
      if (r.data.state === "running") { setTimeout(poll, 700); } else { button.disabled = false; C.toast(C.config.text.done); }
    });
  }
  button.addEventListener("click", function () {
    button.disabled = true;
    C.api("POST", "/api/v1/contests/" + encodeURIComponent(button.dataset.contest) + "/rescore", {}).then(function (r) {
      if (r.ok) { C.toast(C.config.text.running); setTimeout(poll, 300); }
      else { button.disabled = false; C.showErrors(document.getElementById("action-errors"), r); }
    });
  });
})();

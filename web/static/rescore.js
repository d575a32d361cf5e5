/* Contest page: starts a rescore and shows its progress; shows the scoring of a past window (a contest
   created or launched with a start in the past) while it runs. */
"use strict";
(function () {
  var box = document.getElementById("window-scoring");
  if (!box) { return; }
  var C = window.arenaConsole;
  function follow() {
    C.api("GET", "/api/v1/contests/" + encodeURIComponent(box.dataset.contest) + "/rescore").then(function (r) {
      var window_ = r.ok && r.data.window;
      if (!window_) { return; }
      box.hidden = false;
      box.querySelector(".progress span").style.width = Math.round(window_.share * 100) + "%";
      box.querySelector("[data-state=running]").hidden = window_.state !== "running";
      box.querySelector("[data-state=done]").hidden = window_.state !== "done";
      if (window_.state === "running") { setTimeout(follow, 500); }
    });
  }
  follow();
})();
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

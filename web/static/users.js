/* Users page: shows the rep or team fields that fit the chosen role. */
"use strict";
(function () {
  var role = document.getElementById("new-role");
  function sync() { document.querySelectorAll("[data-for-role]").forEach(function (el) { el.hidden = el.dataset.forRole !== role.value; el.querySelector("select").disabled = el.hidden; }); }
  role.addEventListener("change", sync); sync();
})();

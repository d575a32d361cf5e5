/* The API's refusals shown next to the fields they name, in the page's language: each field has a
   <span class="field-error" data-for="NAME" data-message="..."> with the page's own translated words, so no
   server English reaches the page. A refusal that names no field on the form gets the form's generic line,
   or the words the box has for its status (data-status-409="..."). */
(function () {
  "use strict";
  function topField(field) { return String(field || "").split(/[.[]/)[0]; }

  function clear(form) {
    Array.prototype.forEach.call(form.querySelectorAll(".field-error"), function (span) { span.textContent = ""; });
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (el) { el.removeAttribute("aria-invalid"); });
  }

  function show(form, result, box) {
    clear(form);
    if (box) { box.textContent = ""; }
    var data = result.data || {};
    var errors = data.errors || [];
    var unplaced = errors.length === 0;
    errors.forEach(function (error) {
      var path = String(error.field || "").split(".")[0];  /* rules[2] before rules: the row itself */
      var span = form.querySelector('.field-error[data-for="' + path + '"]') ||
        form.querySelector('.field-error[data-for="' + topField(error.field) + '"]');
      if (!span) { unplaced = true; return; }
      span.textContent = span.dataset.message;
      var label = span.closest("label");
      var input = label && label.querySelector("input, select, textarea");
      if (input) { input.setAttribute("aria-invalid", "true"); }
    });
    if (box && unplaced) { box.textContent = box.dataset["status" + result.status] || box.dataset.generic; }
  }

  window.arenaFieldErrors = {show: show, clear: clear};
})();

/* Refusals of the API shown next to the field they concern, in the page's language.
   Inputs say which API field they hold with data-error-for="config.secret"; the page's texts give one
   sentence per field ("fields", with "config.*" as a family's fallback) and per HTTP status ("status",
   "status_page" keyed by "<action>.<status>"). The API's own English never reaches the reader. A form with
   data-quiet shows only the note next to the field when there is one. */
"use strict";
(function () {
  function clear(form) {
    Array.prototype.forEach.call(form.querySelectorAll(".field-error"), function (el) { el.remove(); });
    Array.prototype.forEach.call(form.querySelectorAll("[aria-invalid]"), function (el) {
      el.removeAttribute("aria-invalid"); el.removeAttribute("aria-describedby");
    });
    var general = form.querySelector(".form-errors");
    if (general) { general.textContent = ""; }
  }

  function fieldText(texts, field) {
    var fields = texts.fields || {};
    if (fields[field]) { return fields[field]; }
    var family = field.split(".")[0] + ".*";
    return fields[family] || texts.status.invalid;
  }

  function statusText(texts, action, status) {
    var page = texts.status_page || {};
    return page[action + "." + status] || texts.status[String(status)] || texts.status["default"];
  }

  var counter = 0;
  function mark(input, text) {
    var note = document.createElement("span");
    note.className = "field-error";
    note.id = "field-error-" + (++counter);
    note.textContent = text;
    input.setAttribute("aria-invalid", "true");
    input.setAttribute("aria-describedby", note.id);
    (input.closest("label") || input).insertAdjacentElement("afterend", note);
  }

  /* Show a failed result (from arenaConsole.api) on `form`; `action` names the request for status texts. */
  function show(form, result, texts, action) {
    clear(form);
    var data = result.data || {}, placed = 0, marked = {};
    (data.errors || []).forEach(function (error) {
      var field = error.field || "";
      var input = field && form.querySelector('[data-error-for="' + field.replace(/"/g, "") + '"]');
      if (input && !input.hidden && !marked[field]) {
        mark(input, fieldText(texts, field));
        marked[field] = true;
        placed += 1;
      }
    });
    var general = form.querySelector(".form-errors");
    var text = placed && result.status === 422 ? texts.status.form : statusText(texts, action, result.status);
    if (placed && form.dataset.quiet !== undefined) { text = ""; }
    if (general) { general.textContent = text; } else if (text) { window.arenaConsole.toast(text); }
    var first = form.querySelector("[aria-invalid]");
    if (first) { first.focus(); }
  }

  window.arenaFormErrors = {show: show, clear: clear, statusText: statusText};
})();

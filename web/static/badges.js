/* Badges page: a form to define or change a badge, a preview of who would hold it now before saving, and
   retire/restore with a confirmation. Every change is PUT /api/v1/badges/{id}. */
(function () {
  "use strict";
  var C = window.arenaConsole;
  var E = window.FieldErrors;
  var form = document.getElementById("badge-form");
  var box = document.getElementById("badge-errors");
  var result = document.getElementById("badge-preview-result");
  var NUMBERS = ["deals", "amount", "days", "customers"];

  function showKindFields() {
    var kind = form.elements.kind.value;
    Array.prototype.forEach.call(form.querySelectorAll("[data-kinds]"), function (label) {
      label.hidden = label.dataset.kinds.split(" ").indexOf(kind) < 0;
    });
  }

  function open(document_) {
    var doc = document_ || {};
    form.hidden = false;
    E.clear(form);
    result.hidden = true;
    var title = document.getElementById("badge-form-title");
    title.textContent = document_ ? title.dataset.edit : title.dataset.new;
    form.elements.id.value = doc.id || "";
    form.elements.id.readOnly = !!document_;
    form.elements.kind.value = doc.kind || "threshold";
    form.elements.period.value = doc.period || "month";
    form.elements.name_zh.value = (doc.name && doc.name["zh-CN"]) || "";
    form.elements.name_en.value = (doc.name && doc.name.en) || "";
    NUMBERS.forEach(function (name) { form.elements[name].value = doc[name] === undefined || doc[name] === null ? "" : doc[name]; });
    form.dataset.original = JSON.stringify(doc);
    showKindFields();
    form.scrollIntoView({block: "start"});
    form.elements[document_ ? "name_zh" : "id"].focus();
  }

  function body() {
    var original = JSON.parse(form.dataset.original || "{}");
    var doc = {kind: form.elements.kind.value, period: form.elements.period.value,
               name: {"zh-CN": form.elements.name_zh.value.trim(), "en": form.elements.name_en.value.trim()}};
    ["holidays", "workdays"].forEach(function (name) { if (original[name]) { doc[name] = original[name]; } });
    NUMBERS.forEach(function (name) {
      var input = form.elements[name];
      if (input.closest("label").hidden || input.value === "") { return; }
      doc[name] = name === "amount" ? input.value : Number(input.value);
    });
    return doc;
  }

  /* Next to the fields at fault in the page's own words; a refusal naming no field below the form. */
  function refused(r) { E.show(form, r, {summary: box, page: "badges", quiet: true}); }

  function url(suffix) {
    return "/api/v1/badges/" + encodeURIComponent(form.elements.id.value.trim() || "-") + (suffix || "");
  }

  function preview() {
    C.api("POST", url("/preview"), body()).then(function (r) {
      if (!r.ok) { result.hidden = true; refused(r); return; }
      E.clear(form);
      var line = result.querySelector(".preview-count");
      var words = !r.data.previewable ? line.dataset.closing : (r.data.count ? line.dataset.some : line.dataset.none);
      line.textContent = ArenaText.fill(words, {count: r.data.count, period: r.data.period});
      var list = document.getElementById("badge-preview-list");
      list.textContent = "";
      r.data.holders.forEach(function (holder) {
        var item = document.createElement("li");
        item.dataset.rep = holder.id;
        item.textContent = holder.name;
        list.appendChild(item);
      });
      result.hidden = false;
    });
  }

  function put(doc, errors) {
    var id = doc.id;
    var payload = {};
    Object.keys(doc).forEach(function (k) { if (k !== "id") { payload[k] = doc[k]; } });
    return C.api("PUT", "/api/v1/badges/" + encodeURIComponent(id), payload).then(function (r) {
      if (r.ok) { C.toast(C.config.text.saved); setTimeout(function () { location.reload(); }, 300); }
      else { C.showErrors(errors, {data: {error: C.config.text.failed}}); }
    });
  }

  document.getElementById("badge-new").addEventListener("click", function () { open(null); });
  document.getElementById("badge-cancel").addEventListener("click", function () { form.hidden = true; });
  document.getElementById("badge-preview").addEventListener("click", preview);
  form.elements.kind.addEventListener("change", showKindFields);
  form.addEventListener("submit", function (event) {
    event.preventDefault();
    C.api("PUT", url(), body()).then(function (r) {
      if (r.ok) { C.toast(C.config.text.saved); setTimeout(function () { location.reload(); }, 300); }
      else { refused(r); }
    });
  });
  document.getElementById("badge-list").addEventListener("click", function (event) {
    var button = event.target.closest("button[data-document]");
    if (!button) { return; }
    var doc = JSON.parse(button.dataset.document);
    if (button.classList.contains("badge-edit")) { open(doc); return; }
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) { return; }
    doc.disabled = button.classList.contains("badge-retire");
    put(doc, document.getElementById("badge-list-errors"));
  });
})();

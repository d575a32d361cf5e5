/* Managers' console: forms and buttons that call the JSON API with the session cookie and its CSRF token.
   <form data-api="PUT /api/v1/teams/{id}"> sends its fields as JSON ({field} in the URL comes from the form);
   <button data-api="POST /api/v1/contests/x/launch"> sends data-body. data-then: reload | show:<id> | go:<url>. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("console-config").textContent);
  var csrf = document.querySelector('meta[name="csrf-token"]').content;

  function api(method, url, body, contentType) {
    var headers = {"X-CSRF-Token": csrf, "Accept": "application/json"};
    var payload;
    if (body !== undefined && body !== null) {
      headers["Content-Type"] = contentType || "application/json";
      payload = typeof body === "string" || body instanceof Blob ? body : JSON.stringify(body);
    }
    return fetch(url, {method: method, headers: headers, body: payload, credentials: "same-origin"}).then(function (r) {
      if (r.status === 204) { return {ok: true, status: 204, data: null}; }
      return r.json().catch(function () { return {}; }).then(function (data) { return {ok: r.ok, status: r.status, data: data}; });
    });
  }

  function toast(text) {
    var el = document.createElement("div");
    el.className = "toast";
    el.setAttribute("role", "status");
    el.textContent = text;
    document.body.appendChild(el);
    setTimeout(function () { el.remove(); }, 2500);
  }

  /* An API error in the page's language: next to the fields at fault inside root (default: the container's
     form), the rest in container (field-errors.js); without a container, as a toast. */
  function showErrors(container, result, root, options) {
    var data = (result && result.data) || {};
    if (!container) {
      var first = data.errors && data.errors[0];
      var words = first ? window.FieldErrors.describe(first) : (data.error ? window.FieldErrors.translate(data.error) : "");
      toast(!words || words === window.FieldErrors.text.generic ? config.text.failed : words);
      return;
    }
    var opts = options || {};
    opts.summary = container;
    window.FieldErrors.show(root || container.closest("form") || container, result, opts);
  }

  /* "" when a chosen file fits under limit bytes, else why it is refused (checked before anything is read or sent). */
  function fileTooLarge(file, limit) {
    if (file.size <= limit) { return ""; }
    function mb(n) { return (n / 1048576).toFixed(1).replace(/\.0$/, ""); }
    return ArenaText.fill(window.FieldErrors.text.too_large, {name: file.name, size: mb(file.size), limit: mb(limit)});
  }

  /* A CSV chosen as a file (sent as it is, never loaded into the page, refused before upload when larger than
     limit bytes) or pasted into textarea; the returned function gives what to send: the one touched last. */
  function csvSource(fileInput, textarea, limit) {
    var chosen = null;
    fileInput.addEventListener("change", function () {
      var file = fileInput.files[0] || null;
      var problem = file ? fileTooLarge(file, limit) : "";
      chosen = problem ? null : file;
      if (problem) {
        fileInput.value = "";
        window.FieldErrors.show(fileInput.closest(".card") || document.body, {data: {errors: [{field: "file", text: problem}]}},
                                {source: "file", locate: function () { return fileInput; }});
      }
    });
    textarea.addEventListener("input", function () { chosen = null; fileInput.value = ""; });
    return function () { return chosen || textarea.value; };
  }

  function fieldValue(el) {
    var type = el.dataset.type || el.type;
    if (el.type === "checkbox") { return el.checked; }
    if (el.multiple) { return Array.prototype.map.call(el.selectedOptions, function (o) { return o.value; }); }
    var value = el.value;
    if (type === "int" || type === "number") { return value === "" ? undefined : parseInt(value, 10); }
    if (type === "json") { try { return value ? JSON.parse(value) : undefined; } catch (err) { return value; } }
    if (type === "nullable") { return value === "" ? null : value; }
    if (type === "dates") { return value.split(/[\s,，、]+/).filter(Boolean); }  /* one date a line (or by commas) */
    if (el.dataset.skipEmpty !== undefined && value === "") { return undefined; }
    return value;
  }

  function formBody(form) {
    var body = {};
    Array.prototype.forEach.call(form.elements, function (el) {
      if (!el.name || el.name === "csrf_token" || el.disabled) { return; }
      var value = fieldValue(el);
      if (value !== undefined) { body[el.name] = value; }
    });
    return body;
  }

  function then(element, result) {
    var how = element.dataset.then || "reload";
    if (how === "reload") { toast(config.text.saved); setTimeout(function () { location.reload(); }, 300); return; }
    if (how.indexOf("go:") === 0) { location.href = ArenaText.fill(how.slice(3), result.data); return; }
    if (how.indexOf("show:") === 0) {
      var target = document.getElementById(how.slice(5));
      target.hidden = false;
      Array.prototype.forEach.call(target.querySelectorAll("[data-field]"), function (el) {
        el.textContent = result.data[el.dataset.field] || "";
      });
      toast(config.text.saved);
    }
  }

  function split(spec) { var i = spec.indexOf(" "); return [spec.slice(0, i), spec.slice(i + 1)]; }

  document.addEventListener("submit", function (event) {
    var form = event.target;
    if (!form.dataset.api) { return; }
    event.preventDefault();
    var parts = split(form.dataset.api);
    var body = formBody(form);
    var url = parts[1].replace(/\{(\w+)\}/g, function (all, key) {
      var value = body[key]; delete body[key]; return encodeURIComponent(value);
    });
    var errors = form.querySelector(".form-errors");
    api(parts[0], url, body).then(function (result) {
      if (result.ok) { then(form, result); } else { showErrors(errors, result); }
    });
  });

  document.addEventListener("click", function (event) {
    var button = event.target.closest("button[data-api]");
    if (!button) {
      var copy = event.target.closest("button[data-copy]");
      if (copy) {
        var text = document.getElementById(copy.dataset.copy).textContent;
        if (navigator.clipboard) { navigator.clipboard.writeText(text).then(function () { toast(config.text.copied); }, function () {}); }
      }
      return;
    }
    event.preventDefault();
    if (button.dataset.confirm && !window.confirm(button.dataset.confirm)) { return; }
    var parts = split(button.dataset.api);
    var body = button.dataset.body ? JSON.parse(button.dataset.body) : (parts[0] === "POST" ? {} : null);
    if (button.dataset.prompt) {
      var answer = window.prompt(button.dataset.prompt, button.dataset.promptDefault || "");
      if (!answer) { return; }
      body = body || {};
      body[button.dataset.promptField] = answer;
    }
    button.disabled = true;
    api(parts[0], parts[1], body).then(function (result) {
      button.disabled = false;
      if (result.ok) { then(button, result); }
      else { showErrors(document.getElementById(button.dataset.errors || ""), result); }
    });
  });

  /* Work under way (an import, a check of every row, a simulation): the button waits and a progress bar with
     words stands beside it until the promise settles. With follow (a function answering a promise of
     {done, total}, or of null while nothing is known), the bar fills as the server reports how far it has come:
     asked three times a second, so even a short import shows its count. */
  function working(button, promise, follow) {
    var status = document.createElement("span");
    status.className = "working";
    status.setAttribute("role", "status");
    var bar = document.createElement("progress");
    var words = document.createTextNode(" " + config.text.working);
    status.appendChild(bar);
    status.appendChild(words);
    button.insertAdjacentElement("afterend", status);
    button.disabled = true;
    function poll() {
      follow().then(function (step) {
        if (!step || !step.total) { return; }
        bar.max = step.total;
        bar.value = step.done;
        words.textContent = " " + config.text.working + " " + step.done.toLocaleString() + " / " + step.total.toLocaleString();
      }, function () {});
    }
    var timer = follow ? setInterval(poll, 300) : null;
    function done() { if (timer) { clearInterval(timer); } status.remove(); button.disabled = false; }
    return promise.then(function (value) { done(); return value; }, function (error) { done(); throw error; });
  }

  window.arenaConsole = {api: api, toast: toast, showErrors: showErrors, fileTooLarge: fileTooLarge, csvSource: csvSource,
                         working: working, config: config};
})();

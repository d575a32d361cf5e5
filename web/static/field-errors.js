/* Field errors: the API's 4xx answers ({"error": "...", "errors": [{"field": "prizes[3].threshold", "message": "..."}]})
   shown next to the inputs at fault, in the page's language, numbered from 1 ("Prize 4: points threshold"), each once.
   The words come from <script id="field-errors-config" type="application/json"> (server/i18n/field_messages.py).

   window.FieldErrors = {
     label(field)            -> "Prize 4: points threshold" ("" for a field the catalogue does not name)
     translate(message)      -> the API's English message in the page's language (a generic sentence if unknown)
     describe(error)         -> "Prize 4: points threshold: must be at least 1" (for lists: CSV rows, toasts)
     show(root, result, options) -> number of errors shown. result: {data: {error, errors}} as console.js's api()
         answers (an error with a "text" is shown as written: a page's own check, already in its language). Each error goes next to its input inside root; those without one go to options.summary.
         options.source  names who reports (default "submit"): show() first removes that source's earlier
                         messages, never another's — a live preview cannot wipe a failed launch's errors.
         options.keep    true: keep this source's messages next to fields (each leaves when its field
                         changes); only its summary lines are replaced. For a submit the server checks in
                         stages (a 422 first, a 409 duplicate later), so a later answer hides no earlier one.
         options.locate(field) -> element | null|undefined (undefined: use the default lookup below).
         options.decorate(error, node) may add to a message (e.g. a link).
         options.page    a page with words of its own (PAGE_WORDS in field_messages.py): its sentence for a
                         field ("config.*" for a family, "rules[]" for any rule) replaces the translated message,
                         its sentence for a status explains a refusal that names no field (then the
                         workspace's sentence for that status, STATUSES).
         options.action  the request, for a page's words about one request's status ("test" → "test.409").
         options.quiet   true: no summary line when every error sits next to its field.
         options.focus   true: the first input marked gets the focus (a form the reader just sent).
         Each message is a <span class="field-error" data-for="prizes[3].threshold"> (a <div> in the summary).
     refusal(result, options) -> why a request was refused, in words (options.page/action as for show): for
                         buttons and toasts.
     clear(root, source)     removes the messages of one source (all sources when omitted).
   }
   Default lookup of "prizes[3].threshold" inside root: [name=…] or [data-field=…] of the whole path, then of
   "prizes[3]" and in it [data-f="threshold"], [name="threshold"] or [data-error-for~="threshold"], then the
   element of the nearest enclosing path. A message stays until its input (or anything inside its row) changes. */
(function () {
  "use strict";
  var source = document.getElementById("field-errors-config");
  var config = source ? JSON.parse(source.textContent) : {labels: {}, messages: [], text: {}, statuses: {}, pages: {}};
  var patterns = config.messages.map(function (pair) { return [new RegExp(pair[0]), pair[1]]; });
  var shown = [];  // {node, target, source, key}
  var counter = 0;

  var fill = ArenaText.fill;

  /* The words a table has for a field: the whole path, else its pattern ("prizes[].threshold", "targets.*"),
     else the nearest enclosing path's; {n} is the first index counted from 1, {key} a "*" key. */
  function lookup(table, field) {
    if (typeof field !== "string" || !table) { return ""; }
    if (Object.prototype.hasOwnProperty.call(table, field) && field) { return table[field]; }
    var n = null;
    var generic = field.replace(/\[(\d+)\]/g, function (all, index) {
      if (n === null) { n = Number(index) + 1; }
      return "[]";
    });
    var path = generic;
    while (path) {
      if (Object.prototype.hasOwnProperty.call(table, path)) { return fill(table[path], {n: n}); }
      var dot = path.lastIndexOf(".");
      if (dot > 0 && Object.prototype.hasOwnProperty.call(table, path.slice(0, dot) + ".*")) {
        return fill(table[path.slice(0, dot) + ".*"], {n: n, key: generic.slice(dot + 1)});
      }
      var cut = Math.max(path.lastIndexOf("."), path.lastIndexOf("["));
      path = cut > 0 ? path.slice(0, cut) : "";
    }
    return "";
  }

  function label(field) { return lookup(config.labels, field); }

  function pageWords(options, part) { return ((config.pages || {})[options.page] || {})[part] || null; }

  function refusal(result, options) {
    options = options || {};
    var data = (result && result.data) || {};
    var status = String((result && result.status) || "");
    var own = pageWords(options, "statuses") || {};
    var words = own[options.action + "." + status] || own[status];
    if (words) { return words; }
    var said = data.error ? translate(data.error) : "";
    if (said && said !== config.text.generic) { return said; }
    return (options.page && (config.statuses || {})[status]) || config.text.failed;
  }

  function translate(message) {
    var text = String(message || "");
    for (var i = 0; i < patterns.length; i += 1) {
      var match = text.match(patterns[i][0]);
      if (match) { return fill(patterns[i][1], match); }
    }
    return config.text.generic || text;
  }

  function describe(error) {
    var name = label(error.field);
    var words = translate(error.message);
    return name ? fill(config.text.pair || "{label}: {message}", {label: name, message: words}) : words;
  }

  function find(root, selector) {
    try { return root.querySelector(selector); } catch (err) { return null; }
  }

  /* The first match on show (a form may keep hidden, disabled sets of inputs with the same names), else the first. */
  function findShown(root, selector) {
    var all;
    try { all = root.querySelectorAll(selector); } catch (err) { return null; }
    for (var i = 0; i < all.length; i += 1) {
      if (all[i].getClientRects().length) { return all[i]; }
    }
    return all[0] || null;
  }

  function defaultLocate(root, field) {
    if (!field) { return null; }
    if (root.tagName === "FORM" && root.elements.namedItem(field) instanceof Element) { return root.elements.namedItem(field); }
    var quoted = CSS.escape(field);
    var direct = findShown(root, '[name="' + quoted + '"], [data-field="' + quoted + '"]');
    if (direct) { return direct; }
    var path = field;
    while (path) {
      var cut = Math.max(path.lastIndexOf("."), path.lastIndexOf("["));
      if (cut <= 0) { return null; }
      var last = path.slice(cut).replace(/^\.|^\[|\]$/g, "");
      path = path.slice(0, cut);
      var holder = find(root, '[data-field="' + CSS.escape(path) + '"]');
      if (holder) {
        var q = CSS.escape(last);
        return find(holder, '[data-f="' + q + '"], [name="' + q + '"], [data-error-for~="' + q + '"]') || holder;
      }
    }
    return null;
  }

  function isInput(el) { return /^(INPUT|SELECT|TEXTAREA)$/.test(el.tagName); }

  function remove(item) {
    item.node.remove();
    shown.splice(shown.indexOf(item), 1);
    var target = item.target;
    if (target && !shown.some(function (other) { return other.target === target; })) {
      target.removeAttribute("aria-invalid");
      target.removeAttribute("aria-describedby");
    }
  }

  function clear(root, from) {
    shown.slice().forEach(function (item) {
      if ((from === undefined || item.source === from) && (root.contains(item.node) || item.root === root)) { remove(item); }
    });
  }

  // One listener for the whole page: an input tied to a form by its form="" attribute sits outside that form.
  function changed(event) {
    shown.slice().forEach(function (item) {
      if (event.timeStamp < item.at) { return; }  // the change that led to this message (a file refused)
      if (item.target && (item.target === event.target || (!isInput(item.target) && item.target.contains(event.target)))) {
        remove(item);
      }
    });
  }
  document.addEventListener("input", changed, true);
  document.addEventListener("change", changed, true);

  function attach(target, text, from, root, title, field) {
    var key = text;
    if (shown.some(function (item) { return item.target === target && item.key === key && item.node.isConnected; })) { return null; }
    var node = document.createElement("span");
    node.className = "field-error";
    node.dataset.source = from;
    if (field) { node.dataset.for = field; }
    node.id = "field-error-" + (counter += 1);
    node.textContent = text;
    if (title) { node.title = title; }
    if (isInput(target)) {
      var holder = target.closest("label");
      if (holder) { holder.appendChild(node); } else { target.insertAdjacentElement("afterend", node); }
      target.setAttribute("aria-invalid", "true");
      target.setAttribute("aria-describedby", node.id);
    } else {
      target.appendChild(node);
    }
    shown.push({node: node, target: target, source: from, key: key, root: root, at: performance.now()});
    return node;
  }

  function line(summary, text, from, root, title) {
    if (shown.some(function (item) { return item.root === root && !item.target && item.key === text && item.node.isConnected; })) {
      return null;
    }
    var node = document.createElement("div");
    node.dataset.source = from;
    node.textContent = text;
    if (title) { node.title = title; }
    summary.appendChild(node);
    shown.push({node: node, target: null, source: from, key: text, root: root, at: performance.now()});
    return node;
  }

  function show(root, result, options) {
    options = options || {};
    var from = options.source || "submit";
    var summary = options.summary || null;
    if (options.keep) {
      shown.slice().forEach(function (item) { if (item.source === from && item.root === root && !item.target) { remove(item); } });
    } else {
      clear(root, from);
      if (summary) { clear(summary, from); }
    }
    var data = (result && result.data) || {};
    var errors = Array.isArray(data.errors) ? data.errors : [];
    var own = pageWords(options, "fields");
    var focused = null;
    var count = 0;
    var unplaced = [];
    var placed = [];
    errors.forEach(function (error) {
      var found = options.locate ? options.locate(error.field) : undefined;
      var target = found === undefined ? defaultLocate(root, error.field) : found;
      var mine = error.text ? "" : lookup(own, error.field);
      var words = error.text || mine || translate(error.message);
      var title = words === config.text.generic ? error.message : "";
      if (target) {
        var name = label(error.field);
        var text = isInput(target) || !name || mine ? words : fill(config.text.pair || "{label}: {message}", {label: name, message: words});
        var node = attach(target, text, from, root, title, error.field);
        if (node && options.decorate) { options.decorate(error, node); }
        if (node) { count += 1; }
        if (node && options.focus && isInput(target) && !focused) { focused = target; }
        if (name && placed.indexOf(name) < 0) { placed.push(name); }
      } else {
        unplaced.push({error: error, text: mine || describe(error), title: title});
      }
    });
    if (focused) { focused.focus(); }
    if (!summary) { return count + unplaced.length; }
    if (!errors.length) {
      if (!data.error && !(result && result.ok === false)) { return 0; }
      line(summary, refusal(result, options), from, root, data.error || "");
      return 1;
    }
    if (count && !unplaced.length && !options.quiet) {
      var check = placed.length ? fill(config.text.check, {fields: placed.join(config.text.separator)}) : config.text.marked;
      line(summary, check, from, root, "");
    }
    unplaced.forEach(function (item) {
      var node = line(summary, item.text, from, root, item.title);
      if (node && options.decorate) { options.decorate(item.error, node); }
    });
    return count + unplaced.length;
  }

  window.FieldErrors = {label: label, translate: translate, describe: describe, show: show, refusal: refusal, clear: clear, text: config.text};
})();

/* Goals page: splitting a goal by hand. Choosing "By hand" lays out one number field per part (a company's
   teams, a team's active reps, with the targets their parts have now) and a running sum against the goal's
   target; the form then sends those fields as the break-down's `parts` (owner id → target). The other splits
   send no parts. Errors from the API land next to the part at fault (`parts.<owner>`) or the sum (`parts`). */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("goal-parts-config").textContent);
  var number = new Intl.NumberFormat(document.documentElement.lang || "en");

  function fields(form) { return form.querySelectorAll(".hand-rows input[data-part]"); }

  function layOut(form) {
    var rows = form.querySelector(".hand-rows");
    if (rows.childElementCount) { return; }
    (config.parts[form.dataset.goal] || []).forEach(function (part) {
      var label = document.createElement("label");
      label.className = "hand-part";
      label.dataset.field = "parts." + part[0];
      var name = document.createElement("span");
      name.textContent = part[1];
      var input = document.createElement("input");
      input.type = "number";
      input.min = "0";
      input.step = "1";
      input.dataset.part = part[0];
      if (part[2] !== null) { input.value = String(part[2]); }
      label.appendChild(name);
      label.appendChild(input);
      rows.appendChild(label);
    });
  }

  /* The parts as the API takes them (empty fields left out), into the hidden `parts` field; the sum shown. */
  function collect(form) {
    var parts = {};
    var sum = 0;
    Array.prototype.forEach.call(fields(form), function (input) {
      if (input.value === "") { return; }
      var value = parseInt(input.value, 10);
      parts[input.dataset.part] = value;
      sum += isNaN(value) ? 0 : value;
    });
    form.querySelector("input[name=parts]").value = Object.keys(parts).length ? JSON.stringify(parts) : "";
    var target = parseInt(form.dataset.target, 10);
    var line = ArenaText.fill(config.text.sum, {sum: number.format(sum), target: number.format(target)});
    if (sum !== target) {
      line += " · " + ArenaText.fill(sum < target ? config.text.short : config.text.over, {n: number.format(Math.abs(target - sum))});
    }
    var shown = form.querySelector(".parts-sum");
    shown.textContent = line;
    shown.classList.toggle("off", sum !== target);
  }

  function chosen(form) {
    var hand = form.elements.split.value === "hand";
    var box = form.querySelector(".hand-parts");
    if (hand) { layOut(form); collect(form); }
    box.hidden = !hand;
    form.querySelector("input[name=parts]").disabled = !hand;  // disabled fields are not sent
  }

  Array.prototype.forEach.call(document.querySelectorAll("form.breakdown"), function (form) {
    form.elements.split.addEventListener("change", function () { chosen(form); });
    form.addEventListener("input", function (event) { if (event.target.dataset.part) { collect(form); } });
    // The console's submit handler reads the form after this one has filled the parts in.
    form.addEventListener("submit", function () { if (form.elements.split.value === "hand") { collect(form); } }, true);
  });
})();

/* The TV's goal slide: a goal's thermometer filled by its teams' (or reps') contributions, a pace line at
   where a straight line over the period's working days would be today, and the working days left. Read from
   /api/v1/wall/goals/<id> (the display's token may read the goals its slides name) when the slide comes up and
   every minute while it shows. tv.js calls load() and render(). */
"use strict";
window.arenaGoalSlide = (function () {
  var goals = {};  // goal id -> the last answer
  var timers = {};
  var PALETTE = ["#4dd6e8", "#ffcf4a", "#ff7a59", "#7c8cff", "#5fe08f", "#ff5ea8", "#c792ea", "#f7a440"];

  function load(slide, token, then) {
    var url = "/api/v1/wall/goals/" + encodeURIComponent(slide.goal) + "?token=" + encodeURIComponent(token);
    fetch(url, {cache: "no-store"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) { if (data) { goals[slide.goal] = data; then(); } })
      .catch(function () { /* offline: keep what we have */ });
    clearTimeout(timers[slide.goal]);
    timers[slide.goal] = setTimeout(function () { load(slide, token, then); }, 60000);
  }

  function number(x) { return Math.round(x).toLocaleString(); }

  function render(slide, title, T) {
    var data = goals[slide.goal];
    if (!data) { return 0; }
    var goal = data.goal, pace = goal.pace;
    title.textContent = goal.name || (data.owner_name ? data.owner_name + " · " + goal.period : goal.period);
    var tube = document.getElementById("goal-tube");
    Array.prototype.slice.call(tube.querySelectorAll(".goal-part")).forEach(function (el) { el.remove(); });
    var bottom = 0, list = document.getElementById("goal-teams");
    list.textContent = "";
    var parts = data.parts.length ? data.parts : [{owner: "", name: data.owner_name || "", actual: pace.actual, color: null}];
    parts.forEach(function (part, i) {
      var share = goal.target ? Math.min(100 - bottom, 100 * part.actual / goal.target) : 0;
      var color = part.color || PALETTE[i % PALETTE.length];
      if (share > 0) {
        var segment = document.createElement("div");
        segment.className = "goal-part";
        segment.dataset.owner = part.owner;
        segment.style.bottom = bottom + "%";
        segment.style.height = share + "%";
        segment.style.background = color;
        tube.appendChild(segment);
        bottom += share;
      }
      var li = document.createElement("li");
      li.dataset.owner = part.owner;
      li.style.setProperty("--team", color);
      li.textContent = part.name + " · " + number(part.actual);
      list.appendChild(li);
    });
    document.getElementById("goal-pace").style.bottom = Math.min(pace.expected_percent, 100) + "%";
    document.getElementById("goal-percent").textContent = pace.percent.toFixed(1) + "%";
    document.getElementById("goal-total").textContent = ArenaText.fill(T.goal_of, {actual: number(pace.actual), target: number(goal.target)}) +
      " · " + ArenaText.fill(T.goal_expected, {x: number(pace.expected)});
    var status = document.getElementById("goal-status");
    status.dataset.status = pace.status;
    status.textContent = T[pace.status === "reached" ? "goal_done" : "goal_" + pace.status] + " · " +
      ArenaText.fill(T.goal_days_left, {n: pace.working_days_left});
    return 1;
  }

  return {load: load, render: render};
})();

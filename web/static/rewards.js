/* Reps' phone, rewards: my reward points (apart from contest points), the catalogue with a button to redeem, and
   my redemptions with their status. Points are held when I redeem and come back if my manager rejects. */
(function () {
  "use strict";
  var section = document.getElementById("rewards");
  if (!section) { return; }
  var config = JSON.parse(document.getElementById("rewards-config").textContent);
  var T = config.text;
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var number = new Intl.NumberFormat(config.locale);
  var fill = ArenaText.fill;

  function api(method, url, body) {
    var options = {method: method, credentials: "same-origin", headers: {"Accept": "application/json", "X-CSRF-Token": csrf}};
    if (body) { options.headers["Content-Type"] = "application/json"; options.body = JSON.stringify(body); }
    return fetch(url, options).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) { return {ok: r.ok, status: r.status, data: data}; });
    });
  }
  function el(tag, className, text) {
    var node = document.createElement(tag);
    if (className) { node.className = className; }
    if (text !== undefined) { node.textContent = text; }
    return node;
  }
  function toast(text) {
    var note = el("div", "toast", text);
    note.setAttribute("role", "status");
    document.body.appendChild(note);
    setTimeout(function () { note.remove(); }, 2600);
  }

  function renderBalance(points) {
    document.getElementById("reward-balance").textContent = fill(T.balance, {points: number.format(points.balance)});
    var held = document.getElementById("reward-held");
    held.hidden = !points.held;
    held.textContent = fill(T.held, {points: number.format(points.held)});
  }

  function renderCatalogue(rewards, balance) {
    var list = document.getElementById("reward-list");
    list.textContent = "";
    document.getElementById("no-rewards").hidden = rewards.length > 0;
    rewards.forEach(function (reward) {
      var item = el("li", "reward");
      item.dataset.reward = reward.id;
      var head = el("div", "row-flex");
      head.appendChild(el("strong", "what", reward.name));
      head.appendChild(el("span", "spacer"));
      head.appendChild(el("span", "cost", fill(T.cost, {points: number.format(reward.cost)})));
      item.appendChild(head);
      if (reward.description) { item.appendChild(el("div", "muted", reward.description)); }
      if (reward.stock !== null && reward.stock !== undefined) { item.appendChild(el("div", "muted", fill(T.stock, {n: reward.stock}))); }
      var button = el("button", "primary redeem", T.redeem);
      button.type = "button";
      var out = reward.stock === 0;
      button.disabled = out || balance < reward.cost;
      if (out) { button.textContent = T.out_of_stock; }
      else if (balance < reward.cost) { button.textContent = fill(T.short, {points: number.format(reward.cost - balance)}); }
      button.addEventListener("click", function () { redeem(reward, button); });
      item.appendChild(button);
      list.appendChild(item);
    });
  }

  function renderRedemptions(redemptions) {
    var list = document.getElementById("redemption-list");
    list.textContent = "";
    redemptions.slice(0, 20).forEach(function (r) {
      var item = el("li", "redemption");
      item.dataset.redemption = r.id;
      item.dataset.status = r.status;
      item.appendChild(el("strong", "what", r.name));
      item.appendChild(el("span", "r-status", T["status_" + r.status] || r.status));
      if (r.note) { item.appendChild(el("div", "muted", r.note)); }
      list.appendChild(item);
    });
    document.getElementById("redemptions").hidden = redemptions.length === 0;
  }

  function load() {
    return Promise.all([
      api("GET", "/api/v1/rewards/reps/" + encodeURIComponent(config.rep)),
      api("GET", "/api/v1/rewards/catalogue"),
      api("GET", "/api/v1/rewards/redemptions")
    ]).then(function (answers) {
      if (!answers.every(function (a) { return a.ok; })) { return; }
      renderBalance(answers[0].data);
      renderCatalogue(answers[1].data.rewards, answers[0].data.balance);
      renderRedemptions(answers[2].data.redemptions);
      section.dataset.loaded = "1";
    });
  }

  function redeem(reward, button) {
    if (!window.confirm(fill(T.confirm, {name: reward.name, points: number.format(reward.cost)}))) { return; }
    button.disabled = true;
    var errors = document.getElementById("reward-errors");
    errors.textContent = "";
    api("POST", "/api/v1/rewards/redemptions", {reward: reward.id}).then(function (r) {
      if (!r.ok) { errors.textContent = (r.data && r.data.error) || String(r.status); button.disabled = false; return; }
      toast(T.sent);
      load();
    });
  }

  load();
  document.addEventListener("visibilitychange", function () { if (!document.hidden) { load(); } });
})();

/* Reps' phone: my rank, gap and pacing per contest, live over the websocket (the board frames the server
   already sends, plus "me" frames where the server has them); ledger, badges and head-to-head challenges. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("phone-config").textContent);
  var T = config.text;
  var state = config.state;
  var csrf = document.querySelector('meta[name="csrf-token"]').content;
  var number = new Intl.NumberFormat(config.locale);
  var tenths = new Intl.NumberFormat(config.locale, {minimumFractionDigits: 1, maximumFractionDigits: 1});
  /* Percent-of-target contests keep scores in tenths of a percent: a score or a gap reads "95.0%", in the
     sentences that do not say "pts". */
  function scoreText(card, value) {
    return card.contest.percent ? tenths.format(value / 10) + "%" : number.format(value);
  }
  function words(card, key) { return (card.contest.percent && T.percent[key]) || T[key]; }
  var dateFormat = new Intl.DateTimeFormat(config.locale, {timeZone: config.timezone, month: "short", day: "numeric",
                                                          hour: "2-digit", minute: "2-digit", hour12: false});
  var cards = {};            // contest id -> {el, standing}
  var boards = {};           // board -> copy
  var hasMe = {};            // contest id -> true once a "me" frame arrived
  var refreshTimers = {};
  var socket = null;

  var fill = ArenaText.fill;
  function $(root, selector) { return root.querySelector(selector); }
  function api(method, url, body) {
    var options = {method: method, credentials: "same-origin", headers: {"Accept": "application/json", "X-CSRF-Token": csrf}};
    if (body) { options.headers["Content-Type"] = "application/json"; options.body = JSON.stringify(body); }
    return fetch(url, options).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) { return {ok: r.ok, status: r.status, data: data}; });
    });
  }
  function toast(text) {
    var el = document.createElement("div");
    el.className = "toast";
    el.setAttribute("role", "status");
    el.textContent = text;
    document.body.appendChild(el);
    setTimeout(function () { el.remove(); }, 2600);
  }

  /* --- header, level, badges ---------------------------------------------------------------------- */
  function renderProfile() {
    var avatar = $(document, "#avatar");
    if (!avatar.classList.contains("me-avatar")) {  // the page's placeholder becomes a face: photo or initials
      var face = ArenaAvatar.make("me-avatar");
      face.id = "avatar";
      avatar.replaceWith(face);
      avatar = face;
    }
    ArenaAvatar.fill(avatar, state.rep || "", state.name, state.photo);
    $(document, "#me-name").textContent = state.name;
    $(document, "#me-team").textContent = state.team ? state.team.name : "";
    var level = state.level;
    $(document, "#level-number").textContent = level.number;
    $(document, "#level-name").textContent = level.name;
    $(document, "#level-xp").textContent = level.next_at ? fill(T.xp, {xp: number.format(state.xp.all), next: number.format(level.next_at)})
      : fill(T.xp_max, {xp: number.format(state.xp.all)});
    var share = level.next_at ? (state.xp.all - level.min) / (level.next_at - level.min) : 1;
    $(document, "#level-fill").style.width = Math.max(2, Math.min(100, share * 100)) + "%";
    renderBadges();
    $(document, "#opt-out").checked = !!state.opted_out;
  }
  document.addEventListener("photo-changed", function (event) { state.photo = event.detail.photo; renderProfile(); });

  /* Each badge: its icon (by kind, from badge-icons.js), name, what earns it and when it was earned; then the
     next badge within reach and what it still takes. */
  function renderBadges() {
    var badges = $(document, "#badges");
    badges.textContent = "";
    badges.className = "badges";
    state.badges.forEach(function (b) {
      var item = document.createElement("li");
      item.className = "badge-item";
      item.dataset.kind = b.kind || "";
      item.dataset.badge = b.badge;
      var icon = document.createElement("span");
      icon.className = "badge-icon";
      icon.appendChild(window.ArenaBadgeIcons.icon(b.kind));
      var text = document.createElement("div");
      var name = document.createElement("strong");
      name.className = "badge-name";
      name.textContent = b.name;
      var meaning = document.createElement("div");
      meaning.className = "badge-meaning";
      meaning.textContent = b.meaning || "";
      var when = document.createElement("div");
      when.className = "badge-when muted";
      when.textContent = b.awarded_at ? fill(T.earned, {when: dateFormat.format(new Date(b.awarded_at))}) : "";
      text.appendChild(name); text.appendChild(meaning); text.appendChild(when);
      item.appendChild(icon); item.appendChild(text);
      badges.appendChild(item);
    });
    if (!state.badges.length) { badges.textContent = T.no_badges; badges.className = "badges muted"; }
    var next = state.next_badge;
    $(document, "#next-badge").hidden = !next;
    if (next) {
      var holder = $(document, "#next-badge-icon");
      holder.textContent = "";
      holder.appendChild(window.ArenaBadgeIcons.icon(next.kind));
      $(document, "#next-badge-name").textContent = next.name;
      $(document, "#next-badge-meaning").textContent = next.meaning;
      $(document, "#next-badge-needs").textContent = next.needs;
      $(document, "#next-badge-fill").style.width = Math.max(2, Math.min(100, next.progress * 100)) + "%";
    }
  }

  /* --- contest cards ------------------------------------------------------------------------------ */
  function renderContests() {
    var container = $(document, "#contests");
    var seen = {};
    state.contests.forEach(function (contest) {
      seen[contest.id] = true;
      var card = cards[contest.id];
      if (!card) {
        var el = document.getElementById("contest-template").content.firstElementChild.cloneNode(true);
        el.dataset.contest = contest.id;
        card = cards[contest.id] = {el: el, contest: contest, standing: contest.standing};
        $(el, ".c-ledger-toggle").addEventListener("click", function () { toggleLedger(contest.id); });
        $(el, ".c-missing").addEventListener("click", function () {
          openDispute({contest: contest.id, kind: "missing_deal"}, T.missing_title, fill(T.about_missing, {contest: contest.name}));
        });
        container.appendChild(el);
      }
      card.contest = contest;
      if (contest.standing) { card.standing = contest.standing; }
      $(card.el, ".c-name").textContent = contest.name;
      $(card.el, ".c-rules").textContent = contest.rules;
      $(card.el, ".c-version").textContent = contest.changed_at
        ? fill(T.changed, {n: contest.version, when: dateFormat.format(new Date(contest.changed_at))})
        : fill(T.version, {n: contest.version});
      var when = contest.status === "scheduled" ? fill(T.starts, {when: dateFormat.format(new Date(contest.starts_at))})
        : fill(T.ends, {when: dateFormat.format(new Date(contest.ends_at))});
      $(card.el, ".c-time").textContent = when;
      renderStanding(contest.id, false);
    });
    Object.keys(cards).forEach(function (id) { if (!seen[id]) { cards[id].el.remove(); delete cards[id]; } });
    $(document, "#no-contests").hidden = state.contests.length > 0;
  }

  /* --- rule changes: what changed, in plain words, and why ------------------------------------------ */
  function renderNews() {
    var list = $(document, "#news-list");
    list.textContent = "";
    (state.news || []).forEach(function (item) {
      var li = document.createElement("li");
      var head = document.createElement("strong");
      head.textContent = fill(T.news_item, {contest: item.contest_name, n: item.version}) +
        (item.at ? " · " + dateFormat.format(new Date(item.at)) : "");
      li.appendChild(head);
      item.lines.concat(item.reason ? [fill(T.why, {reason: item.reason})] : []).forEach(function (line) {
        var p = document.createElement("div");
        p.textContent = line;
        li.appendChild(p);
      });
      list.appendChild(li);
    });
    $(document, "#news").hidden = !(state.news && state.news.length);
  }

  /* --- kudos and awards: to me or my team, newest first, the manager's words as text ------------------ */
  function renderRecognition() {
    var list = $(document, "#recognition-list");
    list.textContent = "";
    (state.recognition || []).forEach(function (item) {
      var li = document.createElement("li");
      li.className = "recognition-item";
      li.dataset.kind = item.kind;
      var head = document.createElement("strong");
      if (item.kind === "kudos") { head.textContent = fill(item.rep ? T.kudos_me : T.kudos_team, {by: item.by}); }
      else { head.textContent = fill(item.rep ? T.award_me : T.award_team, {title: item.title}); }
      li.appendChild(head);
      var line = document.createElement("div");
      line.textContent = item.kind === "kudos" ? item.message :
        item.contest_name + (item.corrected ? " · " + T.award_corrected : "");
      li.appendChild(line);
      var when = document.createElement("div");
      when.className = "muted";
      when.textContent = item.at ? dateFormat.format(new Date(item.at)) : "";
      li.appendChild(when);
      list.appendChild(li);
    });
    $(document, "#recognition").hidden = !(state.recognition && state.recognition.length);
  }

  function renderStanding(contestId, live) {
    var card = cards[contestId];
    if (!card) { return; }
    var s = card.standing;
    var rankEl = $(card.el, ".c-rank");
    if (!s && card.contest.rival) { renderDuel(card, {score: 0}, true); }
    if (!s) { rankEl.textContent = "–"; return; }
    var before = Number(rankEl.dataset.rank || 0);
    rankEl.textContent = "#" + s.rank;
    rankEl.dataset.rank = s.rank;
    $(card.el, ".c-of").textContent = " " + fill(T.of, {n: s.of});
    $(card.el, ".c-score").textContent = scoreText(card, s.score);
    $(card.el, ".c-unit").textContent = card.contest.percent ? "" : T.points;
    var pendingEl = $(card.el, ".c-pending");  /* points not yet confirmed, in the score (contests that confirm) */
    pendingEl.hidden = !s.provisional;
    pendingEl.textContent = s.provisional ? fill(T.provisional, {x: scoreText(card, s.provisional)}) : "";
    var duel = card.contest.kind === "head_to_head";
    var level = [s.above, s.below].some(function (n) { return n && n.gap === 0; });
    $(card.el, ".c-gap").textContent = duel ? "" : s.rank === 1 ? (level ? T.h2h_tied : T.rank_first) :
      (s.gap_to_next ? fill(words(card, "gap"), {gap: scoreText(card, s.gap_to_next), rank: s.rank - 1}) : T.tied);
    renderNear(card, s, duel);
    renderDuel(card, s, duel);
    var pace = s.pace;
    var target = $(card.el, ".c-target");
    target.hidden = !pace;
    if (pace) {
      $(card.el, ".c-fill").style.width = Math.min(100, pace.percent) + "%";
      $(card.el, ".c-mark").style.left = Math.min(100, pace.expected_percent) + "%";
      var text = $(card.el, ".c-pace");
      text.className = "pace-text c-pace " + pace.status;
      text.textContent = fill(T.target, {pct: Math.round(pace.percent), target: number.format(pace.target)}) + " · " +
        fill(T.days_left, {d: Math.ceil(pace.days_left)}) + " · " + T[pace.status];
    }
    if (live && before && s.rank < before) {
      rankEl.classList.remove("rank-up");
      void rankEl.offsetWidth;
      rankEl.classList.add("rank-up");
      toast(fill(T.rank_up, {rank: s.rank}));
    }
    if (card.ledgerOpen && live) { loadLedger(contestId); }
  }

  /* --- who is just above and just below me; a head-to-head as both scores ------------------------------ */
  function neighbour(row, mine) {
    return row ? {id: row.id, name: row.name, photo: row.photo, rank: row.rank, score: row.score,
                  gap: Math.abs(row.score - mine.score)} : null;
  }

  /* A standing without neighbours (the REST standing, a "me" frame) keeps the ones the board last showed. */
  function withNeighbours(fresh, before) {
    if (!before || fresh.above !== undefined || fresh.below !== undefined) { return fresh; }
    var merged = {};
    Object.keys(fresh).forEach(function (k) { merged[k] = fresh[k]; });
    ["above", "below"].forEach(function (side) {
      var n = before[side];
      merged[side] = n ? {id: n.id, name: n.name, photo: n.photo, rank: n.rank, score: n.score,
                          gap: Math.abs(n.score - fresh.score)} : n;
    });
    return merged;
  }

  function renderNear(card, s, duel) {
    var list = $(card.el, ".c-near");
    list.textContent = "";
    list.hidden = duel || !(s.above || s.below);
    if (duel) { return; }
    [["above", s.above], ["below", s.below]].forEach(function (pair) {
      var n = pair[1];
      if (!n) { return; }
      var li = document.createElement("li");
      li.className = "near-" + pair[0];
      li.dataset.rep = n.id;
      var values = {name: n.name, gap: scoreText(card, n.gap), score: scoreText(card, n.score)};
      var face = ArenaAvatar.make("near-avatar");
      ArenaAvatar.fill(face, n.id, n.name, n.photo);
      li.appendChild(face);  // initials drawn by CSS: the line's text stays the sentence
      li.appendChild(document.createTextNode((pair[0] === "above" ? "↑ " : "↓ ") +
        fill(words(card, n.gap ? pair[0] : pair[0] + "_tied"), values)));
      list.appendChild(li);
    });
  }

  function timeLeft(contest) {
    var ms = new Date(contest.ends_at).getTime() - Date.now();
    if (contest.status === "scheduled") { return fill(T.starts_in, {when: dateFormat.format(new Date(contest.starts_at))}); }
    if (ms <= 0) { return T.left_over; }
    var minutes = Math.floor(ms / 60000), hours = Math.floor(minutes / 60), days = Math.floor(hours / 24);
    return days ? fill(T.left_days, {d: days, h: hours % 24}) : fill(T.left_hours, {h: hours, m: minutes % 60});
  }

  function renderDuel(card, s, duel) {
    var box = $(card.el, ".c-h2h");
    box.hidden = !duel;
    if (!duel) { return; }
    var rival = card.contest.rival || {};
    var other = [s.above, s.below].filter(function (n) { return n && (!rival.id || n.id === rival.id); })[0];
    var theirs = other ? other.score : 0;
    var theirName = rival.name || (other ? other.name : "–");
    $(box, ".h2h-me .h2h-name").textContent = T.me;
    $(box, ".h2h-me .h2h-score").textContent = scoreText(card, s.score);
    $(box, ".h2h-them .h2h-name").textContent = theirName;
    $(box, ".h2h-them .h2h-score").textContent = scoreText(card, theirs);
    var gap = Math.abs(s.score - theirs);
    $(box, ".h2h-gap").textContent = s.score === theirs ? T.h2h_tied :
      fill(words(card, s.score > theirs ? "h2h_ahead" : "h2h_behind"), {gap: scoreText(card, gap), name: theirName});
    $(box, ".h2h-left").textContent = timeLeft(card.contest);
    box.classList.toggle("tied", s.score === theirs);
  }

  /* From a board frame: rank, score and gap come from the rows (no extra round trip); target and pace from
     the REST standing, fetched at most once a second per contest (until the server sends "me" frames). */
  function fromBoard(board, copy) {
    var contestId = board.split(":")[1];
    var card = cards[contestId];
    if (!card) { return; }
    var rows = copy.rows;
    for (var i = 0; i < rows.length; i += 1) {
      if (rows[i].id !== state.rep) { continue; }
      var mine = rows[i], ahead = null;
      for (var j = i - 1; j >= 0; j -= 1) { if (rows[j].score > mine.score) { ahead = rows[j]; break; } }
      card.standing = {rank: mine.rank, score: mine.score, of: copy.total || rows.length, provisional: mine.provisional,
                       gap_to_next: ahead ? ahead.score - mine.score : null, target: card.standing && card.standing.target,
                       pace: card.standing && card.standing.pace,
                       above: neighbour(rows[i - 1], mine), below: neighbour(rows[i + 1], mine)};
      renderStanding(contestId, true);
      break;
    }
    if (!hasMe[contestId]) { refreshStanding(contestId); }
  }

  function refreshStanding(contestId) {
    if (refreshTimers[contestId]) { return; }
    refreshTimers[contestId] = setTimeout(function () {
      delete refreshTimers[contestId];
      api("GET", "/api/v1/contests/" + encodeURIComponent(contestId) + "/reps/" + encodeURIComponent(state.rep)).then(function (r) {
        if (!r.ok || !cards[contestId]) { return; }
        cards[contestId].standing = withNeighbours(r.data, cards[contestId].standing);
        renderStanding(contestId, true);
      });
    }, 1000);
  }

  function fromMe(message) {
    var contestId = message.contest;
    if (!cards[contestId] || message.rank === null || message.rank === undefined) { return; }
    hasMe[contestId] = true;
    cards[contestId].standing = withNeighbours(message, cards[contestId].standing);
    renderStanding(contestId, true);
  }

  /* --- ledger ------------------------------------------------------------------------------------- */
  function toggleLedger(contestId) {
    var card = cards[contestId];
    card.ledgerOpen = !card.ledgerOpen;
    $(card.el, ".c-ledger").hidden = !card.ledgerOpen;
    if (card.ledgerOpen) { loadLedger(contestId); }
  }

  function loadLedger(contestId) {
    var card = cards[contestId];
    api("GET", "/api/v1/reps/" + encodeURIComponent(state.rep) + "/ledger?contest=" + encodeURIComponent(contestId) + "&limit=500")
      .then(function (r) {
        if (!r.ok) { return; }
        var list = $(card.el, ".c-ledger");
        var entries = r.data.entries.slice(-40).reverse();
        var opened = {};  /* a live refresh keeps the lines the rep opened open */
        Array.prototype.forEach.call(list.querySelectorAll("li[data-event] details[open]"), function (d) {
          opened[d.parentElement.dataset.event] = true;
        });
        list.textContent = "";
        entries.forEach(function (e) {
          var line = ledgerLine(e);
          if (opened[e.event]) { line.firstElementChild.open = true; }
          disputeControl(line, e, card, contestId);
          list.appendChild(line);
        });
        if (!entries.length) { list.textContent = T.ledger_empty; }
      });
  }

  /* A statement line: when (the organisation's time zone), what, which rule in words, the points; the ids
     only when the line is opened. */
  function ledgerLine(e) {
    var li = document.createElement("li");
    li.dataset.event = e.event;
    li.dataset.type = e.type;
    var details = document.createElement("details");
    var summary = document.createElement("summary");
    var when = document.createElement("span");
    when.className = "l-when";
    when.textContent = dateFormat.format(new Date(e.occurred_at));
    var pts = document.createElement("span");
    pts.className = "pts" + (e.points < 0 ? " neg" : "");
    pts.textContent = (e.points > 0 ? "+" : "") + number.format(e.points);
    var what = document.createElement("span");
    what.className = "l-what";
    what.textContent = e.what || e.type;
    summary.appendChild(when); summary.appendChild(pts); summary.appendChild(what);
    (e.rules || []).forEach(function (line) {
      var rule = document.createElement("span");
      rule.className = "l-rule";
      rule.textContent = line;
      summary.appendChild(rule);
    });
    var detail = document.createElement("div");
    detail.className = "note l-detail";
    detail.textContent = fill(T.ledger_detail, {event: e.event, type: e.type, n: e.rule_version});
    details.appendChild(summary); details.appendChild(detail);
    li.appendChild(details);
    return li;
  }

  /* --- my name on public screens: my own choice ----------------------------------------------------- */
  $(document, "#opt-out").addEventListener("change", function (event) {
    var box = event.target;
    box.disabled = true;
    api("PUT", "/api/v1/me", {opted_out: box.checked}).then(function (r) {
      box.disabled = false;
      if (!r.ok) { box.checked = !box.checked; toast(fill(T.save_failed, {error: r.data.error || r.status})); return; }
      state.opted_out = r.data.opted_out;
      toast(T.saved);
    });
  });

  /* An open dispute on the line, or the button to dispute it (adjustments are the answers to disputes). */
  function disputeControl(li, e, card, contestId) {
    if (e.dispute && e.dispute.status === "open") {
      var disputed = document.createElement("span");
      disputed.className = "disputed";
      disputed.textContent = T.line_disputed;
      li.appendChild(disputed);
    } else if (e.type !== "points.adjusted") {
      var wrong = document.createElement("button");
      wrong.type = "button";
      wrong.className = "line-wrong";
      wrong.textContent = T.line_wrong;
      wrong.addEventListener("click", function () {
        var about = fill(T.about_line, {event: e.event, points: (e.points > 0 ? "+" : "") + number.format(e.points),
                                        contest: card.contest.name});
        openDispute({contest: contestId, kind: "wrong_points", event: e.event}, T.wrong_title, about);
      });
      li.appendChild(wrong);
    }
  }

  /* --- disputes: "this line is wrong", "a deal is missing", and the answers ---------------- */
  var dialog = $(document, "#dispute-dialog");
  var disputeForm = $(document, "#dispute-form");
  var disputing = null;

  function openDispute(about, title, text) {
    disputing = about;
    $(document, "#dispute-title").textContent = title;
    $(document, "#dispute-about").textContent = text;
    $(document, "#dispute-errors").textContent = "";
    disputeForm.elements.message.value = "";
    dialog.showModal();
    disputeForm.elements.message.focus();
  }

  disputeForm.addEventListener("submit", function (event) {
    event.preventDefault();
    var body = {contest: disputing.contest, kind: disputing.kind, message: disputeForm.elements.message.value};
    if (disputing.event) { body.event = disputing.event; }
    var send = $(document, "#dispute-send");
    send.disabled = true;
    api("POST", "/api/v1/disputes", body).then(function (r) {
      send.disabled = false;
      if (!r.ok) { $(document, "#dispute-errors").textContent = r.data.error || "!"; return; }
      dialog.close();
      toast(T.dispute_sent);
      var card = cards[body.contest];
      if (card && card.ledgerOpen) { loadLedger(body.contest); }
      loadDisputes();
    });
  });
  $(document, "#dispute-cancel").addEventListener("click", function () { dialog.close(); });

  var SEEN_KEY = "arena-disputes-answered";
  function tellOutcomes(disputes) {
    var seen = {};
    try { seen = JSON.parse(localStorage.getItem(SEEN_KEY) || "{}"); } catch (err) { seen = {}; }
    var first = !localStorage.getItem(SEEN_KEY);
    disputes.forEach(function (d) {
      if (d.status === "open" || seen[d.id]) { return; }
      seen[d.id] = true;
      if (!first) { toast(fill(d.status === "accepted" ? T.outcome_accepted : T.outcome_rejected, {note: d.note || ""})); }
    });
    try { localStorage.setItem(SEEN_KEY, JSON.stringify(seen)); } catch (err) { /* private mode */ }
  }

  function renderDisputes(disputes) {
    var list = $(document, "#dispute-list");
    list.textContent = "";
    disputes.forEach(function (d) {
      var item = document.createElement("div");
      item.className = "dispute";
      item.dataset.dispute = d.id;
      item.dataset.status = d.status;
      var what = document.createElement("div");
      what.className = "what";
      what.textContent = T["kind_" + d.kind] + (d.event ? " · " + d.event : "") + " · " + d.contest_name;
      var message = document.createElement("div");
      message.textContent = d.message;
      var status = document.createElement("div");
      status.className = "d-status";
      status.textContent = T["status_" + d.status] + (d.adjustment ? " · " + fill(T.adjusted, {points: (d.adjustment > 0 ? "+" : "") + number.format(d.adjustment)}) : "");
      item.appendChild(what); item.appendChild(message); item.appendChild(status);
      if (d.note) {
        var outcome = document.createElement("div");
        outcome.className = "outcome";
        outcome.textContent = d.note;
        item.appendChild(outcome);
      }
      list.appendChild(item);
    });
    $(document, "#no-disputes").hidden = disputes.length > 0;
    tellOutcomes(disputes);
  }

  function loadDisputes() {
    api("GET", "/api/v1/disputes").then(function (r) {
      if (r.ok) { renderDisputes(r.data.disputes.slice(0, 20)); }
    });
  }

  /* --- challenges --------------------------------------------------------------------------------- */
  var colleagues = {};
  function renderColleagues() {
    var select = $(document, "#challenge-form").elements.opponent;
    select.textContent = "";
    state.colleagues.forEach(function (c) {
      colleagues[c.id] = c;
      var option = document.createElement("option");
      option.value = c.id;
      option.textContent = c.name + (c.team ? " · " + (state.team_names[c.team] || c.team) : "");
      select.appendChild(option);
    });
  }

  function loadChallenges() {
    api("GET", "/api/v1/challenges").then(function (r) {
      if (!r.ok) { return; }
      var list = $(document, "#challenge-list");
      list.textContent = "";
      r.data.challenges.slice(0, 10).forEach(function (c) {
        var mineOut = c.challenger === state.rep;
        var other = mineOut ? c.opponent_name : c.challenger_name;
        var item = document.createElement("div");
        item.className = "challenge";
        item.dataset.challenge = c.id;
        var who = document.createElement("div");
        who.className = "who";
        who.textContent = c.status === "pending" ? fill(mineOut ? T.pending_out : T.pending_in, {name: other}) : c.challenger_name + " vs " + c.opponent_name;
        var line = document.createElement("div");
        line.className = "state";
        line.textContent = fill(T.challenge_line, {days: c.days, metric: T["metric_" + c.metric]}) +
          (c.status !== "pending" ? " · " + T[c.status] : "");
        item.appendChild(who); item.appendChild(line);
        if (c.status === "pending") {
          var actions = document.createElement("div");
          actions.className = "row-flex";
          (mineOut ? ["cancel"] : ["accept", "decline"]).forEach(function (action) {
            var button = document.createElement("button");
            button.type = "button";
            button.textContent = T[action];
            button.dataset.action = action;
            if (action === "accept") { button.className = "primary"; }
            button.addEventListener("click", function () {
              button.disabled = true;
              api("POST", "/api/v1/challenges/" + c.id + "/" + action).then(function (res) {
                if (!res.ok) { toast(res.data.error || "!"); }
                loadChallenges();
                if (action === "accept") { reloadState(); }
              });
            });
            actions.appendChild(button);
          });
          item.appendChild(actions);
        }
        list.appendChild(item);
      });
    });
  }

  $(document, "#challenge-form").addEventListener("submit", function (event) {
    event.preventDefault();
    var form = event.target;
    var errors = $(document, "#challenge-errors");
    errors.textContent = "";
    api("POST", "/api/v1/challenges", {opponent: form.elements.opponent.value, days: parseInt(form.elements.days.value, 10),
                                        metric: form.elements.metric.value}).then(function (r) {
      if (!r.ok) { errors.textContent = r.data.error || "!"; return; }
      toast(T.sent);
      loadChallenges();
    });
  });

  /* --- live --------------------------------------------------------------------------------------- */
  function boardsToWatch() {
    var list = [];
    state.contests.forEach(function (c) { list.push("contest:" + c.id); list.push("me:" + c.id); });
    if (document.getElementById("my-goals")) { list.push("goals"); }  /* my goals' figures, live */
    return list;
  }

  /* A "goals" frame: each goal shown on the page moves to its figures now (actual, percent, pace). */
  function fromGoals(message) {
    var whole = new Intl.NumberFormat(config.locale, {maximumFractionDigits: 0});
    (message.goals || []).forEach(function (goal) {
      var el = document.querySelector('.my-goal[data-goal="' + CSS.escape(goal.id) + '"]');
      var pace = goal.pace;
      if (!el || !pace) { return; }
      el.dataset.status = pace.status;
      var status = $(el, ".status");
      status.className = "status " + pace.status;
      status.textContent = T["goal_" + pace.status] || pace.status;
      $(el, ".progress span").style.width = Math.min(pace.percent, 100) + "%";
      $(el, ".percent").textContent = tenths.format(pace.percent) + "%";
      $(el, ".actual").textContent = whole.format(pace.actual);
      $(el, ".target").textContent = whole.format(goal.target);
      $(el, ".expected").textContent = fill(T.goal_expected, {x: whole.format(pace.expected)});
      $(el, ".days-left").textContent = fill(T.goal_days_left, {n: pace.working_days_left});
    });
  }

  function reloadState() {
    api("GET", "/m/state.json").then(function (r) {
      if (!r.ok) { if (r.status === 401) { location.href = "/login?next=/m"; } return; }
      state = r.data;
      renderProfile();
      renderNews();
      renderRecognition();
      renderContests();
      renderDisputes(state.disputes);
      if (socket) { boardsToWatch().forEach(function (board) { socket.subscribe(board); }); }
    });
  }

  function connect() {
    socket = new ArenaSocket({
      boards: boardsToWatch(),
      onStatus: function (status) {
        var live = $(document, "#live");
        live.textContent = status === "open" ? T.live : T.offline;
        live.classList.toggle("off", status !== "open");
      },
      onMessage: function (message) {
        if (message.op === "me") { fromMe(message); return; }
        if (message.op === "goals") { fromGoals(message); return; }
        if (message.op === "snapshot" || message.op === "diff") {
          if (message.board.indexOf("contest:") !== 0) { return; }
          if (message.op === "diff" && !boards[message.board]) { return; }
          boards[message.board] = ArenaSocket.applyBoard(boards[message.board], message);
          fromBoard(message.board, boards[message.board]);
        } else if (message.op === "epoch") {
          delete boards[message.board];
        } else if (message.op === "celebrate" && message.rep === state.rep && message.kind === "deal") {
          toast(fill(T.celebrate, {points: number.format(message.points)}));
        } else if (message.op === "badge" && message.rep === state.rep) {
          reloadState();
        } else if (message.op === "recognition" && (message.rep === state.rep ||
                   (!message.rep && state.team && message.team === state.team.id))) {
          if (message.kind === "kudos") { toast(fill(T.kudos_toast, {by: message.by, message: message.message})); }
          reloadState();
        }
      }
    });
  }

  document.addEventListener("visibilitychange", function () {
    if (!document.hidden) { socket.nudge(); reloadState(); loadChallenges(); }
  });
  Array.prototype.forEach.call(document.querySelectorAll(".tabbar a"), function (link) {
    link.addEventListener("click", function () {
      Array.prototype.forEach.call(document.querySelectorAll(".tabbar a"), function (l) { l.setAttribute("aria-current", l === link ? "true" : "false"); });
    });
  });

  renderProfile();
  renderNews();
  renderRecognition();
  renderContests();
  renderColleagues();
  renderDisputes(state.disputes);
  loadChallenges();
  connect();
  setInterval(loadChallenges, 60000);
  setInterval(function () { Object.keys(cards).forEach(function (id) { renderStanding(id, false); }); }, 60000);
  setInterval(loadDisputes, 30000);
  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/m/sw.js", {scope: "/m"}).catch(function () { /* not installable here */ });
  }
  window.arenaPhone = {socket: function () { return socket; }, cards: cards};
})();

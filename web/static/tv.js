/* Office TV: the display's playlist of slides, live over one websocket, readable from across the room.
   Runs for weeks: every list is keyed by id and its elements are reused, every buffer is bounded, and
   nothing is appended without something being removed, so the DOM and the heap stay the same size. */
(function () {
  "use strict";
  var config = JSON.parse(document.getElementById("tv-config").textContent);
  var T = config.text;
  var TOP_ROWS = 10;
  var MAX_PENDING = 50;
  var MAX_BADGES = 24;
  var COALESCE_MS = 900;
  var CARD_MS = 4500;

  function byId(id) { return document.getElementById(id); }
  var els = {
    title: byId("board-title"), label: byId("slide-label"), countdown: byId("countdown"), clock: byId("clock"),
    connection: byId("connection"), empty: byId("empty"), dots: byId("dots"), ticker: byId("ticker"),
    celebration: byId("celebration"), card: byId("celebration-card"), kicker: byId("celebration-kicker"),
    cName: byId("celebration-name"), cDetail: byId("celebration-detail"), confetti: byId("confetti"),
    banner: byId("banner"), bKicker: byId("banner-kicker"), bName: byId("banner-name"), bDetail: byId("banner-detail"),
    upcoming: byId("upcoming"), upCountdown: byId("upcoming-countdown"), upRules: byId("upcoming-rules"),
    upPrizes: byId("upcoming-prizes"), revoked: byId("revoked")
  };
  var sections = {};
  Array.prototype.forEach.call(document.querySelectorAll(".slide"), function (s) { sections[s.dataset.kind] = s; });

  var slides = config.slides || [];
  var boards = {};             // ws board id -> {rows, contest, team_names, ...}
  var badgeItems = [];         // newest first, at most MAX_BADGES
  var leaders = {};            // board -> leading rep id (lead changes)
  var goalsMet = {};           // contest id -> true once its goal was reached
  var current = -1;
  var slideTimer = null;

  /* --- formatting ------------------------------------------------------------------------------ */
  var number = new Intl.NumberFormat(config.locale);
  var tenths = new Intl.NumberFormat(config.locale, {minimumFractionDigits: 1, maximumFractionDigits: 1});
  /* Percent-of-target boards send each row's share of its target ("percent", one decimal) beside the score in
     tenths of a percent: show that, "95.0%", not the raw 950. */
  function scoreText(row, unit) {
    if (row.percent !== undefined && row.percent !== null) { return tenths.format(row.percent) + "%"; }
    return unit ? number.format(row.score) + " " + unit : number.format(row.score);
  }
  var moneyFormats = {};
  function money(amount, currency) {
    currency = currency || config.currency;
    if (!moneyFormats[currency]) {
      try {
        moneyFormats[currency] = new Intl.NumberFormat(config.locale, {style: "currency", currency: currency,
          currencyDisplay: "narrowSymbol", maximumFractionDigits: 0});
      } catch (err) {
        moneyFormats[currency] = new Intl.NumberFormat(config.locale, {style: "currency", currency: currency,
          maximumFractionDigits: 0});
      }
    }
    return moneyFormats[currency].format(Number(amount));
  }
  var relative = new Intl.RelativeTimeFormat(config.locale, {numeric: "auto"});
  function ago(iso) {
    var seconds = Math.round((Date.parse(iso) - Date.now()) / 1000);
    if (isNaN(seconds)) { return ""; }
    if (seconds > -60) { return relative.format(Math.min(seconds, 0), "second"); }
    if (seconds > -3600) { return relative.format(Math.round(seconds / 60), "minute"); }
    if (seconds > -86400) { return relative.format(Math.round(seconds / 3600), "hour"); }
    return relative.format(Math.round(seconds / 86400), "day");
  }
  var clockFormat = new Intl.DateTimeFormat(config.locale, {timeZone: config.timezone, weekday: "short",
    hour: "2-digit", minute: "2-digit", hour12: false});
  var awardedFormat = new Intl.DateTimeFormat(config.locale, {timeZone: config.timezone, month: "short", day: "numeric",
    hour: "2-digit", minute: "2-digit", hour12: false});
  var fill = ArenaText.fill;
  var PALETTE = ["#ef5350", "#42a5f5", "#66bb6a", "#ffca28", "#ab47bc", "#26c6da", "#ff7043", "#8d6e63"];
  function teamColor(id) {
    var team = config.teams[id];
    if (team && team.color) { return team.color; }
    var hash = 0;
    for (var i = 0; i < (id || "").length; i += 1) { hash = (hash * 31 + id.charCodeAt(i)) >>> 0; }
    return PALETTE[hash % PALETTE.length];
  }
  function teamName(copy, id) {
    return (copy && copy.team_names && copy.team_names[id]) || (config.teams[id] && config.teams[id].name) || id || "";
  }
  function contestOf(board) { var parts = (board || "").split(":"); return parts[0] === "contest" ? parts[1] : null; }

  /* --- the boards each slide watches ------------------------------------------------------------- */
  function sourceOf(slide) {
    if (slide.kind === "badges" || slide.kind === "fame" || slide.kind === "goal") { return null; }
    if (slide.kind === "wins") { return "feed:" + contestOf(slide.board); }
    return slide.board;
  }
  var watched = [];
  slides.forEach(function (slide) {
    var source = sourceOf(slide);
    if (source && watched.indexOf(source) < 0) { watched.push(source); }
    if (slide.kind === "thermometer" && watched.indexOf(slide.board) < 0) { watched.push(slide.board); }
  });

  /* --- keyed lists ------------------------------------------------------------------------------ */
  function KeyedList(element, make) {
    this.element = element;
    this.make = make;
    this.items = {};
  }
  KeyedList.prototype.sync = function (rows, update, animate) {
    var self = this;
    var before = {};
    if (animate) {
      Object.keys(this.items).forEach(function (id) { before[id] = self.items[id].getBoundingClientRect().top; });
    }
    var keep = {};
    var previous = null;
    rows.forEach(function (row) {
      var item = self.items[row.id];
      if (!item) { item = self.make(row); item.dataset.id = row.id; self.items[row.id] = item; }
      keep[row.id] = true;
      update(item, row);
      var expected = previous ? previous.nextSibling : self.element.firstChild;
      if (expected !== item) { self.element.insertBefore(item, expected); }
      previous = item;
    });
    Object.keys(this.items).forEach(function (id) {
      if (!keep[id]) { self.items[id].remove(); delete self.items[id]; }
    });
    if (!animate) { return; }
    rows.forEach(function (row) {
      var item = self.items[row.id];
      if (before[row.id] === undefined) {
        item.animate([{opacity: 0, transform: "translateX(-2vw)"}, {opacity: 1, transform: "none"}], {duration: 500});
        return;
      }
      var delta = before[row.id] - item.getBoundingClientRect().top;
      if (Math.abs(delta) < 1) { return; }
      item.animate([{transform: "translateY(" + delta + "px)"}, {transform: "translateY(0)"}],
                   {duration: 800, easing: "cubic-bezier(.2,.8,.2,1)"});
      if (delta > 0) { item.animate([{boxShadow: "0 0 0 .4vh #ffd54f, 0 0 4vh #ffd54f88"}, {boxShadow: "none"}], {duration: 2200}); }
    });
  };
  KeyedList.prototype.clear = function () {
    var self = this;
    Object.keys(this.items).forEach(function (id) { self.items[id].remove(); delete self.items[id]; });
  };

  function span(className, parent) {
    var el = document.createElement("span");
    el.className = className;
    parent.appendChild(el);
    return el;
  }
  function makeRow() {
    var li = document.createElement("li");
    li.className = "row";
    span("row-rank", li);
    var who = span("row-who", li);
    span("row-name", who);
    var team = span("row-team", who);
    span("team-dot", team);
    span("team-label", team);
    who.appendChild(ArenaAvatar.make("row-avatar"));  // shown first (CSS order), kept last so indexes stay
    var score = span("row-score", li);
    span("row-bar", score);
    span("row-bar-pending", score);
    span("row-number", score);
    span("row-pending", score);
    return li;
  }

  var lists = {
    board: new KeyedList(byId("board"), makeRow),
    stars: new KeyedList(byId("stars"), makeRow),
    teams: new KeyedList(byId("team-bars"), function () {
      var li = document.createElement("li");
      li.className = "team-bar";
      span("team-bar-rank", li);
      span("team-bar-name", li);
      var track = span("team-bar-track", li);
      span("team-bar-fill", track);
      span("team-bar-score", li);
      return li;
    }),
    wins: new KeyedList(byId("wins"), function () {
      var li = document.createElement("li");
      li.className = "win";
      span("win-dot", li);
      var who = span("win-who", li);
      span("win-name", who);
      span("win-team", who);
      span("win-amount", li);
      span("win-points", li);
      span("win-when", li);
      return li;
    }),
    badges: new KeyedList(byId("badge-wall"), function () {
      var li = document.createElement("li");
      li.className = "badge-card";
      li.innerHTML = '<svg viewBox="0 0 48 48" aria-hidden="true"><use href="#badge-star"/></svg>';  // tv.html's icons
      span("badge-title", li);
      span("badge-meaning", li);
      span("badge-name", li);
      span("badge-when", li);
      return li;
    })
  };

  /* --- slides ----------------------------------------------------------------------------------- */
  function renderRows(list, copy, unit, animate) {
    var rows = copy.rows.slice(0, TOP_ROWS);
    var top = rows.length ? Math.max(rows[0].score, 1) : 1;
    var started = rows.length > 0 && rows[0].score > 0;
    list.sync(rows, function (li, row) {
      var scored = row.score > 0;  // no medal for 0 points, and no ranks at all while everyone has 0
      li.dataset.rank = scored ? row.rank : "";
      li.classList.toggle("top", scored && row.rank <= 3);
      li.children[0].textContent = started ? row.rank : "–";
      var who = li.children[1];
      who.children[0].textContent = row.name;
      var team = who.children[1];
      team.hidden = !row.team;
      team.children[0].style.background = teamColor(row.team);
      team.children[1].textContent = teamName(copy, row.team);
      ArenaAvatar.fill(who.children[2], row.id, row.name, row.photo, config.token);
      var score = li.children[2];
      score.children[0].style.transform = "scaleX(" + Math.max(0, row.score / top) + ")";
      score.children[2].textContent = scoreText(row, unit);
      score.children[2].dataset.value = row.score;
      /* points not yet confirmed: the far end of the bar, lighter, and a note under the number */
      var pending = Math.max(0, Math.min(row.provisional || 0, row.score));
      var pendingBar = score.children[1];
      pendingBar.hidden = !pending;
      pendingBar.style.right = (100 * (row.score - pending) / top) + "%";
      pendingBar.style.width = (100 * pending / top) + "%";
      score.children[3].hidden = !pending;
      score.children[3].textContent = pending ? fill(T.provisional, {x: number.format(pending)}) : "";
      li.classList.toggle("has-pending", pending > 0);
    }, animate);
    return rows.length;
  }

  function renderTeams(copy, animate) {
    var rows = copy.rows.slice(0, 8);
    var top = rows.length ? Math.max(rows[0].score, 1) : 1;
    lists.teams.sync(rows, function (li, row) {
      li.classList.toggle("lead", row.score > 0 && row.rank === 1);
      li.children[0].textContent = row.score > 0 ? row.rank : "–";
      li.children[1].textContent = row.name;
      var fillEl = li.children[2].children[0];
      fillEl.style.background = teamColor(row.id);
      fillEl.style.transform = "scaleX(" + Math.max(0.02, row.score / top) + ")";
      li.children[3].textContent = scoreText(row);
      li.style.setProperty("--team", teamColor(row.id));
    }, animate);
    return rows.length;
  }

  function renderTug(copy) {
    var rows = copy.rows.slice(0, 2);
    if (rows.length < 2) { return 0; }
    var left = rows[0], right = rows[1];
    var ordered = left.id < right.id ? [left, right] : [right, left];  // a team keeps its side
    left = ordered[0]; right = ordered[1];
    var total = Math.max(left.score + right.score, 1);
    var share = left.score + right.score === 0 ? 0.5 : left.score / total;
    byId("tug-left-name").textContent = left.name;
    byId("tug-right-name").textContent = right.name;
    byId("tug-left-score").textContent = number.format(left.score);
    byId("tug-right-score").textContent = number.format(right.score);
    byId("tug-left-name").parentNode.style.setProperty("--team", teamColor(left.id));
    byId("tug-right-name").parentNode.style.setProperty("--team", teamColor(right.id));
    var fillEl = byId("tug-fill");
    fillEl.style.background = "linear-gradient(90deg, " + teamColor(left.id) + " " + (share * 100) + "%, " +
      teamColor(right.id) + " " + (share * 100) + "%)";
    byId("tug-knot").style.left = (share * 100) + "%";
    var gap = Math.abs(left.score - right.score);
    byId("tug-lead").textContent = gap === 0 ? T.tied :
      (left.score > right.score ? left.name : right.name) + " " + fill(T.leads_by, {x: number.format(gap)});
    return 2;
  }

  function pacing(contest) {
    var start = Date.parse(contest.starts_at), end = Date.parse(contest.ends_at);
    if (!(end > start)) { return 1; }
    return Math.min(1, Math.max(0, (Date.now() - start) / (end - start)));
  }

  function renderThermometer(copy) {
    var contest = copy.contest || {};
    var goal = contest.goal, total = 0, label = T.of_goal;
    copy.rows.forEach(function (row) { total += row.score; });
    if (!goal && contest.target) { goal = contest.target; total = copy.rows.length ? copy.rows[0].score : 0; label = T.of_target; }
    byId("thermo-fill").parentNode.parentNode.classList.toggle("no-goal", !goal);
    if (!goal) {
      byId("thermo-percent").textContent = "";
      byId("thermo-total").textContent = T.no_goal;
      byId("thermo-status").textContent = "";
      byId("thermo-fill").style.transform = "scaleY(0)";
      return 1;
    }
    var share = total / goal;
    var expected = pacing(contest);
    byId("thermo-fill").style.transform = "scaleY(" + Math.min(1, share) + ")";
    byId("thermo-pace").style.bottom = (expected * 100) + "%";
    byId("thermo-percent").textContent = Math.floor(share * 100) + "%";
    byId("thermo-total").textContent = fill(T.goal_total, {score: number.format(total), goal: number.format(goal)}) + " · " + label;
    var diff = Math.round(total - expected * goal);
    var status = byId("thermo-status");
    status.textContent = Math.abs(diff) < goal * 0.005 ? T.on_pace :
      fill(diff > 0 ? T.ahead : T.behind, {x: number.format(Math.abs(diff)) + " " + T.points});
    status.className = "thermo-status " + (diff >= 0 ? "good" : "bad");
    return 1;
  }

  function renderWins(copy, animate) {
    var currency = (copy.contest && copy.contest.currency) || config.currency;
    var rows = copy.rows.slice(0, 8);
    lists.wins.sync(rows, function (li, row) {
      li.children[0].style.background = teamColor(row.team);
      li.children[1].children[0].textContent = row.name;
      li.children[1].children[1].textContent = teamName(copy, row.team);
      li.children[2].textContent = row.amount ? money(row.amount, currency) : "";
      li.children[3].textContent = "+" + number.format(row.score) + " " + T.points;
      li.children[4].textContent = row.at ? ago(row.at) : "";
      li.children[4].dataset.at = row.at || "";
    }, animate);
    return rows.length;
  }

  function renderBadges(animate) {
    lists.badges.sync(badgeItems.slice(0, 8), function (li, item) {
      var known = config.badges[item.badge] || {kind: "", meaning: ""};  // a badge defined after this page loaded: a star
      li.dataset.kind = known.kind;
      li.firstChild.firstChild.setAttribute("href", "#badge-" + (known.kind || "star"));
      li.children[1].textContent = item.title ? (item.title[config.locale] || item.title.en || item.badge) : item.badge;
      li.children[2].textContent = known.meaning;
      li.children[3].textContent = item.name;
      li.children[4].textContent = item.awarded_at ? awardedFormat.format(new Date(item.awarded_at)) : "";
      li.style.setProperty("--team", teamColor(item.team));
    }, animate);
    return Math.min(badgeItems.length, 8);
  }

  /* A contest that has not started: when it starts, its rules and its prizes (no ranks, no medals). */
  function upcomingContest(slide) {
    if (slide.kind === "badges" || slide.kind === "stars" || slide.kind === "fame" || slide.kind === "goal") { return null; }
    var copy = boards[slide.board] || boards[sourceOf(slide)];
    var contest = copy && copy.contest;
    return contest && Date.parse(contest.starts_at) > Date.now() ? contest : null;
  }

  function renderUpcoming(contest) {
    var facts = (config.contests || {})[contest.id] || {};
    var prizes = facts.prizes || [];
    els.upRules.textContent = facts.rules || "";
    els.upRules.hidden = !facts.rules;
    els.upPrizes.hidden = !prizes.length;
    while (els.upPrizes.children.length > prizes.length) { els.upPrizes.lastChild.remove(); }
    prizes.forEach(function (text, i) {
      var li = els.upPrizes.children[i] || els.upPrizes.appendChild(document.createElement("li"));
      li.textContent = text;
    });
    els.title.textContent = contest.name;
    els.countdown.dataset.start = contest.starts_at;
    els.countdown.dataset.end = contest.ends_at;
    tick();
  }

  function renderSlide(animate) {
    var slide = slides[current];
    if (!slide) { return; }
    var kind = slide.kind;
    var copy = boards[sourceOf(slide)];
    var shown = 0;
    var upcoming = upcomingContest(slide);
    sections[kind].hidden = !!upcoming;
    els.upcoming.hidden = !upcoming;
    if (upcoming) { renderUpcoming(upcoming); shown = 1; }
    else if (kind === "badges") { shown = renderBadges(animate); }
    else if (kind === "fame") { shown = renderFame(); }
    else if (kind === "goal") { shown = window.arenaGoalSlide.render(slide, els.title, T); }
    else if (copy) {
      if (kind === "board") { shown = renderRows(lists.board, copy, "", animate); }
      else if (kind === "stars") { shown = renderRows(lists.stars, copy, T.xp, animate); }
      else if (kind === "teams") { shown = renderTeams(copy, animate); }
      else if (kind === "tug") { shown = renderTug(copy); }
      else if (kind === "thermometer") { shown = renderThermometer(boards[slide.board] || copy); }
      else if (kind === "wins") { shown = renderWins(copy, animate); }
      var contest = copy.contest || (boards[slide.board] && boards[slide.board].contest);
      if (contest) { els.title.textContent = contest.name; els.countdown.dataset.start = contest.starts_at;
                     els.countdown.dataset.end = contest.ends_at; }
    }
    if (kind === "goal") { delete els.countdown.dataset.end; }
    if (kind === "stars" || kind === "badges" || kind === "fame") {
      els.title.textContent = T[kind];
      delete els.countdown.dataset.end;
    }
    els.empty.textContent = kind === "badges" ? T.no_badges : kind === "fame" ? T.no_fame : T.no_wins;
    els.empty.hidden = shown > 0;
  }

  function showSlide(index) {
    if (!slides.length) { return; }
    var previous = slides[current];
    current = index % slides.length;
    var slide = slides[current];
    Object.keys(sections).forEach(function (kind) { sections[kind].hidden = kind !== slide.kind; });
    if (previous && (previous.kind !== slide.kind || previous.board !== slide.board) && lists[slide.kind]) {
      lists[slide.kind].clear();   // another board in the same frame: start fresh, no cross-board FLIP
    }
    els.label.textContent = slide.kind === "stars" || slide.kind === "badges" || slide.kind === "fame" ? "" : T[slide.kind] || "";
    Array.prototype.forEach.call(els.dots.children, function (dot, i) { dot.classList.toggle("on", i === current); });
    sections[slide.kind].animate([{opacity: 0}, {opacity: 1}], {duration: 600});
    if (slide.kind === "badges") { loadBadges(); }
    if (slide.kind === "fame") { loadFame(); }
    if (slide.kind === "goal") { window.arenaGoalSlide.load(slide, config.token, function () { renderSlide(false); }); }
    renderSlide(false);
    clearTimeout(slideTimer);
    if (slides.length > 1) { slideTimer = setTimeout(function () { showSlide(current + 1); }, slide.seconds * 1000); }
  }

  slides.forEach(function () { els.dots.appendChild(document.createElement("li")); });

  /* --- celebrations: the board stays the point of the screen --------------------------------------
     Ordinary deals (and badges) slide into a banner in the footer, which never covers the board. Only moments
     that deserve it get the full-screen card: a new leader, a big deal (the display's big_deal), a goal, a
     champion, a correction; and after a card the next one waits FULL_GAP_MS, so at any deal rate the card
     covers the board at most CARD_MS / (CARD_MS + FULL_GAP_MS) of the time (15 %). Within quiet hours there
     are no cards and no sound. Everything arriving together is folded into one card or one banner. */
  var pending = [];
  var showing = false;         // a card or a banner is up: newcomers wait and are folded into the next one
  var flushTimer = null;
  var nextFullAt = 0;          // no full card before this time (ms)
  var waitingForCard = false;  // flushTimer is only waiting out the gap for a held moment
  var BANNER_MS = 4000;
  var FULL_GAP_MS = 25000;
  var PRIORITY = {correction: 7, contest_won: 6, award: 6, goal: 5, record: 4, lead: 3, kudos: 2, big: 2, badge: 1, deal: 0};
  var DESERVES_CARD = {correction: true, contest_won: true, award: true, goal: true, record: true, lead: true, big: true, kudos: true};
  var HELD = {correction: true, contest_won: true, award: true};  // too important for a banner: they wait for a card

  function minutesOf(text) { return Number(text.slice(0, 2)) * 60 + Number(text.slice(3, 5)); }
  var localTime = new Intl.DateTimeFormat("en-GB", {timeZone: config.timezone, hour: "2-digit", minute: "2-digit", hourCycle: "h23"});
  function quietNow() {
    var range = config.quietHours;
    if (!range) { return false; }
    var now = minutesOf(localTime.format(new Date())), from = minutesOf(range), to = minutesOf(range.slice(6));
    return from < to ? now >= from && now < to : now >= from || now < to;
  }

  function enqueue(event) {
    pending.push(event);
    if (pending.length > MAX_PENDING) { pending.splice(0, pending.length - MAX_PENDING); }
    if (waitingForCard) { clearTimeout(flushTimer); flushTimer = null; waitingForCard = false; }
    if (!showing && !flushTimer) { flushTimer = setTimeout(flush, COALESCE_MS); }
  }

  function flush() {
    flushTimer = null;
    waitingForCard = false;
    if (!pending.length) { showing = false; return; }
    var quiet = quietNow();
    var cardAllowed = !quiet && Date.now() >= nextFullAt;
    var worthy = pending.some(function (e) { return DESERVES_CARD[e.kind]; });
    var burst;
    if (worthy && cardAllowed) {
      burst = pending.splice(0, pending.length);
      present(burst, "card");
      return;
    }
    burst = pending.filter(function (e) { return quiet || !HELD[e.kind]; });
    pending = pending.filter(function (e) { return !quiet && HELD[e.kind]; });
    if (burst.length) { present(burst, "banner"); return; }
    showing = false;  // only held moments left: they get the card once the gap is over
    waitingForCard = true;
    flushTimer = setTimeout(flush, Math.max(COALESCE_MS, nextFullAt - Date.now()));
  }

  /* kicker, name and detail for a burst: the most important moment leads, deals are summed up */
  function describe(burst) {
    burst.sort(function (a, b) { return PRIORITY[b.kind] - PRIORITY[a.kind]; });
    var main = burst[0];
    var deals = burst.filter(function (e) { return e.kind === "deal" || e.kind === "big" || e.kind === "record"; });
    var others = burst.length - 1;
    var kicker, name, detail;
    if ((main.kind === "deal" || main.kind === "big") && deals.length > 1) {
      var names = [], total = 0, points = 0;
      deals.forEach(function (d) { if (names.indexOf(d.name) < 0) { names.push(d.name); } total += Number(d.amount || 0); points += d.points || 0; });
      kicker = fill(T.new_deals, {n: deals.length});
      name = names.slice(0, 3).join(" · ") + (names.length > 3 ? " " + fill(T.more_names, {n: names.length - 3}) : "");
      detail = (total ? money(total, main.currency) + " · " : "") + "+" + number.format(points) + " " + T.points;
      others = burst.length - deals.length;
    } else {
      kicker = {deal: T.new_deal, big: T.big_deal, record: T.new_record, badge: T.new_badge, lead: T.new_leader,
                goal: T.goal_reached, contest_won: T.champion, correction: T.corrected, kudos: T.kudos,
                award: T.award}[main.kind];
      if (main.corrected) { kicker = T.award_corrected; }
      name = main.name;
      detail = main.detail;
      var own = burst.filter(function (e) { return e !== main && deals.indexOf(e) >= 0 && e.name === main.name; })[0];
      if (own && main.kind === "lead") { detail = own.detail; others -= 1; }
    }
    if (others > 0) { detail += "  " + (others === 1 ? T.more_one : fill(T.more, {n: others})); }
    return {main: main, kicker: kicker, name: name, detail: detail};
  }

  function present(burst, how) {
    var text = describe(burst);
    var kind = text.main.kind;
    showing = true;
    if (how === "card") {
      els.kicker.textContent = text.kicker;
      els.cName.textContent = text.name;
      els.cDetail.textContent = text.detail;
      var big = kind !== "deal" && kind !== "correction";
      els.card.className = "celebration-card kind-" + kind + (big ? " big" : "");
      els.celebration.hidden = false;
      els.card.animate([{transform: "scale(.6)", opacity: 0}, {transform: "scale(1.04)", opacity: 1, offset: .7},
                        {transform: "scale(1)", opacity: 1}], {duration: 600, easing: "ease-out"});
      if (big) { burstConfetti(); }
      chime(big);
      nextFullAt = Date.now() + CARD_MS + FULL_GAP_MS;
    } else {
      els.bKicker.textContent = text.kicker;
      els.bName.textContent = text.name;
      els.bDetail.textContent = text.detail;
      els.banner.className = "banner kind-" + kind;
      els.banner.hidden = false;
      els.ticker.hidden = true;
      els.banner.animate([{transform: "translateY(100%)", opacity: 0}, {transform: "none", opacity: 1}], {duration: 400, easing: "ease-out"});
      chime(false);
    }
    setTimeout(function () {
      els.celebration.hidden = true;
      els.banner.hidden = true;
      els.ticker.hidden = false;
      flush();
    }, how === "card" ? CARD_MS : BANNER_MS);
  }

  /* A fixed set of confetti pieces, made once and re-launched: nothing accumulates. */
  var CONFETTI = 36;
  for (var c = 0; c < CONFETTI; c += 1) {
    var piece = document.createElement("i");
    piece.style.left = (c * 97 % 100) + "%";
    piece.style.background = PALETTE[c % PALETTE.length];
    piece.style.animationDelay = (c % 9) * 0.07 + "s";
    els.confetti.appendChild(piece);
  }
  function burstConfetti() {
    els.confetti.classList.remove("go");
    void els.confetti.offsetWidth;  // restart the CSS animation
    els.confetti.classList.add("go");
  }

  /* A short chime made in the browser (Web Audio); only when the display has sound switched on. */
  var audio = null;
  var lastChime = 0;
  function chime(big) {
    if (!config.sound || quietNow() || Date.now() - lastChime < 3000) { return; }
    lastChime = Date.now();
    try {
      audio = audio || new (window.AudioContext || window.webkitAudioContext)();
      if (audio.state === "suspended") { audio.resume(); }
      var notes = big ? [523.25, 659.25, 783.99, 1046.5] : [659.25, 987.77];
      notes.forEach(function (frequency, i) {
        var osc = audio.createOscillator(), gain = audio.createGain();
        var at = audio.currentTime + i * 0.11;
        osc.type = "triangle";
        osc.frequency.value = frequency;
        gain.gain.setValueAtTime(0.0001, at);
        gain.gain.exponentialRampToValueAtTime(0.25, at + 0.02);
        gain.gain.exponentialRampToValueAtTime(0.0001, at + 0.45);
        osc.connect(gain).connect(audio.destination);
        osc.start(at);
        osc.stop(at + 0.5);
      });
    } catch (err) { /* no audio device: celebrate silently */ }
  }

  /* --- live updates ----------------------------------------------------------------------------- */
  function noticeLeadAndGoal(board, copy) {
    var contestId = contestOf(board);
    if (!contestId || board.split(":").length !== 2 || !copy.rows.length) { return; }
    var first = copy.rows[0];
    var before = leaders[board];
    if (before !== undefined && before !== first.id && first.score > 0) {
      var old = copy.rows.filter(function (r) { return r.id === before; })[0];
      if (!old || old.rank > first.rank) {
        enqueue({kind: "lead", name: first.name, detail: copy.contest ? copy.contest.name : ""});
      }
    }
    leaders[board] = first.score > 0 ? first.id : before;
    var goal = copy.contest && copy.contest.goal;
    if (goal) {
      var total = 0;
      copy.rows.forEach(function (r) { total += r.score; });
      if (total >= goal && goalsMet[contestId] === false) {
        enqueue({kind: "goal", name: copy.contest.name, detail: number.format(total) + " / " + number.format(goal) + " " + T.points});
      }
      goalsMet[contestId] = total >= goal;
    }
  }

  function onBoard(message) {
    if (message.op === "diff" && !boards[message.board]) { return; }  // a snapshot comes first
    var copy = ArenaSocket.applyBoard(boards[message.board], message);
    boards[message.board] = copy;
    noticeLeadAndGoal(message.board, copy);
    var slide = slides[current];
    if (slide && (sourceOf(slide) === message.board || slide.board === message.board)) { renderSlide(true); }
  }

  /* A big deal: at least the display's big_deal or the contest's (whichever is set); neither set: ¥100,000. */
  function isBig(amount, contest) {
    var display = config.bigDeal, own = contest && contest.big_deal;
    var set = display !== null && display !== undefined;
    if (!set && !own) { return amount >= 100000; }
    return (set && amount >= Number(display)) || (!!own && amount >= Number(own));
  }

  function onCelebrate(message) {
    if (message.kind === "deal") {
      var contest = boards[message.board] && boards[message.board].contest;
      var currency = (contest && contest.currency) || config.currency;
      var amount = Number(message.amount || 0);
      var kind = message.record_over ? "record" : isBig(amount, contest) ? "big" : "deal";
      var detail = (message.amount ? money(message.amount, currency) + " · " : "") + "+" +
        number.format(message.points) + " " + T.points;
      if (kind === "record") { detail = fill(T.record_detail, {amount: money(message.amount, currency), before: money(message.record_over, currency)}); }
      enqueue({kind: kind, name: message.name, amount: message.amount, points: message.points,
               currency: currency, detail: detail});
      els.ticker.textContent = message.name + "  " + (message.amount ? money(message.amount, currency) : "") +
        "  +" + number.format(message.points) + " " + T.points;
    } else if (message.kind === "correction") {
      enqueue({kind: "correction", name: message.name ? fill(T.corrected_champion, {name: message.name}) : T.corrected_none,
               detail: message.reason || ""});
    } else {
      enqueue({kind: message.kind === "contest_won" ? "contest_won" : "deal", name: message.name,
               detail: message.points ? number.format(message.points) + " " + T.points : ""});
    }
  }

  function onBadge(message) {
    if (message.action === "revoked") {
      badgeItems = badgeItems.filter(function (b) { return !(b.rep === message.rep && b.badge === message.badge && b.period === message.period); });
    } else {
      var id = message.rep + "|" + message.badge + "|" + message.period;
      badgeItems = badgeItems.filter(function (b) { return b.id !== id; });
      badgeItems.unshift({id: id, rep: message.rep, name: message.name, team: message.team, badge: message.badge,
                          period: message.period, title: message.title, awarded_at: new Date().toISOString()});
      if (badgeItems.length > MAX_BADGES) { badgeItems.length = MAX_BADGES; }
      var title = message.title ? (message.title[config.locale] || message.title.en) : message.badge;
      if (!message.corrected) { enqueue({kind: "badge", name: message.name, detail: title}); }
    }
    if (slides[current] && slides[current].kind === "badges") { renderSlide(true); }
  }

  /* Kudos and awards (op "recognition"): every screen hears them; a manager's words are shown as text. */
  function awardTitle(item) { return item.title || (T.award_titles || {})[item.award] || item.award || ""; }
  function onRecognition(message) {
    if (message.kind === "kudos") {
      enqueue({kind: "kudos", name: message.name, detail: "“" + (message.message || "") + "” — " + (message.by || "")});
    } else if (message.kind === "award") {
      enqueue({kind: message.corrected ? "correction" : "award", corrected: message.corrected, name: message.name,
               detail: awardTitle(message) + (message.contest_name ? " · " + message.contest_name : "")});
      if (slides[current] && slides[current].kind === "fame") { loadFame(); }
    }
  }

  /* The hall of fame slide: read when it comes up (and after an award), at most 8 + 5 + 5 lines. */
  var fame = {champions: [], records: [], streaks: []};
  function fillList(list, items, render) {
    while (list.children.length > items.length) { list.lastChild.remove(); }
    items.forEach(function (item, i) {
      var li = list.children[i];
      if (!li) { li = list.appendChild(document.createElement("li")); span("fame-name", li); span("fame-detail", li); }
      var text = render(item);
      li.children[0].textContent = text[0];
      li.children[1].textContent = text[1];
    });
  }
  function renderFame() {
    fillList(byId("fame-champions"), fame.champions, function (c) { return [c.name, awardTitle(c) + (c.contest_name ? " · " + c.contest_name : "")]; });
    fillList(byId("fame-records"), fame.records, function (r) { return [r.name, money(r.amount) + " · " + r.month]; });
    fillList(byId("fame-streaks"), fame.streaks, function (s) { return [s.name, fill(T.streak_days, {n: s.days})]; });
    return fame.champions.length + fame.records.length + fame.streaks.length;
  }
  function loadFame() {
    fetch("/api/v1/wall/fame?token=" + encodeURIComponent(config.token), {cache: "no-store"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        fame = data;
        if (slides[current] && slides[current].kind === "fame") { renderSlide(false); }
      })
      .catch(function () { /* offline: keep what we have */ });
  }

  function loadBadges() {
    fetch("/api/v1/wall/badges?token=" + encodeURIComponent(config.token), {cache: "no-store"})
      .then(function (r) { return r.ok ? r.json() : null; })
      .then(function (data) {
        if (!data) { return; }
        var seen = {};
        badgeItems = data.badges.slice(0, MAX_BADGES).filter(function (b) {
          b.id = b.rep + "|" + b.badge + "|" + b.period;
          if (seen[b.id]) { return false; }
          seen[b.id] = true;
          return true;
        });
        if (slides[current] && slides[current].kind === "badges") { renderSlide(false); }
      })
      .catch(function () { /* offline: keep what we have */ });
  }

  var socket = new ArenaSocket({
    token: config.token,
    boards: watched,
    onStatus: function (status) {
      els.connection.hidden = status === "open";
      document.body.classList.toggle("offline", status !== "open");
    },
    onMessage: function (message) {
      if (message.op === "snapshot" || message.op === "diff") { onBoard(message); }
      else if (message.op === "epoch") { delete boards[message.board]; delete leaders[message.board]; }
      else if (message.op === "celebrate") { onCelebrate(message); }
      else if (message.op === "badge") { onBadge(message); }
      else if (message.op === "recognition") { onRecognition(message); }
    }
  });

  /* --- clock, countdown, settings --------------------------------------------------------------- */
  function two(n) { return (n < 10 ? "0" : "") + n; }
  function duration(left) {
    var d = Math.floor(left / 86400), h = Math.floor(left % 86400 / 3600), m = Math.floor(left % 3600 / 60), s = left % 60;
    return (d ? fill(T.days, {d: d}) + " " : "") + two(h) + ":" + two(m) + ":" + two(s);
  }
  function tick() {
    els.clock.textContent = clockFormat.format(new Date());
    var end = Date.parse(els.countdown.dataset.end || ""), start = Date.parse(els.countdown.dataset.start || "");
    if (isNaN(end)) { els.countdown.textContent = ""; return; }
    var upcoming = !isNaN(start) && start > Date.now();
    if (!els.upcoming.hidden && !upcoming) { renderSlide(false); return; }  // it has just started
    var left = Math.floor(((upcoming ? start : end) - Date.now()) / 1000);
    if (left <= 0) { els.countdown.textContent = T.ended; els.countdown.classList.remove("urgent"); return; }
    els.countdown.textContent = (upcoming ? T.starts_in : T.ends_in) + " " + duration(left);
    els.countdown.classList.toggle("urgent", !upcoming && left < 3600);
    if (upcoming) { els.upCountdown.textContent = fill(T.starts_in_long, {time: duration(left)}); }
  }

  function checkSettings() {
    fetch("/tv/" + encodeURIComponent(config.token) + "/config.json", {cache: "no-store"})
      .then(function (r) {
        if (r.status === 404) { els.revoked.hidden = false; socket.close(); return null; }
        return r.ok ? r.json() : null;
      })
      .then(function (settings) {
        if (!settings) { return; }
        if (settings.version !== config.version) { location.reload(); return; }
        config.teams = settings.teams;
      })
      .catch(function () { /* offline: the socket's indicator says so */ });
  }

  document.addEventListener("visibilitychange", function () { if (!document.hidden) { socket.nudge(); } });
  window.addEventListener("online", function () { socket.nudge(); });
  setInterval(tick, 1000);
  setInterval(checkSettings, 60000);
  setInterval(function () {  // keep "3 minutes ago" honest
    Array.prototype.forEach.call(document.querySelectorAll(".win-when"), function (el) { el.textContent = el.dataset.at ? ago(el.dataset.at) : ""; });
  }, 30000);
  tick();
  if (slides.some(function (s) { return s.kind === "badges"; })) { loadBadges(); }  // only a wall slide may read it
  showSlide(0);

  window.arenaTv = {
    socket: socket,
    boards: boards,
    show: function (index) { showSlide(index); },
    rowCount: function () { return byId("board").children.length; },
    pending: function () { return pending.length; },
    quiet: quietNow
  };
})();

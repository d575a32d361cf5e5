/* A rep's face wherever a rep is named (TV rows, the phone): their photo, served by our own server under its
   digest, or their initials in a coloured circle. The colour follows the rep's id, so a rep keeps it on every
   screen; every colour carries white initials at 4.5:1 or more. */
(function () {
  "use strict";
  var COLORS = ["#b3261e", "#1a5fb4", "#2a7a34", "#8839a8", "#00695c", "#a4451a", "#5d4037", "#3949ab"];
  var CJK = /[\u3400-\u9fff\uf900-\ufaff]/;
  var CJK_ALL = /[\u3400-\u9fff\uf900-\ufaff]/g;

  function colorOf(id) {
    var hash = 0;
    for (var i = 0; i < (id || "").length; i += 1) { hash = (hash * 31 + id.charCodeAt(i)) >>> 0; }
    return COLORS[hash % COLORS.length];
  }

  /* A Chinese name: its last two Chinese characters; Alice Wang → AW, A.W. → AW; one word: its first two letters */
  function initialsOf(name) {
    var clean = (name || "").replace(/\./g, " ").trim();
    if (!clean) { return "?"; }
    if (CJK.test(clean.charAt(0))) { return (clean.match(CJK_ALL) || []).join("").slice(-2); }
    var words = clean.split(/\s+/);
    var letters = words.length > 1 ? words[0].charAt(0) + words[words.length - 1].charAt(0) : words[0].slice(0, 2);
    return letters.toUpperCase();
  }

  function photoUrl(id, photo, token) {
    return "/api/v1/reps/" + encodeURIComponent(id) + "/photo/" + encodeURIComponent(photo) +
      (token ? "?token=" + encodeURIComponent(token) : "");
  }

  /* An avatar element: <span class="avatar" data-initials="AW"><img class="avatar-photo" alt=""></span>; the
     initials are drawn by CSS (::after), so they add nothing to the text of the row or line they sit in. */
  function make(className) {
    var el = document.createElement("span");
    el.className = "avatar" + (className ? " " + className : "");
    el.setAttribute("aria-hidden", "true");
    var img = document.createElement("img");
    img.className = "avatar-photo";
    img.alt = "";
    img.decoding = "async";
    img.hidden = true;
    img.addEventListener("error", function () { img.hidden = true; el.classList.remove("has-photo"); });
    img.addEventListener("load", function () { el.classList.add("has-photo"); });
    el.appendChild(img);
    return el;
  }

  /* Show ``photo`` (a digest) or the initials of ``name``; ``token`` is a TV's, for its own credential. */
  function fill(el, id, name, photo, token) {
    var img = el.firstChild;
    el.style.backgroundColor = colorOf(id);
    el.dataset.initials = initialsOf(name);
    el.dataset.photo = photo || "";
    if (!photo) {
      img.hidden = true;
      img.removeAttribute("src");
      el.classList.remove("has-photo");
      return;
    }
    var src = photoUrl(id, photo, token);
    if (img.getAttribute("src") !== src) { el.classList.remove("has-photo"); img.setAttribute("src", src); }
    img.hidden = false;
  }

  window.ArenaAvatar = {make: make, fill: fill, initials: initialsOf, color: colorOf};
})();

/* Badge icons by kind: one 24×24 SVG path each, ours. The single place to swap the drawings (phone pages read
   window.ArenaBadgeIcons.icon(kind)); a kind without a drawing gets the star. */
(function () {
  "use strict";
  var STAR = "M12 2l3 6.3 6.9.9-5 4.8 1.2 6.9L12 17.6 5.9 20.9l1.2-6.9-5-4.8 6.9-.9z";
  var PATHS = {
    first_deal: "M6 2h2v20H6zm3 1h11l-3 4 3 4H9z",                                   /* a flag planted */
    threshold: "M3 21h18v-2H3zm2-3h3V9H5zm5.5 0h3V4h-3zM16 18h3v-6h-3z",              /* rising bars */
    big_deal: "M12 2l9 7-9 13L3 9zm0 3.2L6.4 9 12 17.1 17.6 9z",                       /* a diamond */
    hat_trick: "M4 15h16v3H4zm3-9h10l1 8H6zm-1 13h12v2H6z",                            /* a top hat */
    streak: "M13 1L4 14h6l-1 9 9-13h-6z",                                             /* a bolt */
    new_logo: "M12 2a10 10 0 100 20 10 10 0 000-20zm1 5v4h4v2h-4v4h-2v-4H7v-2h4V7z",  /* a plus in a ring */
    record_breaker: "M12 2l3 7h7l-5.5 4.5L18.5 21 12 16.5 5.5 21l2-7.5L2 9h7z",
    champion: "M5 3h14v3a5 5 0 01-4 4.9V14h3v2H6v-2h3v-3.1A5 5 0 015 6zm3 15h8v3H8z",  /* a cup */
    best_team: "M8 4a3 3 0 110 6 3 3 0 010-6zm8 0a3 3 0 110 6 3 3 0 010-6zM2 19c0-4 3-6 6-6s6 2 6 6zm12 0c0-2-.7-3.6-1.8-4.7A6 6 0 0122 19z",
    comeback: "M4 20l6-6 4 4 6-8v4h2V6h-8v2h4l-4.5 6-4-4L2.6 18.6z"                   /* a climbing arrow */
  };
  function icon(kind) {
    var ns = "http://www.w3.org/2000/svg";
    var svg = document.createElementNS(ns, "svg");
    svg.setAttribute("viewBox", "0 0 24 24");
    svg.setAttribute("aria-hidden", "true");
    svg.setAttribute("class", "badge-svg badge-" + (PATHS[kind] ? kind : "star"));
    var path = document.createElementNS(ns, "path");
    path.setAttribute("d", PATHS[kind] || STAR);
    path.setAttribute("fill", "currentColor");
    svg.appendChild(path);
    return svg;
  }
  window.ArenaBadgeIcons = {paths: PATHS, icon: icon};
})();

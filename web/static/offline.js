/* The phone's offline page (served by the service worker from its cache): try the page again. */
"use strict";
document.getElementById("retry").addEventListener("click", function () { location.reload(); });

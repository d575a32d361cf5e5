/* Service worker of the reps' phone app: caches the shell only (styles, scripts, icons, offline page).
   Standings, ledgers and challenges always come from the network: a cached score would be a wrong score. */
"use strict";
var SHELL = "__SHELL_VERSION__";
var FILES = ["/m/offline", "/static/offline.js", "/static/fonts.css", "/static/app.css", "/static/mobile.js", "/static/text.js",
             "/static/arena-socket.js", "/static/badge-icons.js", "/static/avatars.js", "/static/photos.js", "/static/favicon.svg",
             "/static/icons/icon-192.png", "/static/icons/icon.svg"];

self.addEventListener("install", function (event) {
  event.waitUntil(caches.open(SHELL).then(function (cache) { return cache.addAll(FILES); }).then(function () { return self.skipWaiting(); }));
});

self.addEventListener("activate", function (event) {
  event.waitUntil(caches.keys().then(function (names) {
    return Promise.all(names.filter(function (n) { return n !== SHELL; }).map(function (n) { return caches.delete(n); }));
  }).then(function () { return self.clients.claim(); }));
});

self.addEventListener("fetch", function (event) {
  var request = event.request;
  var url = new URL(request.url);
  if (request.method !== "GET" || url.origin !== self.location.origin) { return; }
  if (request.mode === "navigate") {
    event.respondWith(fetch(request).catch(function () { return caches.match("/m/offline"); }));
    return;
  }
  if (FILES.indexOf(url.pathname) < 0) { return; }  // data: straight to the network
  event.respondWith(caches.open(SHELL).then(function (cache) {
    return cache.match(request).then(function (cached) {
      var fresh = fetch(request).then(function (response) {
        if (response.ok) { cache.put(request, response.clone()); }
        return response;
      });
      return cached ? (fresh.catch(function () {}), cached) : fresh;
    });
  }));
});

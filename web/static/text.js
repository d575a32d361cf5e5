/* Words with values in them, for every page's script: the catalogues' sentences carry {name} placeholders
   ("{valid} rows ready, {invalid} with errors") that the script fills in.

   window.ArenaText = {
     fill(template, values) -> template with each {key} replaced by values[key]; a key without a value keeps
                               its placeholder, so a missing value shows where it is missing
   }
   Loaded before the page scripts by console/base.html, mobile.html and tv.html. */
(function (global) {
  "use strict";

  function fill(template, values) {
    return template.replace(/\{(\w+)\}/g, function (all, key) { return values[key] === undefined ? all : values[key]; });
  }

  global.ArenaText = {fill: fill};
})(window);

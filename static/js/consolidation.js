// The consolidation page stays live without a refresh button: when a table's axes or the
// priority axes change, the server says so and the page refetches its region, at most
// once every few seconds (during the axes step, tables change many times a second).
(function () {
  "use strict";
  var body = document.body;
  var waiting = null;
  var last = 0;
  var GAP = 3000;

  body.addEventListener("tablee:stale", function (event) {
    if (event.detail !== "consolidation" || waiting || !window.tablee) return;
    var delay = Math.max(0, last + GAP - Date.now());
    waiting = setTimeout(function () {
      waiting = null;
      last = Date.now();
      window.tablee.refetch();
    }, delay);
  });
})();

// The projector has no one to scroll it: the wall's grid shows as many tiles as fit the
// screen, and when there are more it turns its pages by itself at a steady rhythm, so that
// every table is seen once per round. A pushed tile replaces its element wherever it is,
// on a hidden page too; the page is laid out again after every push.
(function () {
  "use strict";
  var body = document.body;
  var pager = document.getElementById("wall-pager");
  var wanted = Number(new URLSearchParams(window.location.search).get("secondes"));
  var seconds = wanted > 0 ? wanted : Number(body.dataset.pageSeconds) || 12;
  var page = 0;

  // The grid this phase shows: the tables, or the priority axes during consolidation.
  function grid() {
    var grids = document.querySelectorAll("#board [data-pages]");
    for (var i = 0; i < grids.length; i++) {
      if (grids[i].offsetParent !== null || grids[i].getClientRects().length) return grids[i];
    }
    return null;
  }

  // How many tiles fit: the grid's columns (as the browser laid them out) times the rows
  // its height holds.
  function perPage(el) {
    var style = getComputedStyle(el);
    var columns = style.gridTemplateColumns.split(" ").filter(Boolean).length || 1;
    var row = parseFloat(style.gridAutoRows) || 200;
    var gap = parseFloat(style.rowGap) || 0;
    var rows = Math.max(1, Math.floor((el.clientHeight + gap) / (row + gap)));
    return columns * rows;
  }

  function layout() {
    var el = grid();
    if (!el) { if (pager) pager.hidden = true; return; }
    var tiles = el.children;
    Array.prototype.forEach.call(tiles, function (tile) { tile.hidden = false; });
    var size = perPage(el);
    var pages = Math.max(1, Math.ceil(tiles.length / size));
    page = page % pages;
    Array.prototype.forEach.call(tiles, function (tile, i) {
      tile.hidden = Math.floor(i / size) !== page;
    });
    el.dataset.page = String(page + 1);
    el.dataset.pages = String(pages);
    if (pager) {
      pager.hidden = pages < 2;
      pager.textContent = (body.dataset.pageLabel || "Page") + " " + (page + 1) + " / " + pages;
    }
    body.dispatchEvent(new CustomEvent("tablee:paged", {detail: {page: page + 1, pages: pages}}));
  }

  // A new phase changes what every tile shows: the banner says so, the wall refetches.
  // Once per frame, before it is painted: a push of many tiles lays the page out once.
  var queued = false;
  function soon() {
    if (queued) return;
    queued = true;
    requestAnimationFrame(function () { queued = false; layout(); });
  }

  body.addEventListener("htmx:oobAfterSwap", function (event) {
    var banner = event.target;
    var board = document.getElementById("board");
    if (banner.id === "day-banner" && board && window.tablee &&
        !banner.classList.contains("phase-" + board.dataset.phase)) {
      window.tablee.refetch();
    }
    soon();
  });
  body.addEventListener("tablee:refetched", layout);
  window.addEventListener("resize", soon);
  setInterval(function () { page += 1; layout(); }, seconds * 1000);
  layout();
})();

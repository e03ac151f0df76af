// The projector has no one to scroll it: the wall's grid shows as many tiles as fit the
// screen, and when there are more it turns its pages by itself at a steady rhythm, so that
// every table is seen once per round. A pushed tile replaces its element wherever it is,
// on a hidden page too; the page is laid out again after every push. On a large day the
// server adds the room by theme (#wall-overview): each round of pages opens with it.
(function () {
  "use strict";
  var body = document.body;
  var pager = document.getElementById("wall-pager");
  var wanted = Number(new URLSearchParams(window.location.search).get("secondes"));
  var seconds = wanted > 0 ? wanted : Number(body.dataset.pageSeconds) || 12;
  var step = 0;  // in the round: the overview first when there is one, then the pages

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
    var board = document.getElementById("board");
    if (board) board.removeAttribute("data-overview");  // the tiles' grid is measured as shown
    var el = grid();
    if (!el) { if (pager) pager.hidden = true; return; }
    var tiles = el.children;
    Array.prototype.forEach.call(tiles, function (tile) { tile.hidden = false; });
    var size = perPage(el);
    var pages = Math.max(1, Math.ceil(tiles.length / size));
    var overview = document.getElementById("wall-overview");
    var opens = pages > 1 && overview !== null && !overview.hidden ? 1 : 0;
    step = step % (pages + opens);
    var onOverview = opens === 1 && step === 0;
    var page = step - opens;  // -1 on the overview: every tile hidden behind it
    Array.prototype.forEach.call(tiles, function (tile, i) {
      tile.hidden = Math.floor(i / size) !== page;
    });
    if (onOverview) board.dataset.overview = "on";
    el.dataset.page = String(page + 1);
    el.dataset.pages = String(pages);
    if (pager) {
      pager.hidden = pages < 2;
      pager.textContent = onOverview ? (body.dataset.overviewLabel || "Overview")
        : (body.dataset.pageLabel || "Page") + " " + (page + 1) + " / " + pages;
    }
    body.dispatchEvent(new CustomEvent("tablee:paged",
      {detail: {page: page + 1, pages: pages, overview: onOverview}}));
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
  setInterval(function () { step += 1; layout(); }, seconds * 1000);
  layout();
})();

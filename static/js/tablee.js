// The glue between Socket.IO and htmx: pushes are out-of-band fragments handed to
// htmx.swap; a (re)connection or a gap in a table's sequence refetches the board.
(function () {
  "use strict";
  var body = document.body;
  var room = body.dataset.room;
  if (!room || !window.io || !window.htmx) return;

  var lastSeq = seqOnPage("seq");
  var lastEventSeq = seqOnPage("eventSeq");
  var connection = document.getElementById("connection");
  var refetching = null;

  // My own notes show their edit buttons: one CSS rule, whatever pushes arrive later.
  if (body.dataset.me) {
    var sheet = document.styleSheets[0];
    sheet.insertRule('[data-author="' + CSS.escape(body.dataset.me) + '"] .owner-only { display: flex; }',
                     sheet.cssRules.length);
  }

  function seqOnPage(key) {
    var region = document.getElementById("board");
    return region && region.dataset[key] !== undefined ? Number(region.dataset[key]) : null;
  }

  // Is this numbered push the next one? Older ones are dropped, a gap means refetch.
  function inOrder(seq, last) {
    if (seq === undefined) return "apply";
    if (last !== null && seq <= last) return "skip";
    if (last === null || seq !== last + 1) return "refetch";
    return "apply";
  }

  function setState(state, label) {
    if (!connection) return;
    connection.dataset.state = state;
    connection.textContent = label;
  }

  // Replace the board with the server's current state, keeping any note being edited.
  function refetch() {
    if (refetching) return refetching;
    refetching = fetch(body.dataset.region, {headers: {"HX-Request": "true"}, credentials: "same-origin"})
      .then(function (response) {
        if (response.status === 401) { window.location.reload(); return; }
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        if (html === undefined) return;
        var editing = Array.prototype.slice.call(document.querySelectorAll("#board [data-editing]"));
        var active = document.activeElement;
        htmx.swap("#board", html, {swapStyle: "outerHTML"});
        editing.forEach(function (form) {
          var fresh = document.getElementById(form.id);
          if (fresh) { fresh.replaceWith(form); form.setAttribute("data-missed", ""); }
        });
        if (active && document.contains(active)) active.focus();
        lastSeq = seqOnPage("seq");
        lastEventSeq = seqOnPage("eventSeq");
        body.dispatchEvent(new CustomEvent("tablee:refetched"));
      })
      .catch(function () { /* still offline: the next connect tries again */ })
      .finally(function () { refetching = null; });
    return refetching;
  }

  var socket = io({
    auth: {room: room, token: body.dataset.token || null},
    transports: ["websocket", "polling"],
    tryAllTransports: true
  });

  socket.on("connect", function () { setState("online", body.dataset.online || "en ligne"); });
  socket.on("disconnect", function () { setState("offline", body.dataset.offline || "reconnexion…"); });
  socket.on("connect_error", function () { setState("offline", body.dataset.offline || "reconnexion…"); });

  // Sent by the server on every (re)connection: catch up if anything happened meanwhile.
  socket.on("hello", function (msg) {
    if (msg.seq === undefined || msg.seq !== lastSeq || msg.event_seq !== lastEventSeq) refetch();
  });

  socket.on("push", function (msg) {
    var verdicts = [inOrder(msg.seq, lastSeq), inOrder(msg.event_seq, lastEventSeq)];
    if (verdicts.indexOf("skip") >= 0) return;
    if (verdicts.indexOf("refetch") >= 0) { refetch(); return; }
    if (msg.seq !== undefined) lastSeq = msg.seq;
    if (msg.event_seq !== undefined) lastEventSeq = msg.event_seq;
    htmx.swap(body, msg.html, {swapStyle: "none"});
  });

  // A push never replaces what someone is typing in: an open edit form stays put, marked
  // as having missed a push so that its page script can catch it up once let go.
  body.addEventListener("htmx:oobBeforeSwap", function (event) {
    if (event.detail.target.hasAttribute("data-editing")) {
      event.detail.shouldSwap = false;
      event.detail.target.setAttribute("data-missed", "");
    }
  });

  window.tablee = {socket: socket, refetch: refetch,
                   seq: function () { return [lastSeq, lastEventSeq]; }};
})();

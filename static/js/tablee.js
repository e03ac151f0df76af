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
    sheet.insertRule('[data-author="' + CSS.escape(body.dataset.me) + '"] .owner-only { display: revert; }',
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
        // Signed out, or the seat taken back: the page itself says what to do.
        if (response.status === 401 || response.headers.get("HX-Redirect")) {
          window.location.reload(); return;
        }
        if (!response.ok) throw new Error(String(response.status));
        return response.text();
      })
      .then(function (html) {
        if (html === undefined) return;
        var editing = Array.prototype.slice.call(document.querySelectorAll("#board [data-editing]"));
        steady(function () {
          htmx.swap("#board", html, {swapStyle: "outerHTML"});
          editing.forEach(function (form) {
            var fresh = document.getElementById(form.id);
            if (fresh) { fresh.replaceWith(form); form.setAttribute("data-missed", ""); }
          });
        });
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
  socket.on("connect_error", function (err) {
    // Refused for good (a seat taken back, a wall link renewed): the page itself says why.
    if (err && err.data && err.data.gone) { window.location.reload(); return; }
    setState("offline", body.dataset.offline || "reconnexion…");
  });
  socket.on("gone", function () { window.location.reload(); });

  // Sent by the server on every (re)connection: catch up if anything happened meanwhile.
  socket.on("hello", function (msg) {
    if (msg.seq === undefined || msg.seq !== lastSeq || msg.event_seq !== lastEventSeq) refetch();
    retryPending();
  });

  // Every few seconds each server process tells its own sockets where their room stands,
  // without the message queue: pushes lost while Redis restarted are caught up here.
  socket.on("tick", function (msg) {
    if (msg.wall !== undefined) {
      var marked = document.querySelector("#board[data-wall], #board [data-wall]");
      if (marked && marked.dataset.wall !== msg.wall) refetch();
      return;
    }
    if ((msg.seq !== undefined && lastSeq !== null && msg.seq > lastSeq) ||
        (msg.event_seq !== undefined && lastEventSeq !== null && msg.event_seq > lastEventSeq)) {
      refetch();
    }
  });

  socket.on("push", function (msg) {
    if (msg.stale) {  // a region that refetches itself when told (see consolidation.js)
      body.dispatchEvent(new CustomEvent("tablee:stale", {detail: msg.stale}));
      return;
    }
    var verdicts = [inOrder(msg.seq, lastSeq), inOrder(msg.event_seq, lastEventSeq)];
    if (verdicts.indexOf("skip") >= 0) return;
    if (verdicts.indexOf("refetch") >= 0) { refetch(); return; }
    if (msg.seq !== undefined) lastSeq = msg.seq;
    if (msg.event_seq !== undefined) lastEventSeq = msg.event_seq;
    steady(function () { htmx.swap(body, msg.html, {swapStyle: "none"}); });
  });

  // ---- Nothing moves under a finger -------------------------------------------------
  // Before a push or a refetch replaces part of the page, note where the element the
  // person last touched (or else the first one on screen) sits; afterwards scroll by
  // however much it moved, and give focus back to the same control if the swap took it.
  // Pages say which elements can serve as anchors with tablee.anchorOn(selector).
  var anchors = null;
  var touched = null;
  var FOCUSABLE = "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]";
  body.addEventListener("pointerdown", function (event) { touched = event.target; }, true);
  body.addEventListener("focusin", function (event) {
    // A tap on plain text focuses its nearest focusable ancestor (the whole <main>): the
    // element under the finger says more.
    if (!(touched && event.target.contains(touched))) touched = event.target;
  });

  function onScreen(el) {
    var box = el.getBoundingClientRect();
    return box.height > 0 && box.bottom > 0 && box.top < window.innerHeight;
  }
  function anchor() {
    if (!anchors) return null;
    var near = touched && touched.closest && document.contains(touched) ? touched.closest(anchors) : null;
    var el = near && near.id && onScreen(near) ? near : null;
    if (!el) {
      // Else the one nearest the middle of the screen, where the eyes usually are.
      var middle = window.innerHeight / 2;
      var best = Infinity;
      document.querySelectorAll(anchors).forEach(function (c) {
        if (!c.id || !onScreen(c)) return;
        var box = c.getBoundingClientRect();
        var distance = Math.abs((box.top + box.bottom) / 2 - middle);
        if (distance < best) { best = distance; el = c; }
      });
    }
    return el ? {id: el.id, top: el.getBoundingClientRect().top} : null;
  }
  // Where focus is, said in a way that survives the element being replaced: its id, or
  // the id of its nearest ancestor that has one and its rank among that one's controls.
  function focusKey(el) {
    if (!el || el === body || !el.closest) return null;
    if (el.id) return {id: el.id, index: -1};
    var holder = el.parentElement && el.parentElement.closest("[id]");
    if (!holder) return null;
    return {id: holder.id, index: Array.prototype.indexOf.call(holder.querySelectorAll(FOCUSABLE), el)};
  }
  function focusBack(key) {
    if (!key) return;
    var active = document.activeElement;
    if (active && active !== body && document.contains(active)) return;
    var holder = document.getElementById(key.id);
    var el = holder && (key.index < 0 ? holder : holder.querySelectorAll(FOCUSABLE)[key.index]);
    if (el && el.focus) el.focus({preventScroll: true});
  }
  function steady(run) {
    var mark = anchor();
    var key = focusKey(document.activeElement);
    try { run(); } finally {
      if (mark) {
        var el = document.getElementById(mark.id);
        var moved = el ? el.getBoundingClientRect().top - mark.top : 0;
        if (Math.abs(moved) >= 1) window.scrollBy(0, moved);
      }
      focusBack(key);
    }
  }

  // ---- The typing guard: a push never replaces what someone is using --------------
  // An element marked data-editing (an open edit form, a field someone types in) is held
  // back and marked data-missed; a region pushed whole keeps the data-editing forms inside
  // it. Page scripts add their own reasons to hold a push (a finger dragging a note) with
  // tablee.hold(test), where test(target, fragment) answers "hold", "drop" or nothing.
  // Forms marked data-guard are data-editing while busy: focused, or busy by a test that a
  // page script adds with tablee.busyWhen(test); once let go they catch up with what they
  // missed (their own data-resync URL, or the whole region).
  var holds = [function (target) {
    var editing = target.hasAttribute("data-editing") ? target
      : target.closest(".card-notes") && target.closest("[data-editing]");
    return editing ? "hold" : null;
  }];
  var busyTests = [function (form) {
    var el = document.activeElement;
    return form.contains(el) && isControl(el);
  }];
  function isControl(el) {
    return Boolean(el && el.matches && el.matches("input:not([type=hidden]), textarea, select"));
  }
  function busy(form) { return busyTests.some(function (test) { return test(form); }); }

  function settle(form) {
    if (!form || !form.hasAttribute("data-guard")) return;
    if (busy(form)) { form.setAttribute("data-editing", ""); return; }
    form.removeAttribute("data-editing");
    if (form.hasAttribute("data-missed") && document.contains(form)) {
      form.removeAttribute("data-missed");
      if (form.dataset.resync) htmx.ajax("GET", form.dataset.resync, {source: form, swap: "none"});
      else refetch();
    }
  }
  body.addEventListener("focusin", function (event) {
    var form = event.target.closest && event.target.closest("form[data-guard]");
    if (form && isControl(event.target)) form.setAttribute("data-editing", "");
  });
  body.addEventListener("focusout", function (event) {
    var form = event.target.closest && event.target.closest("form[data-guard]");
    setTimeout(function () { settle(form); }, 0);  // once focus has landed elsewhere
  });

  var refocus = null;
  body.addEventListener("htmx:oobBeforeSwap", function (event) {
    var target = event.detail.target;
    var fragment = event.detail.fragment;
    for (var i = 0; i < holds.length; i++) {
      var verdict = holds[i](target, fragment);
      if (!verdict) continue;
      event.detail.shouldSwap = false;
      if (verdict === "hold") {
        (target.closest("[data-editing]") || target).setAttribute("data-missed", "");
      }
      return;
    }
    if (!fragment || !fragment.querySelector) return;
    target.querySelectorAll("[data-editing][id]").forEach(function (form) {
      var fresh = fragment.querySelector("#" + CSS.escape(form.id));
      if (!fresh) return;
      if (form.contains(document.activeElement)) refocus = document.activeElement;
      form.setAttribute("data-missed", "");
      fresh.replaceWith(form);
    });
  });
  body.addEventListener("htmx:oobAfterSwap", function () {
    if (refocus && document.contains(refocus)) refocus.focus();
    refocus = null;
  });

  // ---- Toasts: one line at the bottom of the screen -----------------------------------
  function toast(message, level) {
    var toasts = document.getElementById("toasts");
    if (!toasts) return;
    toasts.innerHTML = "";
    if (!message) return;
    var div = document.createElement("div");
    div.className = "flash flash-" + (level || "error");
    div.setAttribute("role", "alert");
    div.textContent = message;
    toasts.appendChild(div);
  }

  // ---- Offline forms and drafts -----------------------------------------------------
  // A form sent while the network was down stays as typed, marked pending, and is sent
  // again when the socket is back: its idempotency key makes the retry create one object.

  function retryPending() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-pending]"), function (form) {
      form.removeAttribute("data-pending");
      htmx.trigger(form, "submit");
    });
  }

  function markPending(event) {
    var form = event.detail.elt && event.detail.elt.closest ? event.detail.elt.closest("form") : null;
    if (!form) return;
    form.setAttribute("data-pending", "");
    toast(body.dataset.unsent);
  }
  body.addEventListener("htmx:sendError", markPending);
  body.addEventListener("htmx:timeout", markPending);
  body.addEventListener("htmx:afterRequest", function (event) {
    var xhr = event.detail.xhr;
    if (xhr && xhr.status >= 200 && xhr.status < 300 && !document.querySelector("form[data-pending]")) {
      toast("");
    }
  });

  // Forms marked data-draft keep what is typed in this browser's storage until the server
  // saved it: a tablet that sleeps and reloads the page gets the text back.
  function draftKey(form) { return "tablee-draft:" + room + ":" + (body.dataset.me || "") + ":" + form.id; }
  function fields(form) { return form.querySelectorAll("textarea[name], input[type=text][name]"); }
  function saveDraft(form) {
    var values = {};
    Array.prototype.forEach.call(fields(form), function (f) { if (f.value) values[f.name] = f.value; });
    try {
      if (Object.keys(values).length) localStorage.setItem(draftKey(form), JSON.stringify(values));
      else localStorage.removeItem(draftKey(form));
    } catch (e) { /* storage full or disabled: the form still holds the text */ }
  }
  function restoreDrafts() {
    Array.prototype.forEach.call(document.querySelectorAll("form[data-draft][id]"), function (form) {
      var values;
      try { values = JSON.parse(localStorage.getItem(draftKey(form)) || "{}"); } catch (e) { values = {}; }
      Array.prototype.forEach.call(fields(form), function (f) {
        if (!f.value && values[f.name]) f.value = values[f.name];
      });
    });
  }
  body.addEventListener("input", function (event) {
    var form = event.target.closest && event.target.closest("form[data-draft][id]");
    if (form) saveDraft(form);
  });
  // Before the swap: afterwards the form is gone and htmx reports on an ancestor.
  body.addEventListener("htmx:beforeSwap", function (event) {
    var form = event.detail.elt && event.detail.elt.closest ? event.detail.elt.closest("form[data-draft][id]") : null;
    var xhr = event.detail.xhr;
    if (form && xhr && xhr.status >= 200 && xhr.status < 300) {
      try { localStorage.removeItem(draftKey(form)); } catch (e) { /* nothing kept */ }
    }
  });
  restoreDrafts();

  window.tablee = {
    socket: socket, refetch: refetch, retryPending: retryPending, toast: toast,
    seq: function () { return [lastSeq, lastEventSeq]; },
    hold: function (test) { holds.push(test); },
    steady: steady, focusKey: focusKey, refocus: focusBack,
    anchorOn: function (selector) { anchors = selector; },
    busyWhen: function (test) { busyTests.push(test); },
    settle: settle, isControl: isControl
  };
})();

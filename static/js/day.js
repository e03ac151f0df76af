// The day's countdowns, the pitch turn on a table's tablets, and the console's remote.
//
// A countdown carries the server's time at render (data-server-now) and the end time
// (data-ends-at) or, paused, the seconds left (data-remaining). The page counts down from
// its own clock plus the offset measured when it first saw the element, so a tablet whose
// clock is wrong still shows the server's time; a push or a reload brings fresh numbers.
(function () {
  "use strict";
  var body = document.body;

  function format(seconds) {
    var whole = Math.max(0, Math.ceil(seconds));
    var minutes = Math.floor(whole / 60);
    var rest = whole % 60;
    return minutes + ":" + (rest < 10 ? "0" : "") + rest;
  }

  function secondsLeft(el) {
    if (el.dataset.offset === undefined) {
      el.dataset.offset = String(Number(el.dataset.serverNow) - Date.now());
    }
    if (el.dataset.endsAt) {
      return (Number(el.dataset.endsAt) - (Date.now() + Number(el.dataset.offset))) / 1000;
    }
    return el.dataset.remaining ? Number(el.dataset.remaining) : null;
  }

  function tick() {
    var timers = document.querySelectorAll(".countdown");
    for (var i = 0; i < timers.length; i++) {
      var el = timers[i];
      var left = secondsLeft(el);
      if (left === null) continue;
      var time = el.querySelector(".countdown-time");
      var over = left <= 0;
      var text = over ? el.dataset.over : format(left);
      if (time && time.textContent !== text) time.textContent = text;
      el.classList.toggle("is-over", over);
      el.classList.toggle("is-warning", !over && left <= Number(el.dataset.warn || 0));
    }
  }
  tick();
  setInterval(tick, 250);

  // The step is rendered once for every table; a table's own tablets show "your turn".
  if (body.dataset.table) {
    var sheet = document.styleSheets[0];
    sheet.insertRule('[data-pitching="' + CSS.escape(body.dataset.table) +
                     '"] .pitch-turn { display: block; }', sheet.cssRules.length);
  }

  // A push replaces the console's controls: keep the sections the organizer had open.
  var open = {};
  document.addEventListener("toggle", function (event) {
    if (event.target.classList && event.target.id) open[event.target.id] = event.target.open;
  }, true);
  body.addEventListener("htmx:oobAfterSwap", function () {
    Object.keys(open).forEach(function (id) {
      var details = document.getElementById(id);
      if (details && open[id]) details.open = true;
    });
  });

  // A step change is confirmed in a dialog that says what the room will see: its content
  // comes from the same URL as the confirmation page that works without JavaScript.
  var dialog = document.getElementById("confirm-dialog");
  if (dialog) {
    body.addEventListener("htmx:afterSwap", function (event) {
      if (event.detail.target === dialog && !dialog.open) {
        dialog.showModal();
        var first = dialog.querySelector("button[type=submit]");
        if (first) first.focus();
      }
    });
    dialog.addEventListener("click", function (event) {
      if (event.target.closest("[data-close]")) { event.preventDefault(); dialog.close(); }
    });
    // Confirmed: the dialog closes at once; the request goes on, and a refusal shows in the
    // console's error line. (Waiting for the answer left it open when the step's push
    // arrived first and redrew the page around it.)
    dialog.addEventListener("submit", function () {
      if (dialog.open) dialog.close();
    });
  }

  // The console's remote buttons travel over the open socket when there is one (no new
  // request on a phone's flaky wifi); the form posts over HTTP otherwise.
  body.addEventListener("click", function (event) {
    var button = event.target.closest("[data-remote]");
    var socket = window.tablee && window.tablee.socket;
    if (!button || !socket || !socket.connected) return;
    event.preventDefault();
    button.disabled = true;
    socket.timeout(5000).emit("remote", {event_id: Number(button.dataset.event),
                                         action: button.dataset.remote}, function (error, answer) {
      button.disabled = false;
      if (error) button.form.requestSubmit();  // no answer in time: try over HTTP
    });
  });
})();

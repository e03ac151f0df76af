// The proposal card on a tablet: a field someone is typing in is theirs (tablee.js's typing
// guard) until their last keystroke is saved, so pushes leave it alone; the table is told
// who writes where; a field let go catches up with what it missed (its data-resync URL);
// unsent typing is retried on reconnect.
(function () {
  "use strict";
  var t = window.tablee;
  var me = document.body.dataset.me;
  if (!t || !me || !window.htmx) return;
  document.body.classList.add("card-live");

  // Others see that I write here; I do not need to.
  var sheet = document.styleSheets[0];
  sheet.insertRule('.presence [data-who="' + CSS.escape(me) + '"] { display: none; }',
                   sheet.cssRules.length);

  var announced = null;

  function fieldOf(el) { return el && el.closest ? el.closest(".card-field") : null; }
  function focusedField() {
    var el = document.activeElement;
    return t.isControl(el) && fieldOf(el) ? fieldOf(el).dataset.field : null;
  }
  function announce(name) {
    if (name === announced) return;
    announced = name;
    t.socket.emit("presence", {field: name});
  }

  // A field stays the writer's until their last keystroke is saved, and through a conflict.
  t.busyWhen(function (form) {
    return form.classList.contains("card-field") && (
      form.hasAttribute("data-taking") || form.hasAttribute("data-dirty") ||
      form.hasAttribute("data-sending") || form.querySelector("[data-conflict]") !== null);
  });

  document.addEventListener("focusin", function () { announce(focusedField()); });
  document.addEventListener("focusout", function () {
    setTimeout(function () { announce(focusedField()); }, 0);  // once focus has landed
  });
  document.addEventListener("input", function (e) {
    var form = fieldOf(e.target);
    if (form) form.setAttribute("data-dirty", "");
  });

  // A field never goes back in time: a refetch of it answered just before someone's newer
  // save, whose push got here first, carries an older version; it is dropped.
  t.hold(function (target, fresh) {
    if (!target.classList.contains("card-field") || !fresh || !fresh.querySelector) return null;
    var shown = target.querySelector("input[name=version]");
    var incoming = fresh.querySelector("input[name=version]");
    return shown && incoming && Number(incoming.value) < Number(shown.value) ? "drop" : null;
  });

  // Once no save of it is in flight, replace the field with the server's, in one go.
  // A fetch that fails (a busy or restarting server, the Wi-Fi) is tried again: the
  // conflict must not stay on screen after the person chose.
  function takeTheirs(form) {
    if (form.hasAttribute("data-sending")) return;  // afterRequest calls again
    function again() {
      if (form.hasAttribute("data-taking") && document.contains(form)) {
        setTimeout(function () { takeTheirs(form); }, 1000);
      }
    }
    fetch(form.dataset.resync, {headers: {"HX-Request": "true"}, credentials: "same-origin"})
      .then(function (response) { return response.ok ? response.text() : null; })
      .then(function (html) {
        if (form.hasAttribute("data-sending")) return;
        if (html === null) { again(); return; }
        form.removeAttribute("data-taking");
        form.removeAttribute("data-editing");
        htmx.swap(document.body, html, {swapStyle: "none"});
      }, again);
  }

  document.body.addEventListener("htmx:beforeRequest", function (e) {
    var form = e.detail.elt;
    if (!form.classList.contains("card-field") || e.detail.requestConfig.verb !== "post") return;
    if (!t.socket.connected) { e.preventDefault(); return; }  // offline: sent on reconnect
    form.removeAttribute("data-dirty");
    form.setAttribute("data-sending", "");
  });
  document.body.addEventListener("htmx:afterRequest", function (e) {
    var form = e.detail.elt;
    if (!form.classList.contains("card-field") || e.detail.requestConfig.verb !== "post") return;
    var status = e.detail.xhr.status;
    form.removeAttribute("data-sending");
    if (!status) form.setAttribute("data-dirty", "");  // never reached the server: retry
    var control = document.getElementById("card-" + form.dataset.field);
    if (control && status) {
      var refused = status === 422 || status === 403;
      control.setAttribute("aria-invalid", refused ? "true" : "false");
      control.setAttribute("aria-describedby",
                           refused ? control.id + "-error" : "feedback-" + form.dataset.field);
    }
    if (form.hasAttribute("data-taking")) takeTheirs(form); else t.settle(form);
  });

  // « Garder ma version » writes over the version shown (sent as a value: the panel may be
  // re-rendered by a save of the same text as focus leaves it); « Prendre sa version »
  // drops mine and lets the fresh field in.
  document.addEventListener("click", function (e) {
    var keep = e.target.closest("[data-keep-mine]");
    var take = e.target.closest("[data-take-theirs]");
    var close = e.target.closest("[data-close-history]");
    if (keep) {
      e.preventDefault();
      e.stopPropagation();
      var mine = fieldOf(keep);
      htmx.ajax("POST", mine.getAttribute("hx-post"),
                {source: mine, values: {over: keep.value}, swap: "none"});
    } else if (take) {
      e.preventDefault();
      e.stopPropagation();
      var theirs = fieldOf(take);
      theirs.setAttribute("data-taking", "");
      theirs.removeAttribute("data-dirty");
      takeTheirs(theirs);
    } else if (close) {
      e.preventDefault();
      var panel = document.getElementById("card-history");
      panel.replaceChildren();
      panel.hidden = true;
    }
  }, true);

  htmx.on("htmx:load", function (e) {
    if (e.detail.elt.id === "card-history") e.detail.elt.focus();
  });

  // After a reconnection: say again where I write, resend what never left the tablet.
  t.socket.on("connect", function () {
    announced = undefined;
    announce(focusedField());
    document.querySelectorAll(".card-field[data-dirty]:not([data-sending])").forEach(function (form) {
      htmx.trigger(form, "submit");
    });
  });
})();

// The table's axes: drag notes (and axes) by touch or mouse with SortableJS, or move them
// from the "Déplacer vers…" dialog (taps and keyboard). Every move is posted; the push
// that follows re-renders the columns for the whole table, this tablet included.
(function () {
  "use strict";
  var body = document.body;
  var dialog = document.getElementById("move-dialog");
  if (!window.htmx || !document.getElementById("board")) return;

  // SortableJS leaves style attributes on what it moved; htmx would copy them onto the
  // fresh elements of a push as attributes, which our CSP (rightly) refuses.
  htmx.config.attributesToSettle = htmx.config.attributesToSettle.filter(function (name) {
    return name !== "style";
  });

  var dragging = false;
  var missedPush = false;
  var selected = new Set();

  function csrfToken() {
    try { return JSON.parse(body.getAttribute("hx-headers"))["X-CSRFToken"]; } catch (e) { return ""; }
  }

  // The server explains a refusal in a short fragment: its text goes in the toast.
  function toast(html) {
    var text = new DOMParser().parseFromString(html, "text/html").body.textContent.trim();
    if (window.tablee) window.tablee.toast(text);
  }

  // Post a move; on refusal show why and take the server's state back.
  function post(url, values) {
    var data = new FormData();
    Object.keys(values).forEach(function (key) { data.append(key, values[key] === null ? "" : values[key]); });
    return fetch(url, {method: "POST", body: data, credentials: "same-origin",
                       headers: {"X-CSRFToken": csrfToken(), "HX-Request": "true"}})
      .then(function (response) {
        if (response.ok) return;
        return response.text().then(function (html) {
          toast(html);
          if (window.tablee) window.tablee.refetch();
        });
      })
      .catch(function () { if (window.tablee) window.tablee.refetch(); });
  }

  function indexIn(list, item, selector) {
    return Array.prototype.filter.call(list.children, function (el) { return el.matches(selector); })
      .indexOf(item);
  }

  function startDrag() { dragging = true; missedPush = false; }

  function endDrag(moved) {
    dragging = false;
    // A push that arrived mid-drag was held back; without a move of ours to bring the
    // next one, fetch the current state.
    if (!moved && missedPush && window.tablee) window.tablee.refetch();
  }

  function setUp(root) {
    if (!window.Sortable) return;
    root.querySelectorAll("[data-sortable]").forEach(function (list) {
      if (list.dataset.ready) return;
      list.dataset.ready = "1";
      Sortable.create(list, {
        group: "notes",
        handle: ".note-grip",
        draggable: ".note",
        sort: list.dataset.sortable !== "unsorted",
        animation: 120,
        forceFallback: true,
        fallbackOnBody: true,
        onStart: startDrag,
        onEnd: function (evt) {
          var moved = evt.from !== evt.to || evt.oldIndex !== evt.newIndex;
          endDrag(moved);
          if (!moved) return;
          post(evt.item.dataset.moveUrl, {axis_id: evt.to.dataset.axisId,
                                          index: indexIn(evt.to, evt.item, ".note")});
        }
      });
    });
    var axes = root.id === "axes" ? root : root.querySelector("#axes");
    if (axes && !axes.dataset.ready) {
      axes.dataset.ready = "1";
      Sortable.create(axes, {
        handle: ".axis-grip",
        draggable: ".axis",
        animation: 120,
        forceFallback: true,
        onStart: startDrag,
        onEnd: function (evt) {
          var moved = evt.oldIndex !== evt.newIndex;
          endDrag(moved);
          if (!moved) return;
          post(evt.item.dataset.moveUrl, {index: indexIn(axes, evt.item, ".axis")});
        }
      });
    }
    // Ticked notes stay ticked when the columns are re-rendered under the captain's finger.
    root.querySelectorAll("input[name=note_ids]").forEach(function (box) {
      box.checked = selected.has(box.value);
    });
  }

  // A push arriving while a finger drags would pull the note from under it: hold it back.
  if (window.tablee) window.tablee.hold(function (target) {
    // The whole region, or one axis of it (a rename, a new axis).
    if (!dragging || !(target.id === "columns" || target.closest("#columns"))) return null;
    missedPush = true;
    return "drop";
  });
  ["htmx:oobAfterSwap", "htmx:afterSettle", "htmx:load", "tablee:refetched"].forEach(function (name) {
    body.addEventListener(name, function () { setUp(document); });
  });

  body.addEventListener("change", function (event) {
    var box = event.target;
    if (box.name !== "note_ids") return;
    if (box.checked) selected.add(box.value); else selected.delete(box.value);
  });
  body.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail.elt.id === "merge-form" && event.detail.successful) selected.clear();
  });

  // The tap and keyboard path: "Déplacer vers…" opens a dialog listing the destinations.
  var current = null;

  function openDialog(note) {
    current = note;
    var list = note.parentElement;
    var here = list.dataset.axisId || "";
    var targets = dialog.querySelector(".move-targets");
    targets.textContent = "";
    var choices = [["", dialog.dataset.unsorted]];
    document.querySelectorAll("#axes .axis").forEach(function (axis) {
      choices.push([axis.dataset.axisId, axis.dataset.axisName]);
    });
    choices.forEach(function (choice) {
      var button = document.createElement("button");
      button.type = "button";
      button.className = "button move-target";
      button.dataset.axisId = choice[0];
      button.textContent = choice[1] + (choice[0] === here ? " " + dialog.dataset.here : "");
      if (choice[0] === here) button.disabled = true;
      targets.appendChild(button);
    });
    dialog.querySelector(".move-note").textContent = note.querySelector(".note-text").textContent;
    var position = indexIn(list, note, ".note");
    var steps = dialog.querySelector(".move-steps");
    steps.hidden = !here;
    steps.querySelector("[data-step='-1']").disabled = position <= 0;
    steps.querySelector("[data-step='1']").disabled = position >= list.querySelectorAll(".note").length - 1;
    dialog.showModal();
  }

  function closeDialog() {
    var id = current && current.id;
    dialog.close();
    current = null;
    // Focus comes back to the note's button, wherever the push has put the note.
    var note = id && document.getElementById(id);
    if (note) note.querySelector(".move-open").focus();
  }

  body.addEventListener("click", function (event) {
    var opener = event.target.closest(".move-open");
    if (opener) { openDialog(opener.closest(".note")); return; }
    if (!current) return;
    var target = event.target.closest(".move-target");
    var step = event.target.closest("[data-step]");
    var note = current;
    if (target) {
      post(note.dataset.moveUrl, {axis_id: target.dataset.axisId, index: ""})
        .then(function () { waitAndFocus(note.id); });
      closeDialog();
    } else if (step) {
      var list = note.parentElement;
      post(note.dataset.moveUrl, {axis_id: list.dataset.axisId,
                                  index: indexIn(list, note, ".note") + Number(step.dataset.step)})
        .then(function () { waitAndFocus(note.id); });
      closeDialog();
    } else if (event.target.closest("[data-close]")) {
      closeDialog();
    }
  });

  function waitAndFocus(id) {
    var note = document.getElementById(id);
    if (note && document.activeElement === body) note.querySelector(".move-open").focus();
  }

  setUp(document);
})();

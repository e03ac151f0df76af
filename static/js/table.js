// A table's tablet, one step at a time: the view of the current step, the others one tab
// away; a new step pushed by the organizer switches the view (and refetches the board,
// where voting opens or closes); my dots drawn on each axis and the vote buttons off at
// zero; the captain's merge bar; reading aloud; the text size. Pushes and refetches go
// through tablee.js, which keeps what the person looks at in place (tablee.steady).
(function () {
  "use strict";
  var t = window.tablee;
  var body = document.body;
  var views = document.getElementById("views");
  if (!t || !views) return;

  // What can hold the page in place: the things people look at, never what is sticky.
  t.anchorOn(".note[id], .axis-head[id], .card-field[id], #note-form, #card-history");

  // ---- Views and the step ------------------------------------------------------------
  function step() { return document.getElementById("step"); }
  function stepView() { var s = step(); return s ? s.dataset.view : "notes"; }
  var knownPhase = step() ? step().dataset.phase : null;
  var notice = document.getElementById("step-notice");

  function markTabs() {
    document.querySelectorAll(".step-tab").forEach(function (tab) {
      if (tab.dataset.view === views.dataset.view) tab.setAttribute("aria-current", "page");
      else tab.removeAttribute("aria-current");
    });
  }

  function show(view) {
    views.classList.remove("in-" + views.dataset.view);
    views.classList.add("in-" + view);
    views.dataset.view = view;
    markTabs();
    if (view === stepView()) notice.hidden = true;
    var url = view === stepView() ? window.location.pathname : window.location.pathname + "?vue=" + view;
    history.replaceState(null, "", url);
    drawMyDots();
  }

  body.addEventListener("click", function (event) {
    var tab = event.target.closest(".step-tab, [data-step-notice]");
    if (!tab) return;
    event.preventDefault();
    show(tab.dataset.view || stepView());
    step().scrollIntoView({block: "start"});
  });

  // The step changed (a push, or a refetch after a gap): whoever was on the step's view
  // follows it; whoever had opened another tab keeps it and is told.
  var wasOnStep = true;
  body.addEventListener("htmx:oobBeforeSwap", function (event) {
    if (event.detail.target.id === "step") wasOnStep = views.dataset.view === stepView();
  });
  var knownPitching = step() ? step().dataset.pitching : "";
  body.addEventListener("htmx:oobAfterSwap", function () {
    var s = step();
    // This table's pitch starts: its card is now pitched, and reads as such (lockCard).
    if (s && s.dataset.pitching !== knownPitching) {
      knownPitching = s.dataset.pitching;
      if (knownPitching === body.dataset.table) t.refetch();
    }
    if (!s || s.dataset.phase === knownPhase) { markTabs(); return; }
    knownPhase = s.dataset.phase;
    if (wasOnStep) show(s.dataset.view);
    else { markTabs(); notice.hidden = views.dataset.view === s.dataset.view; }
    t.refetch();  // voting opens or closes with the step: the board is rendered anew
  });

  // ---- My dots ---------------------------------------------------------------------------
  // Drawn on each axis from my own dots, and every vote button off once none is left.
  function drawMyDots() {
    var dots = document.getElementById("my-dots");
    var mine = {};
    if (dots) dots.querySelectorAll("[data-axis-id][data-count]").forEach(function (li) {
      mine[li.dataset.axisId] = Number(li.dataset.count);
    });
    document.querySelectorAll(".axis-my-dots").forEach(function (p) {
      var count = mine[p.dataset.axisId] || 0;
      p.hidden = !count;
      p.textContent = "";
      if (!count) return;
      var row = document.createElement("span");
      row.className = "dot-row";
      row.setAttribute("aria-hidden", "true");
      for (var i = 0; i < count; i++) {
        var dot = document.createElement("span");
        dot.className = "dot is-mine";
        row.appendChild(dot);
      }
      var label = document.createElement("span");
      label.textContent = (count === 1 ? views.dataset.mineOne : views.dataset.mineMany || "").replace("{n}", count);
      p.append(row, label);
    });
    var none = dots && dots.classList.contains("is-open") && Number(dots.dataset.left) <= 0;
    document.querySelectorAll(".vote-button").forEach(function (button) {
      button.disabled = none;
      if (none) button.title = views.dataset.noDots || "";
      else button.removeAttribute("title");
    });
  }

  // A vote answered: clear the refusals shown beside other buttons.
  body.addEventListener("htmx:beforeRequest", function (event) {
    if (!event.detail.elt.classList.contains("vote-form")) return;
    document.querySelectorAll(".vote-feedback").forEach(function (p) { p.textContent = ""; });
  });

  // ---- The captain's merge bar -------------------------------------------------------
  var merge = document.getElementById("merge-form");
  function chosen() { return document.querySelectorAll("input[name=note_ids]:checked").length; }
  function showMergeBar() {
    if (!merge) return;
    var n = chosen();
    merge.classList.toggle("is-shown", n >= 2);
    merge.querySelector(".merge-count").textContent =
      (n === 1 ? merge.dataset.countOne : merge.dataset.countMany).replace("{n}", n);
  }
  body.addEventListener("change", function (event) {
    if (event.target.name === "note_ids") showMergeBar();
  });
  body.addEventListener("click", function (event) {
    if (!event.target.closest("[data-merge-clear]")) return;
    document.querySelectorAll("input[name=note_ids]:checked").forEach(function (box) {
      box.checked = false;
      box.dispatchEvent(new Event("change", {bubbles: true}));
    });
  });

  // ---- Menus stay open through a push (the region is re-rendered under the finger) -----
  var openMenus = new Set();
  document.addEventListener("toggle", function (event) {
    var menu = event.target;
    if (!menu.matches || !menu.matches(".note-more, .axis-more")) return;
    var owner = menu.closest("[id]");
    if (!owner) return;
    if (menu.open) openMenus.add(owner.id); else openMenus.delete(owner.id);
  }, true);
  function reopenMenus() {
    openMenus.forEach(function (id) {
      var owner = document.getElementById(id);
      var menu = owner && owner.querySelector(".note-more, .axis-more");
      if (menu) menu.open = true; else openMenus.delete(id);
    });
  }

  // ---- Focus stays where the person was after their own form is answered --------------
  var keys = new WeakMap();
  body.addEventListener("htmx:beforeRequest", function (event) {
    keys.set(event.detail.elt, t.focusKey(document.activeElement));
  });
  body.addEventListener("htmx:afterSettle", function (event) {
    var elt = event.detail.elt;
    var fresh = document.getElementById("note-form");
    if (elt && elt.id === "note-form" && fresh) {
      // After a post, the next constat is written in the same box; after a refusal, the
      // field to fix.
      var target = fresh.querySelector("[aria-invalid=true]") || fresh.querySelector("textarea");
      if (target && (document.activeElement === body || !document.contains(document.activeElement))) {
        target.focus({preventScroll: true});
      }
      return;
    }
    t.refocus(keys.get(elt));
  });

  // ---- A pitched (or decided) card no longer changes: it reads, it takes no typing -------
  function lockCard() {
    var progress = document.getElementById("card-progress");
    var locked = Boolean(progress) && !/\bstatus-(draft|ready)\b/.test(progress.className);
    document.querySelectorAll("#card .card-field").forEach(function (form) {
      form.classList.toggle("is-locked", locked);
      form.querySelectorAll("textarea, input[name=value]:not([type=checkbox])").forEach(function (el) {
        el.readOnly = locked;
      });
      form.querySelectorAll("select, input[type=checkbox]").forEach(function (el) { el.disabled = locked; });
    });
  }

  function refresh() { drawMyDots(); showMergeBar(); reopenMenus(); markTabs(); lockCard(); }
  ["htmx:oobAfterSwap", "htmx:afterSettle", "tablee:refetched"].forEach(function (name) {
    body.addEventListener(name, refresh);
  });

  // ---- A field's history opens right below its field --------------------------------------
  body.addEventListener("click", function (event) {
    var link = event.target.closest(".history-link");
    var panel = document.getElementById("card-history");
    if (!link || !panel) return;
    link.closest(".card-field").after(panel);
  }, true);

  // ---- Reading aloud, with the tablet's own French voice (nothing leaves it) ----------
  var voice = null;
  function findVoice() {
    if (!("speechSynthesis" in window)) return;
    var voices = window.speechSynthesis.getVoices() || [];
    voice = voices.find(function (v) { return /^fr(\b|-|_)/i.test(v.lang); }) || null;
    body.classList.toggle("can-listen", Boolean(voice));
  }
  if ("speechSynthesis" in window) {
    findVoice();
    window.speechSynthesis.addEventListener("voiceschanged", findVoice);
  }
  function shown(el) { return Boolean(el && el.getClientRects().length); }
  // What a card field holds, as the person sees it: the texts of the constats ticked (not
  // their numbers), the axis as written for whoever cannot choose it.
  function fieldValue(field) {
    var boxes = field.querySelectorAll("input[type=checkbox]");
    if (boxes.length) {
      return Array.from(boxes).filter(function (box) { return box.checked; }).map(function (box) {
        return box.closest("label").textContent.trim();
      }).join(". ");
    }
    var select = field.querySelector("select");
    if (select && shown(select)) return select.value ? select.selectedOptions[0].textContent : "";
    if (select) { var chosen = field.querySelector(".axis-chosen"); return chosen ? chosen.textContent : ""; }
    var control = field.querySelector("textarea, input[name=value]");
    return control ? control.value : "";
  }
  function spoken(button) {
    if (button.dataset.listen) {
      var el = document.querySelector(button.dataset.listen);
      return el ? el.textContent.trim() : "";
    }
    var field = button.closest(".card-field");
    if (!field) return "";
    var label = field.querySelector(".card-field-head label, .card-field-head .label");
    var name = label ? label.textContent.replace("*", "").trim() : "";
    var value = fieldValue(field).trim() || views.dataset.emptyField || "";
    return [name, value].filter(Boolean).join(". ");
  }
  var reading = null;  // the button whose text is being read
  body.addEventListener("click", function (event) {
    var button = event.target.closest(".listen");
    if (!button || !voice) return;
    // The same button again while it reads: it stops, and that is all.
    var again = reading === button && window.speechSynthesis.speaking !== false;
    window.speechSynthesis.cancel();
    reading = null;
    if (again) return;
    var text = spoken(button);
    if (!text) return;
    var utterance = new SpeechSynthesisUtterance(text);
    utterance.voice = voice;
    utterance.lang = voice.lang.replace("_", "-");  // Android says fr_FR; the standard fr-FR
    utterance.rate = 0.9;
    utterance.onend = function () { if (reading === button) reading = null; };
    reading = button;
    window.speechSynthesis.speak(utterance);
  });

  // ---- Larger text, remembered by the tablet -----------------------------------------
  var size = document.getElementById("text-size");
  function applySize(large) {
    if (large) document.documentElement.dataset.textScale = "large";
    else delete document.documentElement.dataset.textScale;
    if (size) size.setAttribute("aria-pressed", large ? "true" : "false");
  }
  var stored = null;
  try { stored = localStorage.getItem("tablee-text-scale"); } catch (e) { /* no storage */ }
  applySize(stored === "large");
  if (size) size.addEventListener("click", function () {
    var large = size.getAttribute("aria-pressed") !== "true";
    t.steady(function () { applySize(large); });
    try { localStorage.setItem("tablee-text-scale", large ? "large" : ""); } catch (e) { /* kept for this page */ }
  });

  markTabs();
  refresh();
})();

/* Staff pages: crisis alerts and the tab title, announcements for screen readers, ages that keep
   counting, keyboard shortcuts, drafts that survive a reload. Loaded from a file: the pages carry no
   inline script (Content-Security-Policy: default-src 'self'). */
(function () {
  "use strict";

  var baseTitle = document.title;
  var SEEN_KEY = "helpline.crisis-seen";

  // -- announcements ---------------------------------------------------------------------------
  function announce(text, urgent) {
    var region = document.getElementById(urgent ? "announce-urgent" : "announce");
    if (!region) return;
    // A changed text is what screen readers announce: the same words twice differ by a trailing space.
    region.textContent = region.textContent === text ? text + "\u00a0" : text;
  }

  // -- ages ("12 min ago") keep counting between refreshes ---------------------------------------
  function age(seconds) {
    seconds = Math.max(0, Math.floor(seconds));
    if (seconds < 60) return "just now";
    var minutes = Math.floor(seconds / 60);
    if (minutes < 60) return minutes + " min ago";
    var hours = Math.floor(minutes / 60);
    minutes = minutes % 60;
    if (hours < 24) return minutes ? hours + " h " + minutes + " min ago" : hours + " h ago";
    var days = Math.floor(hours / 24);
    return days === 1 ? "1 day ago" : days + " days ago";
  }

  function tickAges(root) {
    var now = Date.now() / 1000;
    (root || document).querySelectorAll("time[data-since]").forEach(function (el) {
      var text = age(now - parseFloat(el.getAttribute("data-since")));
      if (el.textContent !== text) el.textContent = text;
    });
  }

  // -- crisis: the bar on every page, the tab title, sound and desktop notification ------------------
  function readSeen() {
    try { return JSON.parse(window.localStorage.getItem(SEEN_KEY) || "null"); } catch (e) { return null; }
  }

  function writeSeen(keys) {
    try { window.localStorage.setItem(SEEN_KEY, JSON.stringify(keys)); } catch (e) { /* private mode */ }
  }

  function beep() {
    var Context = window.AudioContext || window.webkitAudioContext;
    if (!Context) return;
    try {
      var ctx = new Context();
      [0, 0.3].forEach(function (start) {
        var tone = ctx.createOscillator();
        var gain = ctx.createGain();
        tone.frequency.value = 880;
        gain.gain.value = 0.2;
        tone.connect(gain);
        gain.connect(ctx.destination);
        tone.start(ctx.currentTime + start);
        tone.stop(ctx.currentTime + start + 0.2);
      });
      window.setTimeout(function () { ctx.close(); }, 1200);
    } catch (e) { /* no audio device */ }
  }

  function notify(title, text, link) {
    if (!("Notification" in window) || Notification.permission !== "granted") return;
    try {
      var shown = new Notification(title, { body: text, tag: "helpline-crisis", requireInteraction: true });
      shown.onclick = function () {
        window.focus();
        if (link) window.location.href = link;
        shown.close();
      };
    } catch (e) { /* some browsers only notify from a service worker */ }
  }

  // This person's alert choices ride on the crisis bar's container (the server remembers them).
  function choice(name) {
    var holder = document.getElementById("pulse-poll");
    return !!holder && holder.getAttribute("data-alert-" + name) === "on";
  }

  // The bar sticks to the top: what keyboard focus scrolls to must land below it, never under it.
  function clearOfBar(bar) {
    var holder = document.getElementById("pulse-poll");
    var height = holder && !bar.classList.contains("quiet") ? holder.offsetHeight : 0;
    document.documentElement.style.scrollPaddingTop = height ? height + 8 + "px" : "";
  }

  function onPulse(bar) {
    if (!bar) return;
    clearOfBar(bar);
    var count = parseInt(bar.getAttribute("data-crisis") || "0", 10);
    document.title = count ? "(" + count + " crisis) " + baseTitle : baseTitle;
    var keys = (bar.getAttribute("data-alerts") || "").split(" ").filter(Boolean);
    var seen = readSeen();
    writeSeen(keys);
    if (seen === null) return; // the first page this browser opened: nothing is "new" yet
    var fresh = keys.filter(function (k) { return seen.indexOf(k) < 0; });
    if (!fresh.length) return;
    var first = bar.querySelector("a[data-crisis-link]");
    var link = first ? first.href : null;
    var text = fresh.length === 1 ? "A crisis request needs a call now." : fresh.length + " crisis requests need a call now.";
    announce("Crisis: " + text, true);
    bar.classList.add("ringing");
    if (choice("sound")) beep();
    if (choice("notify")) notify("Helpline: crisis waiting", text, link);
  }

  // Opting in (per user; the server remembers it): asking the browser for notifications needs the click.
  document.addEventListener("change", function (event) {
    var box = event.target;
    if (!box.matches || !box.matches("input[data-alert-pref]")) return;
    var name = box.getAttribute("data-alert-pref");
    var holder = document.getElementById("pulse-poll");
    if (holder) holder.setAttribute("data-alert-" + name, box.checked ? "on" : "off");
    if (name === "sound" && box.checked) beep(); // what it will sound like
    if (name === "notify" && box.checked && "Notification" in window && Notification.permission !== "granted") {
      Notification.requestPermission().then(function (answer) {
        var note = document.getElementById("alert-pref-note");
        if (answer !== "granted" && note) {
          note.textContent = "Your browser blocks notifications for this site; allow them in its site settings.";
        }
      });
    }
  });

  // -- the queue: announce arrivals, keep the chip counts current ---------------------------------
  function onQueue(list, byPoll) {
    if (!list) return;
    var counts = {};
    try { counts = JSON.parse(list.getAttribute("data-counts") || "{}"); } catch (e) { counts = {}; }
    Object.keys(counts).forEach(function (name) {
      var el = document.getElementById("count-" + name);
      if (el) el.textContent = counts[name];
    });
    var arrived = parseInt(list.getAttribute("data-arrived") || "0", 10);
    if (byPoll && arrived > 0) announce(arrived === 1 ? "1 new request" : arrived + " new requests", false);
  }

  // -- one request: say when they write or call again -------------------------------------------
  var incoming = null;
  function onTimeline(box) {
    if (!box) return;
    var count = parseInt(box.getAttribute("data-incoming") || "0", 10);
    if (incoming !== null && count > incoming) {
      announce(count - incoming === 1 ? "New message from them" : (count - incoming) + " new messages from them", false);
      var list = box.querySelector(".timeline");
      if (list) list.scrollTop = list.scrollHeight;
    }
    incoming = count;
  }

  // -- htmx hooks -----------------------------------------------------------------------------
  document.addEventListener("htmx:afterSettle", function (event) {
    var target = event.detail.target;
    if (!target) return;
    tickAges(target);
    if (target.id === "pulse-poll") onPulse(document.getElementById("pulse"));
    if (target.id === "timeline-region") onTimeline(document.getElementById("timeline"));
    if (target.id === "queue-region") {
      keepChoice();
      var elt = event.detail.requestConfig && event.detail.requestConfig.elt;
      onQueue(document.getElementById("queue-list"), elt === target);
    }
  });

  // Someone else claimed, released or recorded a call: the request's state was swapped in; say so.
  document.addEventListener("htmx:oobAfterSwap", function (event) {
    var target = event.detail.target;
    if (!target || target.id !== "act") return;
    tickAges(target);
    var news = document.getElementById("state-news");
    if (news) announce(news.textContent, false);
  });

  // A text sent or a note added: clear its draft; a refused one keeps it.
  document.addEventListener("htmx:afterRequest", function (event) {
    var form = event.detail.elt;
    if (event.detail.successful && form && form.matches && form.matches("form[data-clears]")) {
      form.querySelectorAll("[data-draft]").forEach(function (field) {
        field.value = "";
        forgetDraft(field);
        field.dispatchEvent(new Event("input", { bubbles: true })); // the count follows
      });
    }
  });

  // -- drafts: what staff typed survives a reload or a lost connection ---------------------------
  // Kept per account: on a shared desk, the next person to sign in never sees someone else's words.
  var DRAFTS = "helpline.draft:";
  function draftKey(field) {
    var holder = document.getElementById("pulse-poll");
    var me = holder ? holder.getAttribute("data-me") || "" : "";
    return DRAFTS + me + ":" + window.location.pathname + ":" + field.getAttribute("data-draft");
  }

  function forgetAllDrafts() {
    try {
      for (var i = window.sessionStorage.length - 1; i >= 0; i--) {
        var key = window.sessionStorage.key(i);
        if (key && key.indexOf(DRAFTS) === 0) window.sessionStorage.removeItem(key);
      }
    } catch (e) { /* private mode */ }
  }

  function forgetDraft(field) {
    try { window.sessionStorage.removeItem(draftKey(field)); } catch (e) { /* private mode */ }
  }

  function restoreDrafts() {
    document.querySelectorAll("[data-draft]").forEach(function (field) {
      var saved = null;
      try { saved = window.sessionStorage.getItem(draftKey(field)); } catch (e) { saved = null; }
      if (saved && !field.value) {
        field.value = saved;
        field.dispatchEvent(new Event("input", { bubbles: true }));
      }
    });
  }

  document.addEventListener("input", function (event) {
    var field = event.target;
    if (!field.matches || !field.matches("[data-draft]")) return;
    try { window.sessionStorage.setItem(draftKey(field), field.value); } catch (e) { /* private mode */ }
  });

  document.addEventListener("submit", function (event) {
    if (event.target.matches("form[data-sign-out]")) forgetAllDrafts(); // what was typed leaves with them
    var handOver = event.target.getAttribute("data-hand-over");
    if (handOver) { // Release takes the notes typed on the page with it, for whoever calls next
      var words = [];
      handOver.split(" ").forEach(function (id) {
        var note = document.getElementById(id);
        if (!note) return;
        if (note.value.trim()) words.push(note.value.trim());
        forgetDraft(note);
      });
      event.target.querySelector("input[name=note]").value = words.join("\n");
    }
    if (event.target.matches("form[data-clears]") && !event.target.hasAttribute("hx-post")) {
      event.target.querySelectorAll("[data-draft]").forEach(forgetDraft);
    }
  });

  // Templates ("we tried to call") fill an empty text box, or swap for another template not yet edited;
  // words already typed are kept, and the template goes in where the cursor was (without a second
  // "Helpline:"). Staff can still edit before sending.
  function templates() {
    return Array.prototype.map.call(document.querySelectorAll("button[data-template]"), function (b) {
      return b.getAttribute("data-template");
    });
  }

  function insertTemplate(box, text) {
    var current = box.value;
    if (!current.trim() || templates().indexOf(current) >= 0) {
      box.value = text;
      box.setSelectionRange(text.length, text.length);
      return false;
    }
    var brand = text.match(/^[^:\s][^:]{0,19}: /);
    if (brand && current.indexOf(brand[0]) >= 0) {
      text = text.slice(brand[0].length);
      text = text.charAt(0).toUpperCase() + text.slice(1);
    }
    var start = box.selectionStart, end = box.selectionEnd;
    var before = current.slice(0, start), after = current.slice(end);
    if (before && !/\s$/.test(before)) text = " " + text;
    if (after && !/^\s/.test(after)) text = text + " ";
    box.setRangeText(text, start, end, "end");
    return true;
  }

  document.addEventListener("click", function (event) {
    var button = event.target.closest ? event.target.closest("button[data-template]") : null;
    if (!button) return;
    var box = document.getElementById(button.getAttribute("aria-controls"));
    if (!box) return;
    var kept = insertTemplate(box, button.getAttribute("data-template"));
    box.dispatchEvent(new Event("input", { bubbles: true }));
    box.focus();
    if (kept) announce("Template added; your words are kept.", false);
  });

  // -- a voicemail whose recording cannot be fetched (Twilio not answering): say so in words ---------
  document.addEventListener("error", function (event) {
    var player = event.target;
    if (!player.matches || !player.matches("audio[data-voicemail]")) return;
    var note = player.nextElementSibling;
    if (!note || !note.classList.contains("recording-unavailable")) return;
    player.hidden = true;
    note.hidden = false;
  }, true); // a media element's error does not bubble

  // -- the outcome form: a provider chosen under "Find a provider" is a referral -----------------
  function chooseReferred() {
    var referred = document.querySelector("#outcome-form input[name=outcome][value=referred]");
    if (referred && !referred.checked) {
      referred.checked = true;
      announce("Outcome set to Referred to a provider.", false);
    }
  }

  document.addEventListener("change", function (event) {
    var field = event.target;
    if (field.matches && field.matches("input[name=provider][form=outcome-form]") && field.checked) chooseReferred();
  });

  document.addEventListener("input", function (event) {
    var field = event.target;
    if (field.id === "provider-other" && field.value.trim()) chooseReferred();
  });

  // -- keyboard shortcuts ----------------------------------------------------------------------
  function typing(el) {
    if (!el || !el.matches) return false;
    if (el.isContentEditable || el.matches("textarea, select")) return true;
    return el.matches("input") && !el.matches("[type=checkbox], [type=radio], [type=button], [type=submit]");
  }

  // The row chosen with j/k, by id: a refresh redraws the rows, the choice stays.
  var chosenRow = null;

  function rows() {
    return Array.prototype.slice.call(document.querySelectorAll("tr[data-row]"));
  }

  function selectRow(step) {
    var all = rows();
    if (!all.length) return;
    var current = document.activeElement && document.activeElement.closest
      ? document.activeElement.closest("tr[data-row]") : null;
    if (!current) current = document.querySelector("tr[data-row].selected");
    var index = current ? all.indexOf(current) + step : (step > 0 ? 0 : all.length - 1);
    index = Math.max(0, Math.min(all.length - 1, index));
    all.forEach(function (r) { r.classList.remove("selected"); });
    var row = all[index];
    row.classList.add("selected");
    chosenRow = row.id;
    var link = row.querySelector("a[data-open]");
    if (link) link.focus();
    row.scrollIntoView({ block: "nearest" });
  }

  function chosen() {
    var focused = document.activeElement && document.activeElement.closest
      ? document.activeElement.closest("tr[data-row]") : null;
    return focused || document.querySelector("tr[data-row].selected");
  }

  function keepChoice() {
    var row = chosenRow && document.getElementById(chosenRow);
    if (row && row.matches("tr[data-row]")) row.classList.add("selected");
  }

  function press(selector, inRow) {
    var selected = chosen();
    // On the queue, "c" acts on the row chosen with j/k only: never on a row nobody picked.
    if (inRow && !selected && rows().length) return false;
    var target = inRow && selected ? selected.querySelector(selector) : document.querySelector("main " + selector);
    if (target) {
      target.click();
      return true;
    }
    return false;
  }

  function focusOutcome() {
    var first = document.querySelector("#outcome-form input[name=outcome]:checked, #outcome-form input[name=outcome]");
    if (!first) return;
    first.scrollIntoView({ block: "center" });
    first.focus();
  }

  function toggleHelp() {
    var help = document.getElementById("shortcuts");
    if (!help || !help.showModal) return;
    if (help.open) help.close(); else help.showModal();
  }

  document.addEventListener("keydown", function (event) {
    if (event.defaultPrevented || event.ctrlKey || event.metaKey || event.altKey) return;
    if (typing(event.target)) return;
    var handled = true;
    switch (event.key) {
      case "j": selectRow(1); break;
      case "k": selectRow(-1); break;
      case "c": handled = press("[data-shortcut=claim]", true); break;
      case "o": focusOutcome(); break;
      case "n": handled = press("[data-shortcut=next]"); break;
      case "/": {
        var search = document.getElementById("queue-search");
        if (search) search.focus(); else handled = false;
        break;
      }
      case "?": toggleHelp(); break;
      default: handled = false;
    }
    if (handled) event.preventDefault();
  });

  document.addEventListener("click", function (event) {
    var opener = event.target.closest ? event.target.closest("[data-show-shortcuts]") : null;
    if (opener) toggleHelp();
    var closer = event.target.closest ? event.target.closest("[data-close-dialog]") : null;
    if (closer) closer.closest("dialog").close();
  });

  // -- start -----------------------------------------------------------------------------------
  restoreDrafts();
  tickAges(document);
  onPulse(document.getElementById("pulse"));
  onQueue(document.getElementById("queue-list"), false);
  onTimeline(document.getElementById("timeline"));
  var list = document.querySelector("#timeline .timeline");
  if (list) list.scrollTop = list.scrollHeight; // the latest message in view
  window.setInterval(function () { tickAges(document); }, 30000);
  window.addEventListener("resize", function () {
    var bar = document.getElementById("pulse");
    if (bar) clearOfBar(bar);
  });
})();

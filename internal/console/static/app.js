// palabre's console script: progressive enhancement only. Every page works
// without it; with it, the inbox and conversations update live (server-sent
// events), keys move and act, and quick changes show at once.
(function () {
  "use strict";
  var doc = document;
  doc.documentElement.classList.add("js");
  var csrfMeta = doc.querySelector('meta[name="csrf-token"]');
  var csrf = csrfMeta ? csrfMeta.content : "";
  var body = doc.body;
  var page = body.dataset.page || "";
  var me = body.dataset.user || "";
  var strings = doc.getElementById("i18n");
  function t(key) { return (strings && strings.dataset[key]) || key; }

  // --- feedback -----------------------------------------------------------
  var toastTimer;
  function toast(text, isError) {
    var el = doc.getElementById("toast");
    if (!el) return;
    el.textContent = text;
    el.classList.toggle("error", !!isError);
    el.hidden = false;
    clearTimeout(toastTimer);
    toastTimer = setTimeout(function () { el.hidden = true; }, isError ? 6000 : 2500);
  }
  function announce(text) {
    var el = doc.getElementById("live");
    if (el) { el.textContent = ""; setTimeout(function () { el.textContent = text; }, 50); }
  }
  function problemOf(res) {
    return res.json().then(function (p) { return p.detail || p.title || res.statusText; },
      function () { return res.statusText; });
  }

  // --- forms --------------------------------------------------------------
  doc.addEventListener("change", function (e) {
    var el = e.target;
    if (el.matches && el.matches("[data-autosubmit]") && el.form) {
      if (el.form.requestSubmit) el.form.requestSubmit(); else el.form.submit();
    }
  });

  // Forms that destroy something ask first.
  doc.addEventListener("submit", function (e) {
    var msg = e.target.dataset && e.target.dataset.confirm;
    if (msg && !window.confirm(msg)) { e.preventDefault(); e.stopImmediatePropagation(); }
  }, true);

  // Optimistic changes: the page shows the change at once and the form goes
  // to the server in the background; a refusal undoes it and says why.
  doc.addEventListener("submit", function (e) {
    var form = e.target;
    var kind = form.dataset && form.dataset.optimistic;
    if (!kind || !window.fetch) return;
    e.preventDefault();
    var data = new FormData(form);
    if (e.submitter && e.submitter.name) data.append(e.submitter.name, e.submitter.value);
    var undo = applyOptimistic(kind, form, e.submitter);
    fetch(form.action, { method: "POST", body: data, credentials: "same-origin",
      headers: { "Accept": "application/json", "X-CSRF-Token": csrf } })
      .then(function (res) {
        if (res.ok) { toast(t("saved")); settle(kind, form); return; }
        return problemOf(res).then(function (msg) { undo(); toast(msg, true); });
      }, function () { undo(); toast(t("offline"), true); });
  });

  function applyOptimistic(kind, form, submitter) {
    var row = form.closest(".row");
    if (kind === "correct" && submitter) {
      var buttons = form.querySelectorAll("button[aria-pressed]");
      var before = [];
      buttons.forEach(function (b) { before.push(b.getAttribute("aria-pressed")); b.setAttribute("aria-pressed", b === submitter ? "true" : "false"); });
      return function () { buttons.forEach(function (b, i) { b.setAttribute("aria-pressed", before[i]); }); };
    }
    if (row) {
      row.classList.add("pending-change");
      var oldClass = row.className;
      if (kind === "resolve") { row.className = row.className.replace(/\brow-\w+/, "row-resolved"); }
      form.hidden = true;
      return function () { row.className = oldClass; row.classList.remove("pending-change"); form.hidden = false; };
    }
    form.classList.add("pending-change");
    return function () { form.classList.remove("pending-change"); };
  }
  function settle(kind, form) {
    var row = form.closest(".row");
    if (row) { row.classList.remove("pending-change"); }
    if (page === "conversation" && kind !== "correct") refreshPart("side");
  }

  // --- parts refreshed in place -------------------------------------------
  function refreshPart(part, done) {
    var el = doc.getElementById(part === "rows" ? "rows" : part);
    if (!el) return;
    var src = part === "rows" ? (el.dataset.src || "/inbox") : location.pathname;
    var url = src + (src.indexOf("?") < 0 ? "?" : "&") + "part=" + part;
    fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html" } })
      .then(function (res) { return res.ok ? res.text() : Promise.reject(res.status); })
      .then(function (html) {
        var selected = selectedRow();
        var keep = selected ? selected.dataset.id : null;
        el.innerHTML = html;
        if (keep) { var again = el.querySelector('.row[data-id="' + keep + '"]'); if (again) select(again, false); }
        if (done) done(el);
      }, function () {});
  }

  // --- keyboard -----------------------------------------------------------
  function rows() { return Array.prototype.slice.call(doc.querySelectorAll(".rows .row")); }
  function selectedRow() { return doc.querySelector('.rows .row[aria-selected="true"]'); }
  function select(row, focus) {
    rows().forEach(function (r) { r.removeAttribute("aria-selected"); });
    if (!row) return;
    row.setAttribute("aria-selected", "true");
    if (focus !== false) {
      var link = row.querySelector("a.open");
      if (link) link.focus({ preventScroll: true });
      row.scrollIntoView({ block: "nearest" });
    }
  }
  function move(step) {
    var all = rows();
    if (!all.length) return;
    var i = all.indexOf(selectedRow());
    i = i < 0 ? (step > 0 ? 0 : all.length - 1) : Math.min(all.length - 1, Math.max(0, i + step));
    select(all[i]);
  }
  function press(scope, key) {
    var b = scope && scope.querySelector('[data-key="' + key + '"]');
    if (b) { b.click(); return true; }
    return false;
  }
  doc.addEventListener("focusin", function (e) {
    var row = e.target.closest && e.target.closest(".rows .row");
    if (row && row.getAttribute("aria-selected") !== "true") select(row, false);
  });
  doc.addEventListener("keydown", function (e) {
    if (e.ctrlKey || e.metaKey || e.altKey) return;
    var tag = (e.target.tagName || "").toLowerCase();
    if (tag === "input" || tag === "textarea" || tag === "select" || e.target.isContentEditable) {
      if (e.key === "Escape") e.target.blur();
      return;
    }
    var help = doc.getElementById("help");
    var row = selectedRow();
    switch (e.key) {
      case "j": move(1); break;
      case "k": move(-1); break;
      case "Enter":
        if (row && e.target === body) { location.href = row.querySelector("a.open").href; break; }
        return;
      case "/": var s = doc.getElementById("search"); if (s) { s.focus(); s.select(); } break;
      case "?": if (help && help.showModal) help.showModal(); break;
      case "a": if (!press(row || doc.getElementById("side"), "a")) return; break;
      case "e": if (!press(row || doc.getElementById("side"), "e")) return; break;
      case "s":
        var snooze = doc.getElementById("snooze-for");
        if (snooze) { snooze.focus(); break; }
        if (row) { location.href = row.querySelector("a.open").href + "#snooze-form"; break; }
        return;
      case "r":
        var reply = doc.getElementById("reply-body");
        if (reply) { reply.focus(); break; }
        if (row) { location.href = row.querySelector("a.open").href + "#reply-form"; break; }
        return;
      case "u": if (!press(doc, "u")) return; break;
      default: return;
    }
    e.preventDefault();
  });
  doc.addEventListener("click", function (e) {
    if (e.target.closest && e.target.closest("[data-help]")) {
      var help = doc.getElementById("help");
      if (help && help.showModal) help.showModal();
    }
  });
  if (location.hash === "#reply-form") { var rb = doc.getElementById("reply-body"); if (rb) rb.focus(); }
  if (location.hash === "#snooze-form") { var sf = doc.getElementById("snooze-for"); if (sf) sf.focus(); }

  // --- canned replies -----------------------------------------------------
  var canned = doc.getElementById("canned");
  if (canned) {
    canned.addEventListener("change", function () {
      if (!canned.value) return;
      fetch(canned.dataset.canned + encodeURIComponent(canned.value), { credentials: "same-origin", headers: { "Accept": "application/json" } })
        .then(function (res) { return res.ok ? res.json() : problemOf(res).then(function (m) { return Promise.reject(m); }); })
        .then(function (r) {
          var box = doc.getElementById("reply-body");
          box.value = box.value.trim() ? box.value.replace(/\s*$/, "\n\n") + r.body : r.body;
          box.focus();
          announce(t("cannedInserted"));
        }, function (msg) { toast(String(msg), true); });
    });
  }

  // --- SLA countdowns -----------------------------------------------------
  var lang = doc.documentElement.lang === "fr" ? "fr" : "en";
  function countdown(ms) {
    var neg = ms < 0; ms = Math.abs(ms);
    var min = Math.floor(ms / 60000), h = Math.floor(min / 60), d = Math.floor(h / 24), out;
    if (min < 60) out = min + " min";
    else if (h < 24) out = h + " h " + String(min % 60).padStart(2, "0");
    else out = d + (lang === "fr" ? " j " : " d ") + (h % 24) + " h";
    return (neg ? "-" : "") + out;
  }
  function tick() {
    doc.querySelectorAll("[data-countdown]").forEach(function (el) {
      var left = Date.parse(el.getAttribute("datetime")) - Date.now();
      el.textContent = countdown(left);
      if (left < 0) { el.classList.remove("sla-ok", "sla-soon"); el.classList.add("sla-breached"); }
      else if (left < 3600000) { el.classList.remove("sla-ok"); el.classList.add("sla-soon"); }
    });
  }
  setInterval(tick, 30000);

  // --- live updates -------------------------------------------------------
  var conv = doc.querySelector(".conv");
  var convID = conv ? Number(conv.dataset.conversation) : 0;
  var presence = {};
  function showPresence() {
    var el = doc.getElementById("presence");
    if (!el) return;
    var now = Date.now(), parts = [];
    Object.keys(presence).forEach(function (login) {
      var p = presence[login];
      if (now - p.at > 45000 || p.state === "left") { delete presence[login]; return; }
      parts.push(login + " " + (p.state === "typing" ? t("typing") : t("viewing")));
    });
    el.textContent = parts.join(" · ");
  }
  // Bursts of events refresh each part once: one timer a part. The inbox
  // waits longer, so that a busy team's stream costs each CM at most one
  // list a second or so.
  var pending = {};
  function later(key, fn) {
    if (pending[key]) return;
    pending[key] = setTimeout(function () { pending[key] = null; fn(); }, key === "rows" ? 1500 : 300);
  }
  if (window.EventSource && (page === "inbox" || convID)) {
    var es = new EventSource("/api/v1/events");
    var onEvent = function (e) {
      var ev; try { ev = JSON.parse(e.data); } catch (err) { return; }
      if (ev.action === "presence") {
        if (ev.conversation_id === convID && ev.actor !== me) {
          presence[ev.actor] = { state: ev.detail, at: Date.now() };
          showPresence();
        }
        return;
      }
      if (page === "inbox") {
        if (location.search.indexOf("cursor=") >= 0) return;
        later("rows", function () { refreshPart("rows", function () { announce(t("inboxUpdated")); }); });
        return;
      }
      if (ev.conversation_id !== convID) return;
      if (ev.action === "message.new" || ev.action === "reply.add") {
        var known = {};
        doc.querySelectorAll("#thread .msg").forEach(function (m) { known[m.dataset.id] = true; });
        later("thread", function () {
          refreshPart("thread", function (el) {
            el.querySelectorAll(".msg").forEach(function (m) { if (!known[m.dataset.id]) m.classList.add("fresh"); });
          });
          announce(t("newMessage"));
        });
        later("side", function () { refreshPart("side"); });
      } else if (ev.action.indexOf("note.") === 0) {
        later("notes", function () { refreshPart("notes"); announce(t("newNote")); });
      } else {
        later("side", function () { refreshPart("side"); });
      }
    };
    ["message.new", "reply.add", "note.add", "note.mention", "presence", "conversation.status", "conversation.assign",
      "conversation.priority", "conversation.tags", "conversation.snooze", "conversation.unsnooze",
      "sla.warning", "sla.breach", "message.correct"].forEach(function (name) { es.addEventListener(name, onEvent); });
    // A listening alert (a spike, a watched keyword) shows at once.
    es.addEventListener("alert.raised", function (e) {
      var ev, a;
      try { ev = JSON.parse(e.data); a = JSON.parse(ev.detail); } catch (err) { return; }
      toast(t("alert") + " · " + a.headline, true);
    });
    setInterval(showPresence, 10000);
  }

  // Presence: say we are here, and when we type.
  if (convID && conv.dataset.canNote === "true") {
    var lastState = "", lastSent = 0;
    var say = function (state, keepalive) {
      var now = Date.now();
      if (state === lastState && now - lastSent < 15000) return;
      lastState = state; lastSent = now;
      fetch("/api/v1/conversations/" + convID + "/presence", { method: "PUT", credentials: "same-origin", keepalive: !!keepalive,
        headers: { "Content-Type": "application/json", "X-CSRF-Token": csrf }, body: JSON.stringify({ state: state }) })
        .catch(function () {});
    };
    say("viewing");
    setInterval(function () { say(lastState === "typing" && Date.now() - lastSent < 10000 ? "typing" : "viewing"); }, 20000);
    ["reply-body", "note-body"].forEach(function (id) {
      var box = doc.getElementById(id);
      if (box) box.addEventListener("input", function () { say("typing"); });
    });
    window.addEventListener("pagehide", function () { say("left", true); });
  }
})();

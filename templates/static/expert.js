// delphi expert pages: autosave for the questionnaire. Progressive only: without this file every
// section is a form that posts and redirects. Each change is kept in localStorage until the
// server acknowledges it, so a network hiccup or a closed tab loses nothing; saves are retried
// when the connection comes back.
"use strict";
document.documentElement.classList.add("js");

(function () {
  var API = "/api/v1/respond/answers";

  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  // Submitting the round while offline would leave for the browser's offline page: the page
  // says so instead, and the expert submits again once back online (the answers are saved).
  ready(function () {
    var f = document.querySelector("form.submit-form");
    if (!f) return;
    f.addEventListener("submit", function (ev) {
      if (navigator.onLine !== false) return;
      ev.preventDefault();
      f.querySelector(".offline-note").textContent = f.getAttribute("data-offline");
    });
  });

  ready(function () {
    var form = document.querySelector("form[data-autosave]");
    if (!form) return;
    var key = form.getAttribute("data-autosave");
    var csrf = form.elements.csrf.value;
    var status = document.getElementById("save-status");
    var pending = load();
    var inflight = false, leaving = false, durable = true, retryTimer = null, retryDelay = 2000, typingTimers = {};
    var offline = false, queuedGo = ""; // the last save failed for the network; a "Save and …" waiting for it

    function load() {
      try { return JSON.parse(localStorage.getItem(key) || "{}") || {}; } catch (e) { return {}; }
    }
    function persist() {
      try {
        if (Object.keys(pending).length) localStorage.setItem(key, JSON.stringify(pending));
        else localStorage.removeItem(key);
        durable = true;
      } catch (e) {
        durable = false; // no storage (private mode, quota): only this page holds the changes
      }
    }
    function say(state, extra) {
      if (!status) return;
      if (queuedGo && state === "offline") state = "queued";
      var msg = status.getAttribute("data-" + state) || "";
      status.textContent = extra ? msg + " " + extra : msg;
      status.className = "save-status " + state;
    }
    function box(id) { return document.getElementById("item-" + id); }
    function field(name) { return form.elements[name]; }

    // answerOf reads one item's whole answer from the form.
    function answerOf(id) {
      var a = { item: id };
      var r = field("rating:" + id);
      var rv = r ? r.value : "";
      if (rv === "unable") a.unable = true; else if (rv !== "") a.rating = parseInt(rv, 10);
      var p = field("placement:" + id);
      if (p && p.value) a.placement = p.value;
      var c = field("comment:" + id);
      if (c && c.value.trim()) a.comment = c.value;
      var w = field("reason:" + id);
      if (w && w.value.trim()) a.reason = w.value;
      return a;
    }
    function same(a, b) { return JSON.stringify(a) === JSON.stringify(b); }

    function check(name, value) {
      var rs = form.querySelectorAll("input[name='" + name + "']");
      for (var i = 0; i < rs.length; i++) rs[i].checked = rs[i].value === value;
    }

    function apply(a) {
      var id = a.item;
      check("rating:" + id, a.unable ? "unable" : (a.rating != null ? String(a.rating) : ""));
      check("placement:" + id, a.placement || "");
      var c = field("comment:" + id);
      if (c) c.value = a.comment || "";
      var w = field("reason:" + id);
      if (w) w.value = a.reason || "";
    }

    function itemError(id, msg) {
      var b = box(id);
      if (!b) return;
      var s = b.querySelector(".item-status");
      if (s) s.textContent = msg || "";
      b.classList.toggle("invalid", !!msg);
    }

    // updateItem refreshes what depends on the answer: answered mark, progress, reason field.
    function updateItem(id) {
      var b = box(id);
      if (!b) return;
      var a = answerOf(id);
      b.classList.toggle("answered", a.rating != null || !!a.unable);
      var prev = b.getAttribute("data-prev-band");
      var reason = b.querySelector(".reason");
      if (reason && prev) {
        var checked = b.querySelector("input[name='rating:" + id + "']:checked");
        var band = checked ? checked.getAttribute("data-band") : "";
        var crossed = !!band && band !== prev;
        var w = field("reason:" + id);
        reason.classList.toggle("collapsed", !crossed && !(w && w.value.trim()));
      }
      progress();
    }

    function progress() {
      var wrap = document.querySelector(".progress");
      if (!wrap) return;
      var boxes = form.querySelectorAll(".item");
      var here = 0;
      for (var i = 0; i < boxes.length; i++) if (boxes[i].classList.contains("answered")) here++;
      if (wrap.getAttribute("data-base") === null) {
        wrap.setAttribute("data-base", String(parseInt(wrap.getAttribute("data-answered"), 10) - here));
      }
      var n = parseInt(wrap.getAttribute("data-base"), 10) + here;
      var bar = document.getElementById("progress-bar");
      var txt = document.getElementById("progress-text");
      if (bar) bar.value = n;
      if (txt) txt.textContent = txt.getAttribute("data-template").replace("{n}", String(n));
      var cnt = document.querySelector("[data-section-count='" + form.getAttribute("data-section") + "']");
      if (cnt) cnt.textContent = here + "/" + boxes.length;
    }

    function queue(id) {
      pending[id] = answerOf(id);
      persist();
      say("pending");
      flush();
    }

    function retry() {
      if (retryTimer) return;
      retryTimer = setTimeout(function () { retryTimer = null; flush(); }, retryDelay);
      retryDelay = Math.min(retryDelay * 2, 30000);
    }

    function flush() {
      if (inflight) return;
      var ids = Object.keys(pending);
      if (!ids.length) { say("saved"); if (queuedGo) post(queuedGo); return; }
      var id = ids[0], a = pending[id], body = JSON.stringify({ answers: [a] });
      inflight = true;
      say("saving");
      fetch(API, {
        method: "PUT", credentials: "same-origin", body: body,
        headers: { "Content-Type": "application/json", "Accept": "application/json", "X-CSRF-Token": csrf }
      }).then(function (res) {
        return res.json().catch(function () { return {}; }).then(function (j) { return { res: res, j: j }; });
      }).then(function (r) {
        inflight = false;
        offline = false;
        if (r.res.ok) {
          if (pending[id] && same(pending[id], a)) delete pending[id];
          persist();
          itemError(id, "");
          retryDelay = 2000;
          flush();
          return;
        }
        if (r.res.status >= 400 && r.res.status < 500 && r.res.status !== 408 && r.res.status !== 429) {
          // Refused for a reason the expert can act on: say why; the input stays on the page.
          var msg = (r.j && r.j.error && r.j.error.message) || String(r.res.status);
          if (pending[id] && same(pending[id], a)) delete pending[id];
          persist();
          itemError(id, msg);
          say("error", msg);
          if (r.res.status === 409 || r.res.status === 410) deadEnd(r.res.status, msg);
          if (Object.keys(pending).length || queuedGo) flush(); // a queued post then shows the server's page
          return;
        }
        // A server error: its plain words (nothing saved is lost); the change stays queued.
        if (r.res.status >= 500 && r.j && r.j.error && r.j.error.message) say("error", r.j.error.message);
        else say("offline");
        retry();
      }, function () {
        inflight = false;
        offline = true;
        say("offline");
        retry();
      });
    }

    // clearRating answers the Clear button beside an item's scale: the rating (or "unable to
    // score") is removed on the page and saved like any change. Without this the button posts
    // the form, and the server saves the section with that rating removed.
    function clearRating(ev) {
      var btn = ev.target.closest && ev.target.closest("button.clear-rating");
      if (!btn || !form.contains(btn)) return;
      ev.preventDefault();
      var id = btn.value;
      check("rating:" + id, "");
      updateItem(id);
      queue(id);
    }
    form.addEventListener("click", clearRating);

    form.addEventListener("change", function (ev) {
      var b = ev.target.closest && ev.target.closest(".item");
      if (!b) return;
      var id = b.getAttribute("data-item");
      updateItem(id);
      queue(id);
    });
    form.addEventListener("input", function (ev) {
      if (ev.target.tagName !== "TEXTAREA") return;
      var b = ev.target.closest(".item");
      if (!b) return;
      var id = b.getAttribute("data-item");
      pending[id] = answerOf(id);
      persist();
      say("pending");
      clearTimeout(typingTimers[id]);
      typingTimers[id] = setTimeout(function () { updateItem(id); flush(); }, 1000);
    });
    window.addEventListener("online", function () { retryDelay = 2000; flush(); });
    // Unsent changes survive a closed tab in localStorage; only without it does leaving warn.
    window.addEventListener("beforeunload", function (ev) {
      if (!leaving && !durable && Object.keys(pending).length) { ev.preventDefault(); ev.returnValue = ""; }
    });
    // Posting the form saves everything on the page: no need to warn then. What is pending stays
    // in localStorage until the next page shows it saved (or sends it again: saves are idempotent).
    form.addEventListener("submit", function (ev) { offlineSubmit(ev); });

    // deadEnd says why saving can no longer work (the round closed, the link was replaced) in
    // the server's plain words; after a close it links to the expert's answers, read-only.
    function deadEnd(code, msg) {
      status.textContent = msg + " ";
      status.className = "save-status error";
      if (code !== 409) return;
      var a = document.createElement("a");
      a.href = "/respond";
      a.textContent = status.getAttribute("data-answers") || "";
      status.appendChild(a);
    }

    // offlineSubmit: "Save and continue" (or back, or stay) while offline, or with changes not
    // yet sent, would leave for the browser's offline page. Instead the page's answers join
    // the autosave queue, which is sent when the connection returns; then the form is posted
    // and the expert goes on. Online with nothing pending, the form posts as without JS.
    function offlineSubmit(ev) {
      if (!offline && navigator.onLine !== false && !Object.keys(pending).length) { leaving = true; return; }
      ev.preventDefault();
      var boxes = form.querySelectorAll(".item");
      for (var i = 0; i < boxes.length; i++) {
        var id = boxes[i].getAttribute("data-item"), a = answerOf(id);
        if (pending[id] || a.rating != null || a.unable || a.placement || a.comment || a.reason) pending[id] = a;
      }
      persist();
      queuedGo = (ev.submitter && ev.submitter.value) || "next";
      if (offline || navigator.onLine === false) say("offline");
      flush();
    }

    // post sends the form as a button named go would, once its answers reached the server.
    function post(go) {
      var g = document.createElement("input");
      g.type = "hidden"; g.name = "go"; g.value = go;
      form.appendChild(g);
      queuedGo = "";
      leaving = true;
      HTMLFormElement.prototype.submit.call(form);
    }

    // Unsent changes from an earlier visit: put them back on the page and send them.
    Object.keys(pending).forEach(function (id) {
      if (box(id)) {
        if (same(answerOf(id), pending[id])) { delete pending[id]; return; }
        apply(pending[id]);
        updateItem(id);
      }
    });
    persist();
    var boxes = form.querySelectorAll(".item");
    for (var i = 0; i < boxes.length; i++) updateItem(boxes[i].getAttribute("data-item"));
    if (Object.keys(pending).length) flush();
  });
})();

// delphi: the meeting's pages. The presenter's screen follows the meeting's stream (a live
// count of votes cast, never their split) and drives the meeting through the API; the phone
// page follows the open vote and sends votes, retrying while the connection is lost.
"use strict";
(function () {
  function api(method, url, body, csrf) {
    var opts = { method: method, credentials: "same-origin", headers: { "X-CSRF-Token": csrf } };
    if (body !== null) { opts.headers["Content-Type"] = "application/json"; opts.body = body; }
    return fetch(url, opts);
  }
  function errorText(res) {
    return res.json().then(function (b) { return (b && b.error && b.error.message) || res.statusText; },
      function () { return res.statusText; });
  }

  var screen = document.getElementById("screen");
  if (screen) {
    var id = screen.dataset.meeting, csrf = screen.dataset.csrf, open = screen.dataset.open;
    var closed = null;
    // after a change the screen stays on its item (to show the vote, then its result)
    var here = screen.dataset.item ? location.pathname + "?item=" + encodeURIComponent(screen.dataset.item) : location.pathname;
    var err = document.getElementById("screen-error");
    var es = new EventSource("/api/v1/meetings/" + id + "/events");
    es.addEventListener("pulse", function (ev) {
      var p = JSON.parse(ev.data);
      var n = document.getElementById("live-count");
      if (n && p.open === open) { n.textContent = String(p.votes_cast); }
      var a = document.getElementById("attendees");
      if (a) { a.textContent = String(p.attendees); }
      var c = document.getElementById("join-code");
      if (c && c.textContent !== p.join_code) { c.textContent = p.join_code; }
      if (closed === null) { closed = p.closed; }
      // another screen opened or closed a vote: show it
      if (p.open !== open && (p.open !== "" || p.closed !== closed)) { es.close(); location.reload(); }
    });
    // keyboard and clicker (PageUp / PageDown) move through the list
    document.addEventListener("keydown", function (ev) {
      if (ev.target.closest("input, select, textarea") || ev.altKey || ev.ctrlKey || ev.metaKey) { return; }
      var rel = { ArrowLeft: "prev", PageUp: "prev", ArrowRight: "next", PageDown: "next" }[ev.key];
      var a = rel && document.querySelector('a[rel="' + rel + '"]');
      if (a) { ev.preventDefault(); location.assign(a.href); }
    });
    document.addEventListener("click", function (ev) {
      var b = ev.target.closest("button[data-api]");
      if (!b) { return; }
      if (b.dataset.confirm && !window.confirm(b.dataset.confirm)) { return; }
      var body = b.dataset.body || null;
      if (b.dataset.proposal) {
        var t = document.getElementById(b.dataset.proposal).value, q = { question: "proposal", tier: t };
        if (t.indexOf("expansion:") === 0) { q = { question: "proposal", tier: "expansion", module: t.slice(10) }; }
        body = JSON.stringify(q);
      }
      b.disabled = true;
      api(b.dataset.method, b.dataset.api, body, csrf).then(function (res) {
        if (res.ok) { es.close(); location.assign(here); return; }
        return errorText(res).then(function (m) { err.textContent = m; err.hidden = false; b.disabled = false; });
      }, function () { err.textContent = "The server cannot be reached; try again."; err.hidden = false; b.disabled = false; });
    });
  }

  var phone = document.getElementById("phone");
  if (phone) {
    var item = phone.dataset.item, pcsrf = phone.dataset.csrf;
    var status = document.getElementById("vote-status");
    // follow the meeting: a new vote, or the end, reloads the page
    setInterval(function () {
      fetch("/api/v1/meetings/current", { credentials: "same-origin" }).then(function (res) {
        if (!res.ok) { return; }
        return res.json().then(function (v) {
          var now = v.open ? v.open.item : "";
          if (now !== item || v.state === "ended") { location.reload(); }
        });
      }, function () { /* offline: try again at the next tick */ });
    }, 2000);
    var form = document.getElementById("vote-form");
    if (form) {
      form.addEventListener("submit", function (ev) {
        ev.preventDefault();
        var b = ev.submitter, option = b.value, delay = 1000;
        var body = JSON.stringify({ item: item, option: option });
        var buttons = form.querySelectorAll("button.option");
        var send = function () {
          api("PUT", "/api/v1/meetings/vote", body, pcsrf).then(function (res) {
            if (res.ok) {
              buttons.forEach(function (x) {
                var on = x === b;
                x.classList.toggle("chosen", on);
                x.setAttribute("aria-pressed", on ? "true" : "false");
              });
              status.textContent = "Your vote: " + option + ". You may change it until the vote closes.";
              return;
            }
            if (res.status >= 500) { retry(); return; }
            return errorText(res).then(function (m) { status.textContent = m; });
          }, retry);
        };
        var retry = function () {
          status.textContent = "Connection lost: retrying your vote…";
          setTimeout(send, delay);
          delay = Math.min(delay * 2, 10000);
        };
        send();
      });
    }
  }

  // the list's editor: each change reloads the page at the item moved; the keyboard's focus
  // goes back to the button pressed (pressing "Up" again moves the item again)
  var edit = document.getElementById("edit-items");
  if (edit) {
    edit.addEventListener("click", function (ev) {
      var b = ev.target.closest("button[name=op]");
      if (b) { try { sessionStorage.setItem("delphi-edit-op", b.value); } catch (e) { /* private mode */ } }
    });
    var last = null;
    try { last = sessionStorage.getItem("delphi-edit-op"); sessionStorage.removeItem("delphi-edit-op"); } catch (e) { /* private mode */ }
    var li = location.hash.indexOf("#li-") === 0 ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
    if (li) {
      var bs = Array.prototype.filter.call(li.querySelectorAll("button[name=op]"), function (b) { return !b.disabled; });
      var to = bs.filter(function (b) { return b.value === last; })[0] || bs[0];
      // after the load: going to the fragment clears the focus
      if (to) { window.addEventListener("load", function () { setTimeout(function () { to.focus(); }, 0); }); }
    }
  }
  // the attendees' list: a removal is confirmed first
  var people = document.getElementById("attendee-list");
  if (people) {
    people.addEventListener("click", function (ev) {
      var b = ev.target.closest("button[data-confirm-remove]");
      if (b && !window.confirm("Remove " + b.dataset.confirmRemove + " from the meeting? Their vote on an open item is dropped.")) {
        ev.preventDefault();
      }
    });
  }
})();

// delphi console: progressive enhancement only; every page works without JavaScript.
"use strict";
document.addEventListener("DOMContentLoaded", function () {
  // ask before irreversible actions (forms carrying data-confirm)
  document.querySelectorAll("form[data-confirm]").forEach(function (f) {
    f.addEventListener("submit", function (ev) {
      if (!window.confirm(f.getAttribute("data-confirm"))) { ev.preventDefault(); }
    });
  });
  // next-round editor: live count of kept items, and dim dropped rows
  var draft = document.getElementById("draft");
  if (draft) {
    var counter = document.getElementById("n-kept");
    var update = function () {
      var boxes = draft.querySelectorAll("input[type=checkbox][name^='keep.']");
      var n = 0;
      boxes.forEach(function (b) {
        if (b.checked) { n++; }
        var tr = b.closest("tr");
        if (tr) { tr.classList.toggle("c-dropped", !b.checked); }
      });
      if (counter) { counter.textContent = String(n); }
    };
    draft.addEventListener("change", update);
  }
  // new study: the time zone field starts with the browser's zone (left empty it means UTC)
  var zone = document.querySelector("input[data-browser-zone]");
  if (zone && zone.value === "" && window.Intl && Intl.DateTimeFormat) {
    zone.value = Intl.DateTimeFormat().resolvedOptions().timeZone || "";
  }
});

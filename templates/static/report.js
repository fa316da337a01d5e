// delphi reports: slides with keyboard navigation, and a print button. Progressive
// enhancement: without JavaScript the slides view shows every slide one under the other.
"use strict";
(function () {
  var body = document.body;
  var printNow = document.getElementById("print-now");
  if (printNow) {
    printNow.addEventListener("click", function () { window.print(); });
  }
  if (!body.classList.contains("view-slides")) {
    return;
  }
  var slides = Array.prototype.filter.call(document.querySelectorAll(".slide"), function (el) {
    return getComputedStyle(el).display !== "none";
  });
  if (slides.length === 0) {
    return;
  }
  body.classList.add("js-slides");
  var controls = document.getElementById("slide-controls");
  var count = document.getElementById("slide-count");
  var current = 0;

  function show(i) {
    i = Math.max(0, Math.min(slides.length - 1, i));
    slides[current].classList.remove("current");
    current = i;
    slides[current].classList.add("current");
    if (count) {
      count.textContent = (current + 1) + " / " + slides.length;
    }
    if (history.replaceState) {
      history.replaceState(null, "", "#slide-" + (current + 1));
    }
    window.scrollTo(0, 0);
  }

  function fullscreen() {
    if (document.fullscreenElement) {
      document.exitFullscreen();
    } else if (document.documentElement.requestFullscreen) {
      document.documentElement.requestFullscreen();
    }
  }

  document.addEventListener("keydown", function (e) {
    var tag = e.target && e.target.tagName;
    if (e.altKey || e.ctrlKey || e.metaKey || tag === "BUTTON" || tag === "A" || tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT") {
      return;
    }
    switch (e.key) {
      case "ArrowRight": case "ArrowDown": case "PageDown": case " ": case "n":
        show(current + 1); break;
      case "ArrowLeft": case "ArrowUp": case "PageUp": case "Backspace": case "p":
        show(current - 1); break;
      case "Home":
        show(0); break;
      case "End":
        show(slides.length - 1); break;
      case "f": case "F":
        fullscreen(); break;
      default:
        return;
    }
    e.preventDefault();
  });
  var prev = document.getElementById("slide-prev");
  var next = document.getElementById("slide-next");
  if (prev) { prev.addEventListener("click", function () { show(current - 1); }); }
  if (next) { next.addEventListener("click", function () { show(current + 1); }); }
  if (controls) { controls.hidden = false; }

  var m = /^#slide-(\d+)$/.exec(location.hash);
  slides[0].classList.add("current");
  show(m ? parseInt(m[1], 10) - 1 : 0);
})();

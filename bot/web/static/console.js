// The console's progressive enhancement: every page works without this file.
// 1. The broadcast preview follows the text as staff type (the server renders it).
// 2. An element with data-live="URL" is refreshed from URL every few seconds while the tab
//    is visible (a delivering broadcast's counts; the desk's new tickets later).
(function () {
  "use strict";
  var token = document.querySelector('meta[name="csrf-token"]');
  var csrf = token ? token.getAttribute("content") : "";

  function livePreview(form) {
    var target = document.getElementById("preview");
    var url = form.getAttribute("data-preview");
    if (!target || !url) return;
    var timer = null, inFlight = null;
    function send(withFile) {
      var data = new FormData(form);
      if (!withFile) data.delete("image");
      if (inFlight) inFlight.abort();
      inFlight = new AbortController();
      fetch(url, { method: "POST", body: data, headers: { "X-CSRF-Token": csrf, "X-Requested-With": "fetch" }, credentials: "same-origin", signal: inFlight.signal })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null) return;
          target.innerHTML = html;
          if (withFile && !form.querySelector('input[name="keep_image"]')) {
            var keep = document.createElement("input");
            keep.type = "hidden"; keep.name = "keep_image"; keep.value = "1";
            form.appendChild(keep);
          }
        })
        .catch(function () { /* the 预览 button still works */ });
    }
    form.addEventListener("input", function (e) {
      if (e.target && e.target.name === "image") return;
      clearTimeout(timer);
      timer = setTimeout(function () { send(false); }, 300);
    });
    var file = form.querySelector('input[name="image"]');
    if (file) file.addEventListener("change", function () { send(true); });
  }

  function live(el) {
    var url = el.getAttribute("data-live");
    var every = parseInt(el.getAttribute("data-live-every") || "4000", 10);
    function tick() {
      if (document.visibilityState !== "visible") return schedule();
      fetch(url, { credentials: "same-origin", headers: { "Accept": "text/html", "X-Requested-With": "fetch" } })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          if (html === null) return;
          var holder = document.createElement("div");
          holder.innerHTML = html;
          var fresh = holder.firstElementChild;
          if (fresh) { el.replaceWith(fresh); el = fresh; }
          if (el.hasAttribute("data-live")) schedule();
        })
        .catch(schedule);
    }
    function schedule() { setTimeout(tick, every); }
    schedule();
  }

  document.addEventListener("DOMContentLoaded", function () {
    var form = document.getElementById("compose-form");
    if (form) livePreview(form);
    Array.prototype.forEach.call(document.querySelectorAll("[data-live]"), live);
  });
})();

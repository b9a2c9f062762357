// 智慧工会平台 console conveniences. Every page works without this file: it only confirms
// risky actions, submits filters as you type, suggests unions and employers as you type and
// follows progress. (The scope switcher waits for its button: arrow keys in a closed
// drop-down change its value, and a page change on each would be a surprise.)
"use strict";
(function () {
  function ready(fn) {
    if (document.readyState !== "loading") fn(); else document.addEventListener("DOMContentLoaded", fn);
  }

  ready(function () {
    // Forms that change something important ask first.
    document.querySelectorAll("form[data-confirm]").forEach(function (form) {
      form.addEventListener("submit", function (e) {
        if (!window.confirm(form.getAttribute("data-confirm"))) e.preventDefault();
      });
    });

    // Live search: filter forms marked data-live refresh their results while typing.
    document.querySelectorAll("form[data-live]").forEach(function (form) {
      var target = document.getElementById(form.getAttribute("data-live"));
      if (!target) return;
      var timer = null, seq = 0;
      function refresh() {
        var params = new URLSearchParams(new FormData(form));
        var url = form.getAttribute("action") + "?" + params.toString();
        var mine = ++seq;
        fetch(url, { headers: { "Accept": "text/html" }, credentials: "same-origin" })
          .then(function (r) { return r.ok ? r.text() : null; })
          .then(function (html) {
            if (html === null || mine !== seq) return;
            var doc = new DOMParser().parseFromString(html, "text/html");
            var fresh = doc.getElementById(target.id);
            if (fresh) { target.replaceWith(fresh); target = fresh; }
            window.history.replaceState(null, "", url);
          })
          .catch(function () { /* keep the current results */ });
      }
      form.querySelectorAll("input[type=search], input[type=text]").forEach(function (input) {
        input.addEventListener("input", function () {
          clearTimeout(timer);
          timer = setTimeout(refresh, 300);
        });
      });
    });

    // Import progress: follow the job without reloading the whole page every time.
    var job = document.querySelector("[data-job]");
    if (job) {
      var bar = job.querySelector(".progress > span");
      var phase = job.querySelector("[data-phase]");
      var poll = function () {
        fetch("/api/v1/import-jobs/" + job.getAttribute("data-job"), { credentials: "same-origin" })
          .then(function (r) { return r.json(); })
          .then(function (s) {
            if (bar) bar.style.width = s.percent + "%";
            if (phase) phase.textContent = s.phase + "（已读取 " + s.rows_read + " 行）";
            if (s.state === "running") setTimeout(poll, 700); else window.location.reload();
          })
          .catch(function () { setTimeout(poll, 2000); });
      };
      setTimeout(poll, 500);
    }
  });
})();

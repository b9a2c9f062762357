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

    // Live search: filter forms marked data-live refresh their results while typing. A whole
    // ID number or mobile never goes into a URL: for those the form's own post (on 查询 or
    // Enter) keeps the number on the server.
    function namesAPerson(text) {
      var digits = text.replace(/\s/g, "");
      return /^(\d{17}[\dXx]|(86)?1\d{10})$/.test(digits);
    }
    document.querySelectorAll("form[data-live]").forEach(function (form) {
      var target = document.getElementById(form.getAttribute("data-live"));
      if (!target) return;
      var timer = null, seq = 0;
      function refresh() {
        var params = new URLSearchParams(new FormData(form));
        params.delete("_csrf");
        var q = params.get("q") || "";
        if (namesAPerson(q)) return;
        var url = (form.getAttribute("data-live-url") || form.getAttribute("action")) + "?" + params.toString();
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

    // Pickers: a field marked data-pick suggests unions or employers as the cadre types a
    // name, a code or pinyin; choosing one puts its code in the field and says what it is.
    document.querySelectorAll("input[data-pick]").forEach(function (input) {
      var url = input.getAttribute("data-pick");
      var list = document.createElement("ul");
      list.className = "pick-list";
      list.id = input.id + "-choices";
      list.setAttribute("role", "listbox");
      list.hidden = true;
      var picked = document.createElement("p");
      picked.className = "hint pick-picked";
      picked.setAttribute("aria-live", "polite");
      input.insertAdjacentElement("afterend", list);
      list.insertAdjacentElement("afterend", picked);
      input.setAttribute("role", "combobox");
      input.setAttribute("aria-autocomplete", "list");
      input.setAttribute("aria-expanded", "false");
      input.setAttribute("aria-controls", list.id);
      input.setAttribute("autocomplete", "off");
      var timer = null, seq = 0, active = -1, items = [];
      function close() {
        list.hidden = true;
        input.setAttribute("aria-expanded", "false");
        input.removeAttribute("aria-activedescendant");
        active = -1;
      }
      function choose(c) {
        input.value = c.value;
        picked.textContent = "已选：" + c.label + "（" + c.note + "）";
        close();
        input.dispatchEvent(new Event("change", { bubbles: true }));
      }
      function highlight() {
        Array.prototype.forEach.call(list.children, function (li, i) {
          li.setAttribute("aria-selected", i === active ? "true" : "false");
        });
        if (active >= 0) input.setAttribute("aria-activedescendant", list.id + "-" + active);
      }
      function show(choices) {
        items = choices;
        list.textContent = "";
        choices.forEach(function (c, i) {
          var li = document.createElement("li");
          li.id = list.id + "-" + i;
          li.setAttribute("role", "option");
          var name = document.createElement("strong");
          name.textContent = c.label;
          var note = document.createElement("span");
          note.className = "muted small";
          note.textContent = " " + c.note;
          li.appendChild(name);
          li.appendChild(note);
          li.addEventListener("mousedown", function (e) { e.preventDefault(); choose(c); });
          list.appendChild(li);
        });
        if (!choices.length) {
          var none = document.createElement("li");
          none.className = "muted";
          none.textContent = "没有找到，请换个名称、代码或拼音试试";
          list.appendChild(none);
        }
        list.hidden = false;
        input.setAttribute("aria-expanded", "true");
      }
      function suggest() {
        var q = input.value.trim();
        if (!q) { close(); return; }
        var mine = ++seq;
        var sep = url.indexOf("?") >= 0 ? "&" : "?";
        fetch(url + sep + "q=" + encodeURIComponent(q), { credentials: "same-origin", headers: { "Accept": "application/json" } })
          .then(function (r) { return r.ok ? r.json() : []; })
          .then(function (c) { if (mine === seq) show(c); })
          .catch(function () { /* the field still takes a typed code */ });
      }
      input.addEventListener("input", function () {
        picked.textContent = "";
        clearTimeout(timer);
        timer = setTimeout(suggest, 200);
      });
      input.addEventListener("keydown", function (e) {
        if (list.hidden) return;
        if (e.key === "ArrowDown") { active = Math.min(active + 1, items.length - 1); highlight(); e.preventDefault(); }
        else if (e.key === "ArrowUp") { active = Math.max(active - 1, 0); highlight(); e.preventDefault(); }
        else if (e.key === "Enter" && active >= 0) { e.preventDefault(); choose(items[active]); }
        else if (e.key === "Escape") { close(); }
      });
      input.addEventListener("blur", function () { setTimeout(close, 150); });
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

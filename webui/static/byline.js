// Progressive enhancement only: every page works without this file.
(function () {
  "use strict";
  // Press "/" to jump to the search box (unless already typing somewhere).
  document.addEventListener("keydown", function (event) {
    if (event.key !== "/" || event.ctrlKey || event.metaKey || event.altKey) return;
    var target = event.target;
    var tag = target && target.tagName;
    if (tag === "INPUT" || tag === "TEXTAREA" || tag === "SELECT" || (target && target.isContentEditable)) return;
    var box = document.getElementById("q");
    if (!box) return;
    event.preventDefault();
    box.focus();
    box.select();
  });
  // Filter bar: a changed source, section or sort applies at once (the Apply button does it without JS).
  document.addEventListener("change", function (event) {
    var target = event.target;
    if (!target || target.tagName !== "SELECT" || !target.hasAttribute("data-autosubmit")) return;
    if (target.form) target.form.submit();
  });
  // Suggestions as you type: an ARIA 1.2 combobox over any input with data-suggest.
  // Without this file the input is a plain search box; with it, ArrowDown/ArrowUp move
  // through the suggestions, Enter searches the highlighted one, Escape closes the list.
  function enhance(input) {
    var url = input.getAttribute("data-suggest");
    var host = input.parentNode;
    var id = input.id + "-suggestions";
    var list = document.createElement("ul");
    var status = document.createElement("div");
    var options = [];
    var active = -1;
    var timer = null;
    var asked = 0;
    list.id = id;
    list.className = "suggestions";
    list.setAttribute("role", "listbox");
    list.setAttribute("aria-label", "Suggestions");
    list.hidden = true;
    status.className = "visually-hidden";
    status.setAttribute("role", "status");
    host.classList.add("suggest-host");
    host.appendChild(list);
    host.appendChild(status);
    input.setAttribute("role", "combobox");
    input.setAttribute("aria-autocomplete", "list");
    input.setAttribute("aria-expanded", "false");
    input.setAttribute("aria-controls", id);

    function close() {
      list.hidden = true;
      input.setAttribute("aria-expanded", "false");
      input.removeAttribute("aria-activedescendant");
      active = -1;
    }
    function highlight(index) {
      if (active >= 0 && options[active]) options[active].setAttribute("aria-selected", "false");
      active = index;
      if (active >= 0 && options[active]) {
        options[active].setAttribute("aria-selected", "true");
        input.setAttribute("aria-activedescendant", options[active].id);
        options[active].scrollIntoView({ block: "nearest" });
      } else {
        input.removeAttribute("aria-activedescendant");
      }
    }
    function choose(index) {
      if (!options[index]) return;
      input.value = options[index].textContent;
      close();
      if (input.form) input.form.submit();
    }
    function show(words) {
      list.textContent = "";
      options = [];
      active = -1;
      words.forEach(function (word, i) {
        var item = document.createElement("li");
        item.id = id + "-" + i;
        item.setAttribute("role", "option");
        item.setAttribute("aria-selected", "false");
        item.textContent = word;  // text, never HTML
        item.addEventListener("mousedown", function (event) { event.preventDefault(); choose(i); });
        list.appendChild(item);
        options.push(item);
      });
      if (!words.length) { close(); status.textContent = ""; return; }
      list.hidden = false;
      input.setAttribute("aria-expanded", "true");
      status.textContent = words.length + (words.length === 1 ? " suggestion" : " suggestions") +
        ": use the up and down arrows to choose.";
    }
    function ask() {
      var text = input.value;
      var mine = ++asked;
      if (!text.trim()) { show([]); return; }
      fetch(url + "?q=" + encodeURIComponent(text), { headers: { Accept: "application/x-suggestions+json" } })
        .then(function (r) { return r.ok ? r.json() : [text, []]; })
        .then(function (data) {
          if (mine !== asked || document.activeElement !== input) return;  // a newer request won
          show(Array.isArray(data) && Array.isArray(data[1]) ? data[1].slice(0, 10) : []);
        })
        .catch(function () { show([]); });
    }
    input.addEventListener("input", function () {
      clearTimeout(timer);
      timer = setTimeout(ask, 120);
    });
    input.addEventListener("keydown", function (event) {
      if (event.key === "ArrowDown") {
        event.preventDefault();
        if (list.hidden) { ask(); return; }
        highlight(active + 1 < options.length ? active + 1 : 0);
      } else if (event.key === "ArrowUp") {
        if (list.hidden) return;
        event.preventDefault();
        highlight(active > 0 ? active - 1 : options.length - 1);
      } else if (event.key === "Enter") {
        if (!list.hidden && active >= 0) { event.preventDefault(); choose(active); }
      } else if (event.key === "Escape") {
        if (!list.hidden) { event.preventDefault(); close(); }
      } else if (event.key === "Tab") {
        close();
      }
    });
    input.addEventListener("blur", function () { setTimeout(close, 100); });
  }
  var boxes = document.querySelectorAll("input[data-suggest]");
  for (var i = 0; i < boxes.length; i++) {
    if (window.fetch && boxes[i].id) enhance(boxes[i]);
  }
})();

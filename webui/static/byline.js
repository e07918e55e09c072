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
})();

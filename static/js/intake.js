/* Intake page: show a running total so the inspector sees at once whether the counts add up.
   The page works without this file; the server checks the same sum. */
(function () {
  "use strict";
  var form = document.getElementById("intake-form");
  var tally = document.getElementById("tally");
  if (!form || !tally) return;
  function val(el) { var n = parseInt(el.value, 10); return isNaN(n) || n < 0 ? 0 : n; }
  function sum(selector) {
    var total = 0;
    form.querySelectorAll(selector).forEach(function (el) { total += val(el); });
    return total;
  }
  function update() {
    var acc = sum(".accepted input"), rej = sum(".rejected input");
    var brought = val(form.querySelector("[name=eggs_brought]"));
    var ok = acc + rej === brought;
    tally.hidden = brought === 0 && acc + rej === 0;
    tally.className = "tally " + (ok ? "ok" : "bad");
    tally.textContent = (window.gettext ? gettext("合格") : "合格") + " " + acc + " + " +
      (window.gettext ? gettext("不合格") : "不合格") + " " + rej + " = " + (acc + rej) + " / " + brought +
      (ok ? " ✓" : " ✗");
  }
  form.addEventListener("input", update);
  update();
})();

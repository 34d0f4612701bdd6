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

/* Household lookup: as the inspector types a number, a phone tail, a name or its pinyin ("ajmr"), ask
   /intake/farmers/ (the search every page uses) and offer the matches as buttons under the field. The
   datalist still works offline; the server resolves what was typed either way. */
(function () {
  "use strict";
  var list = document.getElementById("farmer-list");
  var input = document.querySelector("#intake-form [name=farmer]");
  if (!list || !input || !window.fetch) return;
  var box = document.createElement("ul");
  box.className = "plain farmer-matches";
  box.setAttribute("aria-live", "polite");
  input.parentNode.insertBefore(box, list);
  var timer = null, asked = "";
  function show(results) {
    box.textContent = "";
    results.forEach(function (r) {
      var li = document.createElement("li"), b = document.createElement("button");
      b.type = "button";
      b.className = "pill";
      b.textContent = r.value + " · " + r.village;
      b.addEventListener("click", function () { input.value = r.value; box.textContent = ""; });
      li.appendChild(b);
      box.appendChild(li);
    });
  }
  function ask() {
    var q = input.value.trim();
    if (q.length < 2 || q === asked) return;
    asked = q;
    fetch(list.getAttribute("data-lookup") + "&q=" + encodeURIComponent(q), {credentials: "same-origin"})
      .then(function (resp) { return resp.ok ? resp.json() : {results: []}; })
      .then(function (data) { if (input.value.trim() === q) show(data.results); })
      .catch(function () { /* offline: the datalist and the server's own search still work */ });
  }
  input.addEventListener("input", function () { clearTimeout(timer); timer = setTimeout(ask, 250); });
})();

/* "读给我听": reads the household's page aloud with the phone's own speech synthesis (no server, no
   download), in Mandarin, slowly. Shown only where the phone can speak. Reads what a person reads:
   the page's text, skipping the navigation, hidden parts and the form's fine print. ~1 KB. */
(function () {
  "use strict";
  var box = document.getElementById("read-aloud");
  var page = document.getElementById("farmer-page");
  if (!box || !page || !("speechSynthesis" in window) || typeof SpeechSynthesisUtterance === "undefined") return;
  var button = box.querySelector("button");
  var label = button.innerHTML;
  box.hidden = false;

  function text() {
    var parts = [];
    var walker = document.createTreeWalker(page, NodeFilter.SHOW_TEXT, {
      acceptNode: function (node) {
        var el = node.parentElement;
        if (!el || el.closest("[hidden], script, style, textarea, form .sr, .no-read")) return NodeFilter.FILTER_REJECT;
        return node.textContent.trim() ? NodeFilter.FILTER_ACCEPT : NodeFilter.FILTER_REJECT;
      }
    });
    while (walker.nextNode()) parts.push(walker.currentNode.textContent.trim());
    // "¥12.50" and "−¥3.00" read as money, not as symbols.
    return parts.join("，").replace(/−¥/g, "扣 ").replace(/¥/g, "").replace(/(\d+)\.(\d\d)/g, "$1元$2角分")
      .replace(/元(\d)(\d)角分/g, function (m, j, f) { return "元" + (j !== "0" ? j + "角" : "") + (f !== "0" ? f + "分" : ""); });
  }

  button.addEventListener("click", function () {
    if (speechSynthesis.speaking) {
      speechSynthesis.cancel();
      button.innerHTML = label;
      return;
    }
    var u = new SpeechSynthesisUtterance(text());
    u.lang = "zh-CN";
    u.rate = 0.85;
    u.onend = u.onerror = function () { button.innerHTML = label; };
    button.textContent = box.getAttribute("data-stop");
    speechSynthesis.speak(u);
  });
})();

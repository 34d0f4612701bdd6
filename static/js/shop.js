/* Small progressive enhancements for the shop; every page works without this file. */
(function () {
  "use strict";
  // Share links: select the whole link on tap so it can be copied in WeChat.
  document.querySelectorAll("input.copy").forEach(function (el) {
    el.addEventListener("focus", function () { el.select(); });
  });
  // Leader's pickup page: scan the buyer's pickup QR with the camera where the browser can.
  var start = document.getElementById("start-scan");
  var video = document.getElementById("scanner");
  var input = document.getElementById("code");
  var form = document.getElementById("pickup-form");
  if (start && video && input && form && "BarcodeDetector" in window && navigator.mediaDevices) {
    start.hidden = false;
    start.addEventListener("click", function () {
      var detector = new window.BarcodeDetector({ formats: ["qr_code"] });
      navigator.mediaDevices.getUserMedia({ video: { facingMode: "environment" } }).then(function (stream) {
        video.srcObject = stream; video.hidden = false; video.play();
        var tick = function () {
          detector.detect(video).then(function (codes) {
            if (codes.length) {
              stream.getTracks().forEach(function (t) { t.stop(); });
              input.value = codes[0].rawValue; form.submit();
            } else { window.requestAnimationFrame(tick); }
          }).catch(function () { window.requestAnimationFrame(tick); });
        };
        tick();
      }).catch(function () { start.hidden = true; });
    });
  }
  // Buttons that give money back or refuse a buyer ask first (data-confirm holds the question).
  // Without JavaScript they submit at once: the services still refuse anything twice.
  document.querySelectorAll("[data-confirm]").forEach(function (b) {
    b.addEventListener("click", function (e) {
      if (!window.confirm(b.getAttribute("data-confirm"))) { e.preventDefault(); }
    });
  });
  // Group buy countdown: the server wrote the remaining time; this only ticks it down once a second
  // (the words come from the page, translated there). At zero it says 已截止; the server decides the rest.
  var cd = document.getElementById("gb-countdown");
  if (cd) {
    var end = Date.now() + parseInt(cd.getAttribute("data-seconds"), 10) * 1000;
    var show = function () {
      var s = Math.max(0, Math.floor((end - Date.now()) / 1000));
      if (s === 0) { cd.textContent = cd.getAttribute("data-end"); return false; }
      var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600), m = Math.floor(s % 3600 / 60);
      var fmt = d ? cd.getAttribute("data-d") : h ? cd.getAttribute("data-h") : cd.getAttribute("data-m");
      cd.textContent = fmt.replace("{d}", d).replace("{h}", h).replace("{m}", m).replace("{s}", s % 60);
      return true;
    };
    if (show()) {
      var timer = window.setInterval(function () { if (!show()) { window.clearInterval(timer); } }, 1000);
    }
  }
  // Forms submit once: a double tap on a slow network must not post twice (the server is
  // idempotent anyway, this just saves the round trip).
  document.querySelectorAll("form").forEach(function (f) {
    f.addEventListener("submit", function () {
      window.setTimeout(function () {
        f.querySelectorAll("button[type=submit]").forEach(function (b) { b.disabled = true; });
      }, 0);
    });
  });
})();

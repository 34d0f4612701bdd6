/* 录音 on the appeal form: the household says what it has to say instead of writing it. Uses the phone's
   MediaRecorder (no upload until the form is sent, nothing from a CDN); where the phone cannot record, the
   box stays hidden and the form works as before. At most data-max seconds; the recording is put into the
   form's file field, so it goes with the appeal in the same post. ~2 KB. */
(function () {
  "use strict";
  var box = document.getElementById("voice");
  if (!box || !window.MediaRecorder || !navigator.mediaDevices || !navigator.mediaDevices.getUserMedia) return;
  try { new DataTransfer(); } catch (e) { return; } // the only way to hand a recording to a file field
  var rec = document.getElementById("voice-rec"), label = rec.querySelector("span"), idle = label.textContent;
  var time = document.getElementById("voice-time"), play = document.getElementById("voice-play");
  var again = document.getElementById("voice-again"), file = document.getElementById("voice-file");
  var seconds = document.getElementById("voice-seconds");
  var max = parseInt(box.getAttribute("data-max"), 10) || 60;
  var recorder = null, chunks = [], started = 0, ticker = null, stopper = null, url = null;
  box.hidden = false;

  function kind() {
    var types = ["audio/webm;codecs=opus", "audio/ogg;codecs=opus", "audio/mp4", "audio/webm"];
    for (var i = 0; i < types.length; i++) if (MediaRecorder.isTypeSupported && MediaRecorder.isTypeSupported(types[i])) return types[i];
    return "";
  }
  function ending(type) {
    return type.indexOf("ogg") >= 0 ? "ogg" : type.indexOf("mp4") >= 0 || type.indexOf("aac") >= 0 ? "m4a" : "webm";
  }
  function clock(s) { return Math.floor(s / 60) + ":" + ("0" + (s % 60)).slice(-2); }
  function elapsed() { return Math.max(1, Math.min(max, Math.round((Date.now() - started) / 1000))); }

  function clear() {
    file.files = new DataTransfer().files;
    seconds.value = "";
    if (url) URL.revokeObjectURL(url);
    url = null;
    play.removeAttribute("src");
    play.hidden = again.hidden = true;
    rec.hidden = false;
    time.textContent = "";
  }

  function finished() {
    clearInterval(ticker);
    clearTimeout(stopper);
    var type = (recorder.mimeType || "audio/webm").split(";")[0];
    var blob = new Blob(chunks, { type: type });
    recorder.stream.getTracks().forEach(function (t) { t.stop(); });
    recorder = null;
    label.textContent = idle;
    rec.classList.remove("on");
    if (!blob.size) { clear(); return; }
    var n = elapsed(), dt = new DataTransfer();
    dt.items.add(new File([blob], "voice." + ending(type), { type: type }));
    file.files = dt.files;
    seconds.value = String(n);
    url = URL.createObjectURL(blob);
    play.src = url;
    play.hidden = again.hidden = false;
    rec.hidden = true;
    time.textContent = box.getAttribute("data-done").replace("N", n);
  }

  function start() {
    clear();
    navigator.mediaDevices.getUserMedia({ audio: true }).then(function (stream) {
      var type = kind();
      recorder = type ? new MediaRecorder(stream, { mimeType: type }) : new MediaRecorder(stream);
      chunks = [];
      recorder.ondataavailable = function (e) { if (e.data && e.data.size) chunks.push(e.data); };
      recorder.onstop = finished;
      recorder.start();
      started = Date.now();
      label.textContent = box.getAttribute("data-stop");
      rec.classList.add("on");
      time.textContent = "0:00 / " + clock(max);
      ticker = setInterval(function () { time.textContent = clock(elapsed()) + " / " + clock(max); }, 500);
      stopper = setTimeout(function () { if (recorder) recorder.stop(); }, max * 1000);
    }).catch(function () {
      time.textContent = box.getAttribute("data-denied");
    });
  }

  rec.addEventListener("click", function () { if (recorder) recorder.stop(); else start(); });
  document.getElementById("voice-redo").addEventListener("click", start);
  document.getElementById("voice-del").addEventListener("click", clear);
})();

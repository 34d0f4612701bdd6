/* Offline intake: the inspector keeps recording deliveries with no signal.
   Each saved delivery goes into a queue in localStorage with its own idempotency key and the time it
   was saved; the queue is sent to /intake/offline/sync/ now if possible, otherwise when the signal
   returns (the "online" event, every 20 s, or the "send now" button). The server records a key once,
   so sending the queue twice, or from two tabs, never doubles a delivery. No framework, ~6 KB.
   Keys are made here, per delivery, never taken from the page: the service worker serves a cached copy
   of /intake/ when offline, and a key baked into that copy would be reused by every delivery recorded
   from it (the server then answered "already recorded" and the delivery existed nowhere). Each sent
   delivery stays listed with its receipt number so the inspector sees it arrived. */
(function () {
  "use strict";
  var form = document.getElementById("intake-form");
  if (!form) return;
  var KEY = "gs-intake-queue";
  var SENT = "gs-intake-sent";
  var SENT_KEPT = 30;  // the day's deliveries at a collection point, about
  var SYNC = "/intake/offline/sync/";
  var t = function (s) { return window.gettext ? window.gettext(s) : s; };

  if ("serviceWorker" in navigator) {
    navigator.serviceWorker.register("/intake/sw.js", {scope: "/intake/"}).catch(function () {});
  }
  var link = document.createElement("link");
  link.rel = "manifest"; link.href = "/intake/manifest.webmanifest";
  document.head.appendChild(link);

  function load() { try { return JSON.parse(localStorage.getItem(KEY)) || []; } catch (e) { return []; } }
  function save(q) { localStorage.setItem(KEY, JSON.stringify(q)); }
  function loadSent() { try { return JSON.parse(localStorage.getItem(SENT)) || []; } catch (e) { return []; } }
  function markSent(item, data) {
    var sent = loadSent().filter(function (x) { return x.key !== item.key; });
    sent.unshift({key: item.key, label: item.label, saved: item.saved, id: data.id, url: data.receipt_url});
    localStorage.setItem(SENT, JSON.stringify(sent.slice(0, SENT_KEPT)));
  }
  function newKey() {
    if (window.crypto && crypto.randomUUID) return crypto.randomUUID().replace(/-/g, "");
    var a = new Uint8Array(16); crypto.getRandomValues(a);
    return Array.prototype.map.call(a, function (b) { return ("0" + b.toString(16)).slice(-2); }).join("");
  }
  function csrf() {
    var m = document.cookie.match(/(?:^|;\s*)csrftoken=([^;]+)/);
    if (m) return decodeURIComponent(m[1]);
    var i = form.querySelector("[name=csrfmiddlewaretoken]");
    return i ? i.value : "";
  }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined) e.textContent = text;
    return e;
  }

  // The "waiting to send" list and the connection banner, above the form.
  var box = el("section", "card offline-queue"); box.id = "offline-queue"; box.hidden = true;
  var banner = el("p", "card warn offline-banner"); banner.id = "offline-banner"; banner.setAttribute("role", "status");
  var title = el("h2", "", t("等待发送"));
  var list = el("ul", "queue-list");
  var sendNow = el("button", "btn-secondary", t("现在发送")); sendNow.type = "button";
  box.appendChild(title); box.appendChild(list); box.appendChild(sendNow);
  var sentBox = el("section", "card offline-sent"); sentBox.id = "offline-sent"; sentBox.hidden = true;
  var sentTitle = el("h2", "", t("已发送"));
  var sentList = el("ul", "queue-list");
  sentBox.appendChild(sentTitle); sentBox.appendChild(sentList);
  var formError = el("div", "card bad-card"); formError.setAttribute("role", "alert"); formError.hidden = true;
  form.parentNode.insertBefore(banner, form);
  form.parentNode.insertBefore(box, form);
  form.parentNode.insertBefore(sentBox, form);
  form.insertBefore(formError, form.firstChild);

  function render() {
    var q = load();
    banner.hidden = navigator.onLine;
    banner.textContent = navigator.onLine ? "" : t("没有网络：录入的记录先存在手机上，有网时自动发送。");
    box.hidden = q.length === 0;
    title.textContent = t("等待发送") + " (" + q.length + ")";
    list.innerHTML = "";
    q.forEach(function (item) {
      var li = el("li", item.error ? "queue-item bad" : "queue-item");
      li.appendChild(el("b", "", item.label));
      li.appendChild(el("span", "muted", " · " + item.saved));
      if (item.error) {
        li.appendChild(el("span", "queue-error bad", " " + item.error + " "));
        var drop = el("button", "btn-secondary small", t("删除")); drop.type = "button";
        drop.addEventListener("click", function () {
          save(load().filter(function (x) { return x.key !== item.key; })); render();
        });
        li.appendChild(drop);
      } else {
        li.appendChild(el("span", "pill warn", t("未发送")));
      }
      list.appendChild(li);
    });
    var sent = loadSent();
    sentBox.hidden = sent.length === 0;
    sentList.innerHTML = "";
    sent.forEach(function (item) {
      var li = el("li", "queue-item sent");
      li.setAttribute("data-key", item.key);
      li.appendChild(el("b", "", item.label));
      li.appendChild(el("span", "muted", " · " + item.saved + " "));
      li.appendChild(el("span", "pill ok", t("已发送")));
      var no = el("a", "receipt-no", " " + t("回执号") + " " + item.id);
      no.href = item.url;
      li.appendChild(no);
      sentList.appendChild(li);
    });
  }

  function label(fd) {
    var acc = 0, rej = 0;
    fd.forEach(function (v, k) {
      var n = parseInt(v, 10) || 0;
      if (k.indexOf("accepted_") === 0) acc += n;
      if (k.indexOf("rejected_") === 0) rej += n;
    });
    return (fd.get("farmer") || "?") + " · " + t("合格") + " " + acc + " / " + t("不合格") + " " + rej;
  }

  function post(item) {
    var body = new URLSearchParams();
    item.fields.forEach(function (kv) { body.append(kv[0], kv[1]); });
    body.set("idempotency_key", item.key);
    body.set("received_at", item.received_at);
    body.set("csrfmiddlewaretoken", csrf());
    return fetch(SYNC + window.location.search, {
      method: "POST", body: body, credentials: "same-origin",
      headers: {"X-CSRFToken": csrf(), "Accept": "application/json"}
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (data) { return {status: r.status, data: data}; });
    });
  }

  var sending = false;
  function flush() {
    if (sending || !navigator.onLine) return Promise.resolve();
    var q = load().filter(function (x) { return !x.error; });
    if (!q.length) return Promise.resolve();
    sending = true;
    var chain = Promise.resolve();
    q.forEach(function (item) {
      chain = chain.then(function () {
        return post(item).then(function (res) {
          var rest = load();
          if (res.status === 200 || res.status === 201) {
            rest = rest.filter(function (x) { return x.key !== item.key; });
            markSent(item, res.data);
          } else if (res.status >= 400 && res.status < 500 && res.status !== 401 && res.status !== 403) {
            rest.forEach(function (x) {
              if (x.key === item.key) x.error = (res.data.error && res.data.error.message) || t("发送失败");
            });
          } else {
            throw new Error("retry later");  // 401/403/5xx: keep it, try again later
          }
          save(rest); render();
        });
      });
    });
    return chain.catch(function () {}).then(function () { sending = false; render(); });
  }

  form.addEventListener("submit", function (ev) {
    ev.preventDefault();
    formError.hidden = true;
    var fd = new FormData(form);
    var fields = [];
    fd.forEach(function (v, k) { if (k !== "csrfmiddlewaretoken" && k !== "idempotency_key") fields.push([k, v]); });
    var keyField = form.querySelector("[name=idempotency_key]");
    // The field holds a key made on this phone at load (below): a double tap before the receipt
    // shows resends the same key, and the server records it once.
    var item = {key: keyField.value || newKey(), fields: fields,
                received_at: new Date().toISOString(), saved: new Date().toTimeString().slice(0, 5), label: label(fd)};
    var next = function () {
      form.reset();
      form.querySelector("[name=idempotency_key]").value = newKey();
      form.dispatchEvent(new Event("input"));
    };
    if (!navigator.onLine) {
      var q = load(); q.push(item); save(q); next(); render();
      return;
    }
    post(item).then(function (res) {
      if (res.status === 200 || res.status === 201) {
        markSent(item, res.data);
        window.location.href = res.data.receipt_url;
      } else if (res.status >= 400 && res.status < 500 && res.status !== 401) {
        formError.textContent = (res.data.error && res.data.error.message) || t("保存失败");
        formError.hidden = false;
        formError.scrollIntoView();
      } else {
        throw new Error("server");
      }
    }).catch(function () {  // the signal dropped while sending: keep it on the phone
      var q = load(); q.push(item); save(q); next(); render();
    });
  });

  // Never the page's own key: this copy of the page may be the service worker's cached one.
  form.querySelector("[name=idempotency_key]").value = newKey();
  window.addEventListener("pageshow", function (ev) {  // back from the receipt (page restored as it was)
    if (ev.persisted) form.querySelector("[name=idempotency_key]").value = newKey();
  });
  sendNow.addEventListener("click", flush);
  window.addEventListener("online", function () { render(); flush(); });
  window.addEventListener("offline", render);
  setInterval(flush, 20000);
  render();
  flush();
})();

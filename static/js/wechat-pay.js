// Opens WeChat's own payment sheet inside the WeChat browser (JSAPI). The parameters, paySign included,
// were signed by the server with the merchant key; this script only hands them over. Whatever the sheet
// answers, the buyer goes back to the order page, which asks WeChat Pay (the answer here is not trusted).
(function () {
  "use strict";
  var button = document.getElementById("wxpay-start");
  var params = JSON.parse(document.getElementById("wxpay-jsapi").textContent);
  function back() { window.location.href = button.getAttribute("data-back"); }
  function pay() {
    if (typeof WeixinJSBridge === "undefined") {
      document.getElementById("wxpay-status").hidden = false;
      return;
    }
    WeixinJSBridge.invoke("getBrandWCPayRequest", params, function () { back(); });
  }
  button.addEventListener("click", function () {
    if (typeof WeixinJSBridge === "undefined" && document.addEventListener) {
      document.addEventListener("WeixinJSBridgeReady", pay, false);
    }
    pay();
  });
})();

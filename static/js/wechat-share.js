// Inside WeChat only (the server adds this script for WeChat's browser, with WeChat's JS-SDK before it):
// hands this page's share card — title, text, link, picture — to WeChat's "send to a friend" and
// "share to Moments" menus. The wx.config signature was made by the server for this page's address.
(function () {
  "use strict";
  var data = document.getElementById("wx-share");
  if (!data || typeof wx === "undefined") { return; }
  var share = JSON.parse(data.textContent);
  var c = share.config;
  wx.config({
    debug: false, appId: c.appId, timestamp: c.timestamp, nonceStr: c.nonceStr, signature: c.signature,
    jsApiList: ["updateAppMessageShareData", "updateTimelineShareData"]
  });
  wx.ready(function () {
    wx.updateAppMessageShareData({ title: share.title, desc: share.desc, link: share.link, imgUrl: share.imgUrl });
    // Moments shows a title only: the text goes unused there.
    wx.updateTimelineShareData({ title: share.title, link: share.link, imgUrl: share.imgUrl });
  });
})();

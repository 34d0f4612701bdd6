// The province → city → district picker. The page holds the provinces; choosing one fetches that province's
// cities and districts once (/shop/regions/<code>.json?v=<data version>, cached a month by the browser), so a
// weak signal carries a few KB per choice. Without this script the selects still work: 列出城市和区县 asks
// the server for the lists.
(function () {
  "use strict";
  var picker = document.querySelector(".region-picker");
  if (!picker || !window.fetch) return;
  var province = picker.querySelector("[name=province]");
  var city = picker.querySelector("[name=city]");
  var district = picker.querySelector("[name=district]");
  var refresh = picker.querySelector(".region-refresh");
  var tree = null;
  // Taken out, not just hidden: it comes first in the form, so Enter would press it instead of 保存.
  var mark = refresh && document.createComment("region-refresh");
  if (refresh) refresh.replaceWith(mark);

  function fill(select, rows) {
    var first = select.options[0];
    select.length = 0;
    select.add(first);
    rows.forEach(function (row) { select.add(new Option(row[1], row[0])); });
  }
  function cityRow() {
    if (!tree) return null;
    for (var i = 0; i < tree.cities.length; i++) if (tree.cities[i][0] === city.value) return tree.cities[i];
    return null;
  }
  function load(keep) {
    if (!province.value) { tree = null; fill(city, []); fill(district, []); return; }
    var wanted = province.value;
    fetch(picker.dataset.regions + wanted + ".json?v=" + picker.dataset.version)
      .then(function (r) { if (!r.ok) throw new Error(r.status); return r.json(); })
      .then(function (data) {
        if (province.value !== wanted) return;
        tree = data;
        var oldCity = city.value, oldDistrict = district.value;
        fill(city, data.cities);
        if (keep) city.value = oldCity;
        var row = cityRow();
        fill(district, row ? row[2] : []);
        if (keep) district.value = oldDistrict;
      })
      .catch(function () { if (mark && mark.parentNode) mark.replaceWith(refresh); });  // the server's way still works
  }
  province.addEventListener("change", function () { load(false); });
  city.addEventListener("change", function () { var row = cityRow(); fill(district, row ? row[2] : []); });
  if (province.value) load(true);
})();

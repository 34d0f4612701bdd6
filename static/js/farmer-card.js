// The member card's print button (no inline scripts: the content security policy forbids them).
document.querySelectorAll("[data-print]").forEach(function (b) {
  b.addEventListener("click", function () { window.print(); });
});

document.querySelectorAll("table.sortable").forEach(function (table) {
  table.querySelectorAll("th").forEach(function (th, column) {
    th.addEventListener("click", function () {
      var body = table.tBodies[0], rows = Array.prototype.slice.call(body.rows);
      var up = th.getAttribute("data-order") !== "up";
      th.setAttribute("data-order", up ? "up" : "down");
      function key(row) {
        var cell = row.cells[column], v = cell.getAttribute("data-v");
        return v === null ? cell.textContent : v;
      }
      rows.sort(function (a, b) {
        var x = key(a), y = key(b), nx = Number(x), ny = Number(y);
        var c = (x !== "" && y !== "" && !isNaN(nx) && !isNaN(ny))
          ? nx - ny : x.localeCompare(y, "sv");
        return up ? c : -c;
      });
      rows.forEach(function (row) { body.appendChild(row); });
    });
  });
});

// A link to a municipality's evidence (map, table) opens its <details>: without this it
// would scroll to a closed summary line. Clicks cover a link followed twice, when the hash
// does not change; hashchange covers the back button and a link from outside.
function openTarget(hash) {
  var target = hash.length > 1 && document.getElementById(hash.slice(1));
  if (target && target.tagName === "DETAILS") { target.open = true; }
}
document.addEventListener("click", function (event) {
  var link = event.target.closest && event.target.closest("a");
  var href = link && link.getAttribute("href");
  if (href && href.charAt(0) === "#") { openTarget(href); }
});
window.addEventListener("hashchange", function () { openTarget(location.hash); });
openTarget(location.hash);

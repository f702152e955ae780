// Progressive enhancement only: the pages work without it.
document.addEventListener("DOMContentLoaded", function () {
  // After a failed submit, move focus to the error summary so keyboard and screen-reader
  // users hear first what to correct.
  var summary = document.querySelector(".error-summary");
  if (summary) {
    summary.focus();
  }
  // On a narrow screen a wide table scrolls inside its own box; let the keyboard scroll it.
  // Checked again when the window changes size (a phone turned, a window narrowed).
  function markScrollingTables() {
    document.querySelectorAll("table").forEach(function (table) {
      if (table.scrollWidth > table.clientWidth + 1) {
        var caption = table.querySelector("caption");
        table.setAttribute("tabindex", "0");
        table.setAttribute("role", "region");
        table.setAttribute("aria-label", caption ? caption.textContent.trim() : "");
      }
    });
  }
  markScrollingTables();
  window.addEventListener("resize", markScrollingTables);
});

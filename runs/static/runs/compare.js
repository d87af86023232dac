// The compare page: find a key, or show only the keys whose values differ. The table itself is
// rendered on the server; this only hides rows.
(function () {
  "use strict";
  const search = document.getElementById("compare-search");
  const onlyDiff = document.getElementById("compare-only-diff");
  if (!search || !onlyDiff) return;
  function apply() {
    const query = search.value.trim().toLowerCase();
    for (const row of document.querySelectorAll(".compare-table tbody tr")) {
      row.hidden = (query && !row.dataset.key.includes(query)) || (onlyDiff.checked && !row.classList.contains("differs"));
    }
  }
  search.addEventListener("input", apply);
  onlyDiff.addEventListener("change", apply);
})();

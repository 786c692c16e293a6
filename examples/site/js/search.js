// Client-side search over data/search-index.json, which the site generator writes.
(function () {
  "use strict";

  var form = document.getElementById("search-form");
  var input = document.getElementById("search-input");
  var results = document.getElementById("search-results");
  if (!form || !input || !results) return;

  var indexPromise = fetch(form.getAttribute("data-index"))
    .then(function (response) { return response.json(); })
    .catch(function () { return []; });

  function render(entries, query) {
    results.innerHTML = "";
    if (!query) return;
    if (entries.length === 0) {
      results.innerHTML = "<li>No pages match <strong></strong>.</li>";
      results.querySelector("strong").textContent = query;
      return;
    }
    entries.slice(0, 25).forEach(function (entry) {
      var item = document.createElement("li");
      var link = document.createElement("a");
      link.href = entry.url;
      link.textContent = entry.title;
      var summary = document.createElement("p");
      summary.className = "meta";
      summary.textContent = entry.description;
      item.appendChild(link);
      item.appendChild(summary);
      results.appendChild(item);
    });
  }

  function search() {
    var query = input.value.trim().toLowerCase();
    indexPromise.then(function (index) {
      render(index.filter(function (entry) {
        return (entry.title + " " + entry.description).toLowerCase().indexOf(query) !== -1;
      }), query);
    });
  }

  form.addEventListener("submit", function (event) { event.preventDefault(); search(); });
  input.addEventListener("input", search);
  var initial = new URLSearchParams(window.location.search).get("q");
  if (initial) { input.value = initial; search(); }
})();

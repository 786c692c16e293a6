// Brightwater Labs: small progressive enhancements shared by every page.
(function () {
  "use strict";

  // Collapsible main navigation on narrow screens.
  var toggle = document.querySelector(".nav-toggle");
  var nav = document.getElementById("site-nav");
  if (toggle && nav) {
    toggle.addEventListener("click", function () {
      var open = nav.classList.toggle("open");
      toggle.setAttribute("aria-expanded", String(open));
    });
  }

  // Open links to other sites in a new tab, and say so to screen readers.
  document.querySelectorAll('a[href^="http"]').forEach(function (link) {
    if (link.host !== window.location.host) {
      link.target = "_blank";
      link.rel = "noopener";
      link.setAttribute("aria-label", link.textContent + " (opens in a new tab)");
    }
  });
})();

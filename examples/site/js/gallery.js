// A minimal lightbox for the gallery: click a thumbnail to view it large, Escape or click to close.
(function () {
  "use strict";

  var box = document.getElementById("lightbox");
  if (!box) return;
  var image = box.querySelector("img");

  document.querySelectorAll(".gallery a").forEach(function (link) {
    link.addEventListener("click", function (event) {
      event.preventDefault();
      image.src = link.href;
      image.alt = link.getAttribute("data-caption") || "";
      box.hidden = false;
    });
  });

  function close() { box.hidden = true; image.removeAttribute("src"); }
  box.addEventListener("click", close);
  document.addEventListener("keydown", function (event) { if (event.key === "Escape") close(); });
})();

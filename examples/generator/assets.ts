// Hand-written static assets of the sample site: stylesheets, scripts and SVG icons. They are plain
// strings here (rather than files copied from elsewhere) so the generator stays the single source of
// truth for everything under examples/site/.
import { BRAND } from "./art.ts";

export const MAIN_CSS = `/* Brightwater Labs: base styles shared by every page. */
:root {
  --deep: ${BRAND.deep};
  --sea: ${BRAND.sea};
  --foam: ${BRAND.foam};
  --sand: ${BRAND.sand};
  --ink: #1c2530;
  --muted: #5b6b7a;
  --radius: 10px;
  --max: 68rem;
}

*, *::before, *::after { box-sizing: border-box; }

body {
  margin: 0;
  font: 16px/1.6 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
  color: var(--ink);
  background: #fff;
}

a { color: var(--sea); }
a:hover { color: var(--deep); }
img { max-width: 100%; height: auto; }

.site-header {
  display: flex;
  align-items: center;
  gap: 1.5rem;
  padding: 0.75rem max(1rem, calc((100% - var(--max)) / 2));
  background: var(--deep);
}
.site-header a { color: #fff; text-decoration: none; }
.brand { display: flex; align-items: center; gap: 0.5rem; font-weight: 700; }
.site-header nav ul { display: flex; gap: 1.25rem; margin: 0; padding: 0; list-style: none; }
.site-header nav a[aria-current="page"] { border-bottom: 2px solid var(--sand); }
.search-link { margin-left: auto; filter: invert(1); }
.nav-toggle { display: none; background: none; border: 0; filter: invert(1); }

main { max-width: var(--max); margin: 0 auto; padding: 1.5rem 1rem 3rem; }
.breadcrumbs { font-size: 0.875rem; color: var(--muted); margin-bottom: 1rem; }

.hero {
  padding: 4rem 2rem;
  border-radius: var(--radius);
  color: #fff;
  background: var(--deep) url("../images/hero.jpg") center / cover no-repeat;
}
.hero h1 { font-size: 2.5rem; margin-top: 0; }

.button {
  display: inline-block;
  padding: 0.6rem 1.2rem;
  border-radius: var(--radius);
  background: var(--sand);
  color: var(--ink);
  font-weight: 600;
  text-decoration: none;
}

.cards {
  display: grid;
  grid-template-columns: repeat(auto-fill, minmax(14rem, 1fr));
  gap: 1.25rem;
  padding: 0;
  list-style: none;
}
.card { padding: 1.25rem; border: 1px solid #dde5ea; border-radius: var(--radius); }
.card img { display: block; margin-bottom: 0.5rem; }
.card h3 { margin: 0 0 0.25rem; }

.meta { color: var(--muted); font-size: 0.875rem; }
.icon { vertical-align: -0.2em; }

table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; padding: 0.4rem 0.6rem; border-bottom: 1px solid #dde5ea; }
pre, code { font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 0.9em; }
pre { padding: 1rem; overflow-x: auto; background: #f4f7f9; border-radius: var(--radius); }

.site-footer { padding: 2rem max(1rem, calc((100% - var(--max)) / 2)); background: var(--foam); font-size: 0.9rem; }
.footer-columns { display: flex; flex-wrap: wrap; gap: 3rem; }
.site-footer h2 { font-size: 1rem; }
.site-footer ul { margin: 0; padding: 0; list-style: none; }
.legal { color: var(--muted); margin-top: 2rem; }

@media (max-width: 44rem) {
  .nav-toggle { display: block; }
  .site-header { flex-wrap: wrap; }
  .site-header nav { display: none; width: 100%; }
  .site-header nav.open { display: block; }
  .site-header nav ul { flex-direction: column; gap: 0.5rem; }
}
`;

export const BLOG_CSS = `/* Blog listings and articles. */
.post-list { padding: 0; list-style: none; }
.post-list li { padding: 0.75rem 0; border-bottom: 1px solid #dde5ea; }
.post-list time { display: inline-block; min-width: 7.5rem; color: var(--muted); }

article.post { max-width: 44rem; }
article.post header { margin-bottom: 1.5rem; }
article.post figure { margin: 1.5rem 0; }
article.post figcaption { color: var(--muted); font-size: 0.875rem; }
.author { display: flex; align-items: center; gap: 0.75rem; }
.author img { border-radius: 50%; }

.post-nav { display: flex; justify-content: space-between; gap: 1rem; margin-top: 3rem; }
.menu-card { padding: 1rem 1.5rem; background: #fffaf0; border: 1px dashed var(--sand); border-radius: var(--radius); }
.menu-card dt { font-weight: 600; }
.menu-card dd { margin: 0 0 0.75rem; }
`;

export const DOCS_CSS = `/* Documentation: sidebar layout, API tables and call-outs. */
.docs { display: grid; grid-template-columns: 15rem 1fr; gap: 2.5rem; }
.docs-sidebar { font-size: 0.9rem; }
.docs-sidebar ul { padding-left: 1rem; }
.docs-sidebar a[aria-current="page"] { font-weight: 700; color: var(--ink); }

.method {
  display: inline-block;
  min-width: 4rem;
  padding: 0.1rem 0.5rem;
  border-radius: 4px;
  color: #fff;
  font: 700 0.8rem/1.6 ui-monospace, monospace;
  text-align: center;
}
.method-get { background: #2d6a4f; }
.method-post { background: var(--sea); }
.method-patch { background: #b08400; }
.method-delete { background: #b23a48; }

.note { padding: 0.75rem 1rem; border-left: 4px solid var(--sand); background: #fffaf0; }
.note::before { content: url("../images/icons/book.svg"); margin-right: 0.5rem; vertical-align: middle; }

@media (max-width: 44rem) {
  .docs { grid-template-columns: 1fr; }
}
`;

export const GALLERY_CSS = `/* The photo gallery grid and its lightbox. */
.gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(10rem, 1fr)); \
gap: 0.75rem; padding: 0; list-style: none; }
.gallery a { display: block; }
.gallery img { width: 100%; aspect-ratio: 3 / 2; object-fit: cover; border-radius: 6px; image-rendering: pixelated; }
.gallery figcaption { font-size: 0.8rem; color: var(--muted); overflow-wrap: anywhere; }

.lightbox { position: fixed; inset: 0; display: grid; place-items: center; background: rgb(0 0 0 / 0.85); }
.lightbox[hidden] { display: none; }
.lightbox img { max-width: 90vw; max-height: 85vh; image-rendering: pixelated; }
.lightbox button { position: absolute; top: 1rem; right: 1rem; background: none; border: 0; filter: invert(1); }
`;

export const PRINT_CSS = `/* Print: drop navigation and chrome, show link targets. */
.site-header, .site-footer, .nav-toggle, .post-nav, .docs-sidebar { display: none; }
main { max-width: none; padding: 0; }
a[href^="http"]::after { content: " (" attr(href) ")"; font-size: 0.8em; }
pre { white-space: pre-wrap; border: 1px solid #ccc; }
`;

export const MAIN_JS = `// Brightwater Labs: small progressive enhancements shared by every page.
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
`;

export const SEARCH_JS = `// Client-side search over data/search-index.json, which the site generator writes.
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
`;

export const GALLERY_JS = `\
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
`;

/** 24x24 stroke icons, one SVG per file, in the spirit of common open icon sets (drawn from scratch here). */
const ICON_SHAPES: Record<string, string> = {
  menu: '<path d="M4 6h16M4 12h16M4 18h16"/>',
  search: '<circle cx="11" cy="11" r="7"/><path d="M20 20l-4-4"/>',
  close: '<path d="M6 6l12 12M18 6L6 18"/>',
  "arrow-right": '<path d="M5 12h14M13 6l6 6-6 6"/>',
  check: '<path d="M5 13l4 4L19 7"/>',
  download: '<path d="M12 4v11M7 10l5 5 5-5M5 20h14"/>',
  external: '<path d="M14 4h6v6M20 4l-9 9M18 14v6H4V6h6"/>',
  mail: '<rect x="3" y="5" width="18" height="14" rx="2"/><path d="M3 7l9 6 9-6"/>',
  phone: '<path d="M5 4h4l2 5-2.5 1.5a11 11 0 0 0 5 5L15 13l5 2v4a2 2 0 0 1-2 2A16 16 0 0 1 3 6a2 2 0 0 1 2-2z"/>',
  "map-pin": '<path d="M12 21s-7-6.5-7-12a7 7 0 0 1 14 0c0 5.5-7 12-7 12z"/><circle cx="12" cy="9" r="2.5"/>',
  calendar: '<rect x="3" y="5" width="18" height="16" rx="2"/><path d="M3 10h18M8 3v4M16 3v4"/>',
  clock: '<circle cx="12" cy="12" r="9"/><path d="M12 7v5l3 3"/>',
  user: '<circle cx="12" cy="8" r="4"/><path d="M4 21a8 8 0 0 1 16 0"/>',
  users: '<circle cx="9" cy="8" r="3.5"/><path d="M2 20a7 7 0 0 1 14 0M16 4.5a3.5 3.5 0 0 1 0 7M18 14a7 7 0 0 1 4 6"/>',
  book: '<path d="M4 5a2 2 0 0 1 2-2h14v16H6a2 2 0 0 0-2 2zM4 5v16"/>',
  code: '<path d="M8 7l-5 5 5 5M16 7l5 5-5 5M14 4l-4 16"/>',
  terminal: '<rect x="3" y="4" width="18" height="16" rx="2"/><path d="M7 9l3 3-3 3M12 15h5"/>',
  cloud: '<path d="M7 18a5 5 0 0 1-.5-10A6 6 0 0 1 18 9a4.5 4.5 0 0 1-.5 9z"/>',
  database:
    '<ellipse cx="12" cy="5" rx="8" ry="3"/>' +
    '<path d="M4 5v14c0 1.7 3.6 3 8 3s8-1.3 8-3V5M4 12c0 1.7 3.6 3 8 3s8-1.3 8-3"/>',
  lock: '<rect x="4" y="10" width="16" height="11" rx="2"/><path d="M8 10V7a4 4 0 0 1 8 0v3"/>',
};

export function iconSvgs(): [string, string][] {
  return Object.entries(ICON_SHAPES).map(([name, shape]) => [
    name,
    `<svg xmlns="http://www.w3.org/2000/svg" width="24" height="24" viewBox="0 0 24 24" fill="none" ` +
      `stroke="currentColor" stroke-width="2" stroke-linecap="round" stroke-linejoin="round">${shape}</svg>\n`,
  ]);
}

export const LOGO_SVG = `<svg xmlns="http://www.w3.org/2000/svg" width="64" height="64" viewBox="0 0 64 64">
  <title>Brightwater Labs</title>
  <circle cx="32" cy="32" r="31" fill="${BRAND.deep}"/>
  <path d="M1 36c8-6 14-10 22-6s14 6 22 0 12-6 18-2v4a31 31 0 0 1-62 0z" fill="${BRAND.sea}"/>
  <path d="M2 35c8-6 14-10 21-6s14 6 22 0 12-6 18-2" fill="none" \
stroke="${BRAND.foam}" stroke-width="4" stroke-linecap="round"/>
</svg>
`;

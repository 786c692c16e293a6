// The remaining HTML pages: home, products, about (with team avatars), contact, search and 404.
import { productIcon, sprite } from "./art.ts";
import { blogPosts, formatDate } from "./blog.ts";
import { PRODUCTS, type Product } from "./catalog.ts";
import { galleryImages } from "./gallery.ts";
import { encodePng } from "./images.ts";
import { SITE_NAME, escapeHtml, type Href, type Site } from "./site.ts";
import { COMPANY_SENTENCES, PRODUCT_SENTENCES, TEAM, paragraph, randomFor } from "./text.ts";

export const productPath = (product: Product): string => `products/${product.slug}.html`;
const productImage = (product: Product): string => `images/products/${product.slug}.png`;

function icon(href: Href, name: string): string {
  return `<img class="icon" src="${href(`images/icons/${name}.svg`)}" alt="" width="24" height="24">`;
}

function addHome(site: Site): void {
  const random = randomFor("index.html");
  const latest = blogPosts().slice(0, 5);
  const photos = galleryImages().slice(0, 4);
  const features: [string, string, string][] = [
    ["cloud", "Remote cache", "Every build output is stored once and shared with everyone."],
    ["database", "Any storage", "Local disk, S3-compatible object storage or Google Cloud Storage."],
    ["lock", "Secure by default", "TLS, single sign-on and scoped, expiring tokens."],
    ["terminal", "Works with any build", "Native protocols for Bazel and Gradle, a wrapper for everything else."],
    ["users", "Built for teams", "Quotas, replicas and a dashboard that shows who benefits."],
    ["code", "Automate it", "A complete HTTP API and a Terraform provider."],
  ];
  site.page("index.html", (href) => ({
    title: "Build caching for busy teams",
    description: "Tidepool stores build outputs once and serves them to every developer and CI runner.",
    section: "home",
    body: `
<section class="hero">
  <h1>Builds that never repeat themselves</h1>
  <p>${paragraph(random, PRODUCT_SENTENCES, 2, 2)}</p>
  <p><a class="button" href="${href("docs/getting-started/quickstart.html")}">Start in ten minutes</a>
  <a href="${href("products/index.html")}">Compare editions</a></p>
</section>
<h2>Why Tidepool</h2>
<ul class="cards">
${features
  .map(([name, title, text]) => `  <li class="card">${icon(href, name)}<h3>${title}</h3><p>${text}</p></li>`)
  .join("\n")}
</ul>
<h2>Latest from the blog</h2>
<ul>
${latest
  .map(
    (p) => `  <li><a href="${href(p.path)}">${escapeHtml(p.title)}</a> <span class="meta">${formatDate(p)}</span></li>`,
  )
  .join("\n")}
</ul>
<h2>Downloads</h2>
<ul>
  <li>${icon(href, "download")} <a href="${href("downloads/c++ guide.pdf")}">Tidepool for C++ teams</a> (PDF)</li>
  <li>${icon(href, "download")} <a href="${href("downloads/brochure-2024.pdf")}">Product brochure 2024</a> (PDF)</li>
  <li>${icon(href, "download")} \
<a href="${href("downloads/quick-reference.pdf")}">Command quick reference</a> (PDF)</li>
</ul>
<h2>From the <a href="${href("gallery.html")}">gallery</a></h2>
<p>\
${photos
  .map(
    (p) =>
      `<a href="${href("gallery.html")}">` +
      `<img src="${href(p.path)}" alt="${escapeHtml(p.caption)}" width="160" height="100"></a>`,
  )
  .join("\n")}</p>`,
  }));
}

function addProducts(site: Site): void {
  for (const product of PRODUCTS) {
    site.add(productImage(product), encodePng(productIcon(product.colour, PRODUCTS.indexOf(product))));
  }
  const cards = (href: Href, kind: Product["kind"]): string =>
    PRODUCTS.filter((p) => p.kind === kind)
      .map(
        (p) =>
          `  <li class="card"><img src="${href(productImage(p))}" alt="" width="48" height="48">` +
          `<h3><a href="${href(productPath(p))}">${escapeHtml(p.name)}</a></h3><p>${escapeHtml(p.summary)}</p></li>`,
      )
      .join("\n");
  site.page("products/index.html", (href) => ({
    title: "Products",
    description: "Tidepool editions and integrations.",
    section: "products",
    body: `<h1>Products</h1>
<h2>Editions</h2>
<ul class="cards">
${cards(href, "edition")}
</ul>
<h2>Integrations</h2>
<p>Machine-readable: <a href="${href("data/products.json")}">products.json</a>.</p>
<ul class="cards">
${cards(href, "integration")}
</ul>`,
  }));

  for (const product of PRODUCTS) {
    const random = randomFor(productPath(product));
    const related = random.sample(
      PRODUCTS.filter((p) => p !== product && p.kind === product.kind),
      3,
    );
    site.page(productPath(product), (href) => ({
      title: product.name,
      description: product.summary,
      section: "products",
      crumbs: [["Products", "products/index.html"]],
      body: `\
<h1><img src="${href(productImage(product))}" alt="" width="64" height="64"> ${escapeHtml(product.name)}</h1>
<p class="lead">${escapeHtml(product.summary)}</p>
<p>${paragraph(random, PRODUCT_SENTENCES)}</p>
<ul>
${random
  .sample(PRODUCT_SENTENCES, 3)
  .map((s) => `  <li>${icon(href, "check")} ${escapeHtml(s)}</li>`)
  .join("\n")}
</ul>
<p><a class="button" href="${href("docs/getting-started/installation.html")}">Install</a>
<a href="${href("contact.html")}">Talk to us</a></p>
<h2>Related</h2>
<ul>
${related.map((p) => `  <li><a href="${href(productPath(p))}">${escapeHtml(p.name)}</a></li>`).join("\n")}
</ul>`,
    }));
  }
}

function addAbout(site: Site): void {
  for (const member of TEAM) {
    site.add(`images/team/${member.slug}.png`, encodePng(sprite(randomFor(member.slug), 6, 8, "#e8f4f8")));
  }
  const random = randomFor("about");
  site.page("about/index.html", (href) => ({
    title: "About us",
    description: `${SITE_NAME} builds Tidepool.`,
    section: "about",
    body: `<h1>About ${SITE_NAME}</h1>
<p>${paragraph(random, COMPANY_SENTENCES)}</p>
<p>${paragraph(random, PRODUCT_SENTENCES, 2, 3)}</p>
<ul>
  <li>${icon(href, "users")} <a href="${href("about/team/index.html")}">Meet the team</a></li>
  <li>${icon(href, "arrow-right")} <a href="${href("about/careers.html")}">Careers</a></li>
  <li>${icon(href, "external")} <a href="${href("about/press.html")}">Press kit</a></li>
</ul>`,
  }));

  site.page("about/team/index.html", (href) => ({
    title: "Team",
    description: "The people behind Tidepool.",
    section: "about",
    crumbs: [["About", "about/index.html"]],
    body: `<h1>Team</h1>
<ul class="cards">
${TEAM.map(
  (m) =>
    `  <li class="card" id="${m.slug}"><img src="${href(`images/team/${m.slug}.png`)}" alt="" width="48" height="48">` +
    `<h3>${escapeHtml(m.name)}</h3><p class="meta">${escapeHtml(m.role)}</p><p>${escapeHtml(m.bio)}</p></li>`,
).join("\n")}
</ul>`,
  }));

  const openings = ["Senior Engineer, Storage", "Developer Advocate (Japan)", "Support Engineer"];
  site.page("about/careers.html", (_href) => ({
    title: "Careers",
    description: `Work at ${SITE_NAME}.`,
    section: "about",
    crumbs: [["About", "about/index.html"]],
    body: `<h1>Careers</h1>
<p>${paragraph(random, COMPANY_SENTENCES, 2, 3)}</p>
<h2>Open positions</h2>
<ul>
${openings.map((o) => `  <li>${escapeHtml(o)}: remote or Zurich</li>`).join("\n")}
</ul>
<p>Send a short note and a link to something you built to <a href="mailto:jobs@example.com">jobs@example.com</a>.</p>`,
  }));

  site.page("about/press.html", (href) => ({
    title: "Press kit",
    description: "Logos, product images and facts about the company.",
    section: "about",
    crumbs: [["About", "about/index.html"]],
    body: `<h1>Press kit</h1>
<p><img src="${href("images/og-image.png")}" alt="${SITE_NAME} social card" width="320" height="168"></p>
<ul>
  <li><a href="${href("images/logo.svg")}">Logo (SVG)</a> and <a href="${href("images/logo.png")}">logo (PNG)</a></li>
  <li><a href="${href("downloads/brochure-2024.pdf")}">Brochure 2024</a> (PDF)</li>
</ul>
<p>Press enquiries: <a href="mailto:press@example.com">press@example.com</a>.</p>`,
  }));
}

function addContact(site: Site): void {
  site.page("contact.html", (href) => ({
    title: "Contact",
    description: `How to reach ${SITE_NAME}.`,
    section: "contact",
    body: `<h1>Contact</h1>
<ul>
  <li>${icon(href, "mail")} <a href="mailto:hello@example.com">hello@example.com</a></li>
  <li>${icon(href, "phone")} <a href="tel:+41440000000">+41 44 000 00 00</a></li>
  <li>${icon(href, "map-pin")} Seestrasse 1, 8002 Zürich, Switzerland (café on the ground floor)</li>
  <li>${icon(href, "clock")} Monday to Friday, 9:00 to 17:00 CET</li>
</ul>
<form action="#" method="post">
  <p><label>Your email <input type="email" name="email" required></label></p>
  <p><label>Message <textarea name="message" rows="5" required></textarea></label></p>
  <p><button class="button" type="submit">Send</button></p>
</form>`,
  }));
}

function addSearchAnd404(site: Site): void {
  site.page("search.html", (href) => ({
    title: "Search",
    description: "Search the Brightwater Labs site.",
    section: "none",
    scripts: ["js/search.js"],
    body: `<h1>Search</h1>
<form id="search-form" role="search" data-index="${href("data/search-index.json")}">
  <label for="search-input">Search the site</label>
  <input id="search-input" type="search" name="q" autocomplete="off">
  <button class="button" type="submit">Search</button>
</form>
<ul id="search-results"></ul>`,
  }));

  site.page(
    "404.html",
    (href) => ({
      title: "Page not found",
      description: "The page you were looking for does not exist.",
      section: "none",
      body: `<h1>Page not found</h1>
<p>Sorry, there is nothing at this address. It may have moved when we reorganised the docs.</p>
<ul>
  <li><a href="${href("index.html")}">Home page</a></li>
  <li><a href="${href("docs/index.html")}">Documentation</a></li>
  <li><a href="${href("search.html")}">Search the site</a></li>
</ul>`,
    }),
    { rootRelative: true },
  );
}

export function addPages(site: Site): void {
  addHome(site);
  addProducts(site);
  addAbout(site);
  addContact(site);
  addSearchAnd404(site);
}

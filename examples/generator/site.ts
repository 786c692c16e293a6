// The in-memory site under construction: files keyed by their site path, the shared page layout, and a
// link checker. Pages are collected first and written at the end so the checker can prove that every
// internal link and image reference points at a file that exists before anything touches the disk.
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, posix } from "node:path";

export const SITE_NAME = "Brightwater Labs";
/** Only used where a format demands absolute URLs (sitemap, feed, robots.txt). A reserved domain on purpose. */
export const BASE_URL = "https://www.example.com/";

export type Section = "home" | "products" | "docs" | "blog" | "gallery" | "about" | "contact" | "none";

/** Builds an href from the current page to another site path. */
export type Href = (target: string) => string;

export interface Page {
  title: string;
  description: string;
  section: Section;
  /** Page-specific stylesheets (site paths) loaded after css/main.css. */
  styles?: string[];
  /** Page-specific scripts (site paths) loaded after js/main.js. */
  scripts?: string[];
  /** Breadcrumb trail above the content: [label, site path] pairs, the current page excluded. */
  crumbs?: [string, string][];
  body: string;
}

const NAV: [Section, string, string][] = [
  ["products", "Products", "products/index.html"],
  ["docs", "Docs", "docs/index.html"],
  ["blog", "Blog", "blog/index.html"],
  ["gallery", "Gallery", "gallery.html"],
  ["about", "About", "about/index.html"],
  ["contact", "Contact", "contact.html"],
];

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * Percent-encodes a site path for use in a URL, one segment at a time so the slashes survive.
 * encodeURIComponent also encodes "+" (as %2B): S3 reads a literal "+" in a URL path as a space,
 * so "c++ guide.pdf" must be linked as "c%2B%2B%20guide.pdf".
 */
export function encodePath(path: string): string {
  return path
    .split("/")
    .map((segment) => (segment === ".." || segment === "." ? segment : encodeURIComponent(segment)))
    .join("/");
}

/**
 * An href from `fromPage` to `target` ("docs/index.html#install"). Links are relative, and name index.html
 * explicitly, so the site works from any prefix and from file:// as well as behind a web server.
 */
export function hrefFrom(fromPage: string): Href {
  return (target) => {
    const [path = "", fragment] = target.split("#");
    const relative = posix.relative(posix.dirname(fromPage), path) || posix.basename(path);
    return encodePath(relative) + (fragment === undefined ? "" : `#${fragment}`);
  };
}

/**
 * Root-relative hrefs ("/css/main.css"), for the one page that is served at URLs other than its own:
 * the 404 page is returned for any missing path, so relative links from it would resolve against that path.
 */
export const hrefFromRoot: Href = (target) => `/${encodePath(target)}`;

export class Site {
  private readonly files = new Map<string, Buffer>();

  /** Adds a file. Names are NFC-normalised so "café" is the same bytes whoever runs the generator. */
  add(path: string, content: string | Buffer): void {
    const key = path.normalize("NFC");
    if (this.files.has(key)) throw new Error(`duplicate file in sample site: ${key}`);
    this.files.set(key, typeof content === "string" ? Buffer.from(content, "utf8") : content);
  }

  /**
   * Adds an HTML page wrapped in the shared layout. `build` gets an href helper: relative to the page,
   * or root-relative when `rootRelative` is set (see hrefFromRoot).
   */
  page(path: string, build: (href: Href) => Page, options: { rootRelative?: boolean } = {}): void {
    const href = options.rootRelative ? hrefFromRoot : hrefFrom(path);
    this.add(path, renderLayout(build(href), href));
  }

  has(path: string): boolean {
    return this.files.has(path);
  }

  get(path: string): Buffer | undefined {
    return this.files.get(path);
  }

  /** Site paths, sorted so that everything derived from the list (sitemap, search index) is stable. */
  paths(): string[] {
    return [...this.files.keys()].sort();
  }

  /**
   * Every relative href/src in HTML and url() in CSS must resolve to a file of the site. Links to a
   * directory are rejected too: several directories deliberately have no index.html.
   */
  brokenLinks(): string[] {
    const broken: string[] = [];
    for (const [path, content] of this.files) {
      if (!/\.(html|css)$/.test(path)) continue;
      const text = content.toString("utf8");
      for (const match of text.matchAll(/(?:href|src)="([^"]*)"|url\(([^)]*)\)/g)) {
        const link = (match[1] ?? match[2] ?? "").replace(/^['"]|['"]$/g, "");
        if (link === "" || link.startsWith("#") || /^[a-z][a-z0-9+.-]*:/i.test(link) || link.startsWith("//")) continue;
        const linked = decodeURIComponent(link.split(/[#?]/)[0] ?? "");
        const target = linked.startsWith("/")
          ? linked.slice(1)
          : posix.normalize(posix.join(posix.dirname(path), linked));
        if (!this.files.has(target)) broken.push(`${path} -> ${link}`);
      }
    }
    return broken.sort();
  }

  /** Replaces `root` with the site's files. */
  writeTo(root: string): void {
    rmSync(root, { recursive: true, force: true });
    for (const path of this.paths()) {
      const file = join(root, ...path.split("/"));
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, this.files.get(path) ?? Buffer.alloc(0));
    }
  }
}

function renderNav(current: Section, href: Href): string {
  const items = NAV.map(([section, label, target]) => {
    const currentAttr = section === current ? ' aria-current="page"' : "";
    return `      <li><a href="${href(target)}"${currentAttr}>${label}</a></li>`;
  });
  return items.join("\n");
}

function renderCrumbs(page: Page, href: Href): string {
  if (!page.crumbs || page.crumbs.length === 0) return "";
  const links = page.crumbs.map(([label, target]) => `<a href="${href(target)}">${escapeHtml(label)}</a>`);
  const trail = [...links, `<span>${escapeHtml(page.title)}</span>`].join(" / ");
  return `  <nav class="breadcrumbs" aria-label="Breadcrumb">${trail}</nav>\n`;
}

function renderFooter(href: Href): string {
  const column = (heading: string, links: [string, string][]): string =>
    `    <div>\n      <h2>${heading}</h2>\n      <ul>\n` +
    links.map(([label, target]) => `        <li><a href="${href(target)}">${escapeHtml(label)}</a></li>\n`).join("") +
    `      </ul>\n    </div>\n`;
  return (
    `<footer class="site-footer">\n  <div class="footer-columns">\n` +
    column("Product", [
      ["Editions & integrations", "products/index.html"],
      ["Tidepool for C++ (PDF)", "downloads/c++ guide.pdf"],
      ["Quick reference (PDF)", "downloads/quick-reference.pdf"],
      ["Release notes 2024", "docs/release notes 2024.html"],
    ]) +
    column("Resources", [
      ["Documentation", "docs/index.html"],
      ["API reference", "docs/api/index.html"],
      ["Blog", "blog/index.html"],
      ["Search", "search.html"],
    ]) +
    column("Company", [
      ["About us", "about/index.html"],
      ["Team", "about/team/index.html"],
      ["Careers", "about/careers.html"],
      ["Contact", "contact.html"],
    ]) +
    `  </div>\n  <p class="legal">&copy; 2024 ${SITE_NAME}. Sample content for the sitesync demo; ` +
    `Brightwater Labs and Tidepool are fictional.</p>\n</footer>\n`
  );
}

function renderLayout(page: Page, href: Href): string {
  const styles = ["css/main.css", ...(page.styles ?? [])]
    .map((css) => `  <link rel="stylesheet" href="${href(css)}">\n`)
    .join("");
  const scripts = ["js/main.js", ...(page.scripts ?? [])]
    .map((js) => `<script src="${href(js)}" defer></script>\n`)
    .join("");
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <meta name="viewport" content="width=device-width, initial-scale=1">
  <title>${escapeHtml(page.title)} · ${SITE_NAME}</title>
  <meta name="description" content="${escapeHtml(page.description)}">
  <link rel="icon" href="${href("favicon.ico")}">
${styles}  <link rel="stylesheet" href="${href("css/print.css")}" media="print">
</head>
<body class="section-${page.section}">
<header class="site-header">
  <a class="brand" href="${href("index.html")}">\
<img src="${href("images/logo.svg")}" alt="" width="32" height="32"> ${SITE_NAME}</a>
  <button class="nav-toggle" type="button" aria-controls="site-nav" aria-expanded="false">\
<img src="${href("images/icons/menu.svg")}" alt="Menu" width="20" height="20"></button>
  <nav id="site-nav" aria-label="Main">
    <ul>
${renderNav(page.section, href)}
    </ul>
  </nav>
  <a class="search-link" href="${href("search.html")}">\
<img src="${href("images/icons/search.svg")}" alt="Search" width="20" height="20"></a>
</header>
<main id="content">
${renderCrumbs(page, href)}${page.body.trim()}
</main>
${renderFooter(href)}${scripts}</body>
</html>
`;
}

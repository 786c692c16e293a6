// Regenerates examples/site/, the sample static site that `npm start` publishes as a demo.
//
//   node examples/generate-site.ts
//
// The site is a few hundred small files shaped like a real company site: nested folders, HTML pages that
// link to each other, CSS, JavaScript, images in every common format, JSON, XML, plain text and PDFs.
// It also carries the awkward cases a publisher has to get right: names with spaces, "+" and non-ASCII
// characters, an upper-case extension, and folders without an index.html.
//
// Output is deterministic (seeded randomness, no clock, no compressed data whose bytes depend on the
// zlib build), so running it again must leave `git status` clean. The generated files are committed;
// this script is how they are changed.
import { createHash } from "node:crypto";
import { basename, join } from "node:path";
import { logo, socialCard, landscape } from "./generator/art.ts";
import {
  GALLERY_CSS,
  BLOG_CSS,
  DOCS_CSS,
  GALLERY_JS,
  LOGO_SVG,
  MAIN_CSS,
  MAIN_JS,
  PRINT_CSS,
  SEARCH_JS,
  iconSvgs,
} from "./generator/assets.ts";
import { addBlog } from "./generator/blog.ts";
import { PRODUCTS } from "./generator/catalog.ts";
import { addDocs } from "./generator/docs.ts";
import { addGallery } from "./generator/gallery.ts";
import { encodeIco, encodeJpeg, encodePng } from "./generator/images.ts";
import { addPages, productPath } from "./generator/pages.ts";
import { encodePdf, type PdfDocument } from "./generator/pdf.ts";
import { BASE_URL, SITE_NAME, Site, encodePath } from "./generator/site.ts";
import { randomFor } from "./generator/text.ts";

const SITE_DIR = join(import.meta.dirname, "site");

/** Stylesheets, scripts, icons, the logo and the favicon. */
function addAssets(site: Site): void {
  site.add("css/main.css", MAIN_CSS);
  site.add("css/blog.css", BLOG_CSS);
  site.add("css/docs.css", DOCS_CSS);
  site.add("css/gallery.css", GALLERY_CSS);
  site.add("css/print.css", PRINT_CSS);
  site.add("js/main.js", MAIN_JS);
  site.add("js/search.js", SEARCH_JS);
  site.add("js/gallery.js", GALLERY_JS);
  for (const [name, svg] of iconSvgs()) site.add(`images/icons/${name}.svg`, svg);

  site.add("images/logo.svg", LOGO_SVG);
  site.add("images/logo.png", encodePng(logo(64)));
  site.add("images/og-image.png", encodePng(socialCard(160, 84)));
  site.add("images/hero.jpg", encodeJpeg(landscape(randomFor("images/hero.jpg"), 640, 320)));
  site.add("favicon.ico", encodeIco([logo(16), logo(32)]));
}

const PDFS: Record<string, PdfDocument> = {
  "downloads/c++ guide.pdf": {
    title: "Tidepool for C++ teams",
    pages: [
      {
        heading: "Tidepool for C++ teams",
        lines: [
          "C++ builds are where a shared cache pays off most: compilation is slow, and most",
          "translation units do not change between two builds of the same branch.",
          "",
          "How it works",
          "  1. The compiler launcher hashes the preprocessed source, flags and compiler version.",
          "  2. On a hit, the object file is downloaded instead of compiled.",
          "  3. On a miss, the object file is compiled and uploaded for everyone else.",
          "",
          "What you need",
          "  - A Tidepool server (Community edition is enough to start).",
          "  - CMake 3.17 or later, or any build that lets you set a compiler launcher.",
          "  - A read-only token for CI and a read-write token for trusted builders.",
        ],
      },
      {
        heading: "Setting up CMake",
        lines: [
          "Configure the launcher once per build directory:",
          "",
          "  cmake -B build -DCMAKE_CXX_COMPILER_LAUNCHER=tidepool-cc",
          "  export TIDEPOOL_URL=https://cache.example.com",
          "  export TIDEPOOL_TOKEN=<your token>",
          "  cmake --build build -j 16",
          "",
          "Tips for a high hit rate",
          "  - Build with relative paths (-ffile-prefix-map) so checkouts in different",
          "    directories produce identical object files.",
          "  - Pin the compiler version in CI; a new compiler means a cold cache.",
          "  - Avoid __DATE__ and __TIME__: they make every build unique.",
        ],
      },
    ],
  },
  "downloads/quick-reference.pdf": {
    title: "Tidepool command quick reference",
    pages: [
      {
        heading: "Command quick reference",
        lines: [
          "tidepool serve                 Start a server",
          "tidepool wrap -- <command>     Run a build through the cache",
          "tidepool project create <name> Create a project",
          "tidepool token create          Create an access token",
          "tidepool token revoke <id>     Revoke a token",
          "tidepool stats                 Hit rate and traffic for a project",
          "tidepool doctor                Check configuration and connectivity",
          "tidepool admin backup          Back up metadata and artifacts",
          "tidepool admin migrate         Upgrade the on-disk format",
        ],
      },
    ],
  },
  "downloads/brochure-2024.pdf": {
    title: "Tidepool product brochure 2024",
    pages: [
      {
        heading: "Tidepool: builds that never repeat themselves",
        lines: [
          "Tidepool stores build outputs once and serves them to every developer and CI runner.",
          "",
          "Editions",
          ...PRODUCTS.filter((p) => p.kind === "edition").map((p) => `  ${p.name}: ${p.summary}`),
          "",
          `Integrations: ${PRODUCTS.filter((p) => p.kind === "integration").length} ` +
            "build tools, CI systems and editors.",
          "",
          "Contact: hello@example.com",
        ],
      },
    ],
  },
};

const SAMPLE_CONFIG = `# tidepool.yaml: a complete example. Every setting can also be set as TIDEPOOL_<NAME>.
listen: ":7420"
data_dir: /var/lib/tidepool

storage:
  backend: s3            # disk, s3 or gcs
  bucket: build-cache
  region: eu-central-1

eviction:
  policy: lru
  max_size: 500GiB
  min_age: 24h           # never evict entries younger than this

tls:
  cert_file: /etc/tidepool/cert.pem
  key_file: /etc/tidepool/key.pem

log:
  level: info
`;

/**
 * downloads/ deliberately has no index.html (a generated listing will serve it later). checksums.txt is
 * derived from the other files, in sha256sum format, so it is always correct.
 */
function addDownloads(site: Site): void {
  for (const [path, doc] of Object.entries(PDFS)) site.add(path, encodePdf(doc));
  site.add("downloads/tidepool-sample.yaml", SAMPLE_CONFIG);
  const lines = site
    .paths()
    .filter((path) => path.startsWith("downloads/"))
    .map(
      (path) =>
        `${createHash("sha256")
          .update(site.get(path) ?? "")
          .digest("hex")}  ${basename(path)}`,
    );
  site.add("downloads/checksums.txt", `${lines.join("\n")}\n`);
}

function addProductsJson(site: Site): void {
  const products = PRODUCTS.map((p) => ({
    slug: p.slug,
    name: p.name,
    kind: p.kind,
    summary: p.summary,
    url: productPath(p),
    image: `images/products/${p.slug}.png`,
  }));
  site.add("data/products.json", `${JSON.stringify({ products }, null, 2)}\n`);
}

/** HTML pages a visitor or crawler should find: everything except the error page and the search page. */
function indexablePages(site: Site): string[] {
  return site.paths().filter((path) => path.endsWith(".html") && path !== "404.html" && path !== "search.html");
}

/** Undoes escapeHtml's numeric entities, to read titles back out of the generated pages. */
function decodeEntities(text: string): string {
  return text.replace(/&#(\d+);/g, (_, code: string) => String.fromCharCode(Number(code))).replace(/&amp;/g, "&");
}

/** The index behind js/search.js, read back from the finished pages so it can never disagree with them. */
function addSearchIndex(site: Site): void {
  const entries = indexablePages(site).map((path) => {
    const html = site.get(path)?.toString("utf8") ?? "";
    const title = /<title>(.*?) · /.exec(html)?.[1] ?? path;
    const description = /<meta name="description" content="(.*?)">/.exec(html)?.[1] ?? "";
    return { title: decodeEntities(title), description: decodeEntities(description), url: encodePath(path) };
  });
  site.add("data/search-index.json", `${JSON.stringify(entries, null, 1)}\n`);
}

function addCrawlerFiles(site: Site): void {
  site.add("robots.txt", `User-agent: *\nDisallow: /search.html\n\nSitemap: ${BASE_URL}sitemap.xml\n`);
  const urls = indexablePages(site).map((path) => {
    const loc = path === "index.html" ? BASE_URL : BASE_URL + encodePath(path);
    return `  <url><loc>${loc}</loc></url>`;
  });
  site.add(
    "sitemap.xml",
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">\n${urls.join("\n")}\n</urlset>\n`,
  );
}

/**
 * What an Apache host had beside the pages: an .htaccess (read for its rules, never published), a
 * .well-known/ file, an extensionless file, and an old folder whose page is index.htm.
 */
function addHostFiles(site: Site): void {
  site.add(
    ".htaccess",
    [
      "# Apache rules of the old host. sitesync carries over what has an equivalent on S3 and CloudFront",
      "# (core/htaccess.ts) and reports the rest, with its line, on every run.",
      "Redirect 301 /old-news.html /blog/index.html",
      "RedirectMatch 301 ^/news/(\\d{4})/?$ /blog/$1/index.html",
      "ErrorDocument 404 /404.html",
      "<IfModule mod_rewrite.c>",
      "RewriteEngine On",
      "RewriteRule ^shop/(.*)$ /products/$1 [R=301,L]",
      "</IfModule>",
      "",
    ].join("\n"),
  );
  site.add(
    ".well-known/security.txt",
    "Contact: mailto:security@example.com\nExpires: 2030-01-01T00:00:00.000Z\n" +
      `Canonical: ${BASE_URL}.well-known/security.txt\n`,
  );
  site.add(
    "LICENSE",
    "The text and images of this sample site were generated for sitesync's tests and may be used freely.\n",
  );
  site.add(
    "archive/index.htm",
    '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8"><title>Archive</title></head>\n' +
      '<body><h1>Archive</h1><p>Pages of the old site. <a href="../index.html">Home</a></p></body>\n</html>\n',
  );
}

function buildSite(): Site {
  const site = new Site();
  addAssets(site);
  addPages(site);
  addDocs(site);
  addBlog(site);
  addGallery(site);
  addDownloads(site);
  addProductsJson(site);
  addHostFiles(site);
  // These two read the finished pages, so they come last.
  addSearchIndex(site);
  addCrawlerFiles(site);
  return site;
}

function main(): void {
  const site = buildSite();
  const broken = site.brokenLinks();
  if (broken.length > 0) {
    throw new Error(`broken links in the sample site:\n  ${broken.join("\n  ")}`);
  }
  site.writeTo(SITE_DIR);
  const paths = site.paths();
  const bytes = paths.reduce((sum, path) => sum + (site.get(path)?.length ?? 0), 0);
  console.log(`${SITE_NAME} sample site: ${paths.length} files, ${bytes} bytes in ${SITE_DIR}`);
}

main();

// The documentation section: getting-started pages, guides, a versioned API reference (the deepest
// folders of the site, docs/api/v1/endpoints/), release notes in a file whose name has spaces, and a
// Japanese overview in a file whose name is not ASCII.
import { ENDPOINTS, GUIDES, RELEASES_2024, type Endpoint, type Guide } from "./catalog.ts";
import { escapeHtml, type Href, type Site } from "./site.ts";
import { DOCS_SENTENCES, PRODUCT_SENTENCES, paragraph, randomFor } from "./text.ts";

export const RELEASE_NOTES_PATH = "docs/release notes 2024.html";
export const JAPANESE_OVERVIEW_PATH = "docs/日本語.txt";

const GETTING_STARTED: [string, string][] = [
  ["docs/getting-started/index.html", "Getting started"],
  ["docs/getting-started/installation.html", "Installation"],
  ["docs/getting-started/quickstart.html", "Quickstart"],
  ["docs/getting-started/configuration.html", "Configuration"],
  ["docs/getting-started/first-project.html", "Your first project"],
];

const guidePath = (guide: Guide): string => `docs/guides/${guide.slug}.html`;
export const endpointPath = (endpoint: Endpoint): string => `docs/api/v1/endpoints/${endpoint.slug}.html`;

function code(text: string): string {
  return `<pre><code>${escapeHtml(text)}</code></pre>`;
}

/** The docs navigation, repeated on every docs page with the current page marked. */
function sidebar(current: string, href: Href): string {
  const link = ([target, label]: [string, string]): string =>
    `<li><a href="${href(target)}"${target === current ? ' aria-current="page"' : ""}>${escapeHtml(label)}</a></li>`;
  const group = (heading: string, links: [string, string][]): string =>
    `<h2>${heading}</h2>\n<ul>\n${links.map(link).join("\n")}\n</ul>`;
  return `<nav class="docs-sidebar" aria-label="Documentation">
${group("Overview", [
  ["docs/index.html", "Documentation home"],
  [RELEASE_NOTES_PATH, "Release notes 2024"],
])}
${group("Getting started", GETTING_STARTED)}
${group("Guides", [
  ["docs/guides/index.html", "All guides"],
  ...GUIDES.map((g): [string, string] => [guidePath(g), g.title]),
])}
${group("API reference", [
  ["docs/api/index.html", "Overview"],
  ["docs/api/v1/index.html", "Version 1"],
  ["docs/api/v1/endpoints/index.html", "Endpoints"],
])}
</nav>`;
}

/** Adds a page in the docs layout: sidebar on the left, `content` on the right. */
function docsPage(
  site: Site,
  path: string,
  title: string,
  description: string,
  crumbs: [string, string][],
  content: (href: Href) => string,
): void {
  site.page(path, (href) => ({
    title,
    description,
    section: "docs",
    styles: ["css/docs.css"],
    crumbs,
    body: `<div class="docs">\n${sidebar(path, href)}\n<article>\n${content(href)}\n</article>\n</div>`,
  }));
}

const DOCS_CRUMB: [string, string] = ["Docs", "docs/index.html"];
const GETTING_STARTED_CRUMBS: [string, string][] = [DOCS_CRUMB, ["Getting started", "docs/getting-started/index.html"]];
const API_CRUMBS: [string, string][] = [DOCS_CRUMB, ["API", "docs/api/index.html"], ["v1", "docs/api/v1/index.html"]];

function addDocsHome(site: Site): void {
  docsPage(
    site,
    "docs/index.html",
    "Documentation",
    "Install, configure and operate Tidepool.",
    [],
    (href) => `
<h1>Documentation</h1>
<p>Everything you need to install, configure and operate Tidepool, from a laptop to a fleet of replicas.</p>
<ul class="cards">
  <li class="card"><img class="icon" src="${href("images/icons/terminal.svg")}" alt="" width="24" height="24">\
<h3><a href="${href("docs/getting-started/index.html")}">Getting started</a></h3>\
<p>Install the server and cache your first build in ten minutes.</p></li>
  <li class="card"><img class="icon" src="${href("images/icons/book.svg")}" alt="" width="24" height="24">\
<h3><a href="${href("docs/guides/index.html")}">Guides</a></h3>\
<p>Task-focused guides for operators and build engineers.</p></li>
  <li class="card"><img class="icon" src="${href("images/icons/code.svg")}" alt="" width="24" height="24">\
<h3><a href="${href("docs/api/index.html")}">API reference</a></h3>\
<p>Automate projects, tokens and cache maintenance over HTTP.</p></li>
  <li class="card"><img class="icon" src="${href("images/icons/calendar.svg")}" alt="" width="24" height="24">\
<h3><a href="${href(RELEASE_NOTES_PATH)}">Release notes 2024</a></h3>\
<p>What changed in every release this year.</p></li>
</ul>
<h2>Offline reading</h2>
<ul>
  <li><a href="${href("downloads/c++ guide.pdf")}">Tidepool for C++ teams</a> (PDF)</li>
  <li><a href="${href("downloads/quick-reference.pdf")}">Command quick reference</a> (PDF)</li>
  <li><a href="${href(JAPANESE_OVERVIEW_PATH)}" hreflang="ja">日本語の概要</a> (Japanese overview, plain text)</li>
</ul>`,
  );
}

function addGettingStarted(site: Site): void {
  const random = randomFor("docs/getting-started");
  docsPage(
    site,
    "docs/getting-started/index.html",
    "Getting started",
    "From zero to a cached build.",
    [DOCS_CRUMB],
    (href) => `
<h1>Getting started</h1>
<p>${paragraph(random, PRODUCT_SENTENCES, 2, 3)}</p>
<ol>
${GETTING_STARTED.slice(1)
  .map(([path, label]) => `  <li><a href="${href(path)}">${label}</a></li>`)
  .join("\n")}
</ol>`,
  );

  docsPage(
    site,
    "docs/getting-started/installation.html",
    "Installation",
    "Install the Tidepool server and client.",
    GETTING_STARTED_CRUMBS,
    (href) => `
<h1>Installation</h1>
<p>Tidepool ships as a single binary for Linux, macOS and Windows, and as a container image.</p>
<h2 id="linux">Linux</h2>
${code(
  "curl -fsSLO https://downloads.example.com/tidepool/3.6.0/tidepool_3.6.0_amd64.deb\n" +
    "sudo apt install ./tidepool_3.6.0_amd64.deb",
)}
<h2 id="macos">macOS</h2>
${code("brew install brightwater/tap/tidepool")}
<h2 id="docker">Docker</h2>
${code("docker run -d -p 7420:7420 -v tidepool-data:/var/lib/tidepool example/tidepool:3.6")}
<p class="note">Verify every download against \
<a href="${href("downloads/checksums.txt")}">checksums.txt</a> before installing it.</p>
<p>Next: <a href="${href("docs/getting-started/quickstart.html")}">Quickstart</a>.</p>`,
  );

  docsPage(
    site,
    "docs/getting-started/quickstart.html",
    "Quickstart",
    "Cache your first build in ten minutes.",
    GETTING_STARTED_CRUMBS,
    (href) => `
<h1>Quickstart</h1>
<ol>
  <li>Start the server: ${code("tidepool serve --data /var/lib/tidepool")}</li>
  <li>Create a project and a token: ${code("tidepool project create web\ntidepool token create --project web")}</li>
  <li>Run your build through the client, twice: \
${code("tidepool wrap -- make -j8\ntidepool wrap -- make -j8   # the second run is served from the cache")}</li>
</ol>
<p>${paragraph(random, DOCS_SENTENCES, 2, 3)}</p>
<p>Next: <a href="${href("docs/getting-started/configuration.html")}">Configuration</a>.</p>`,
  );

  docsPage(
    site,
    "docs/getting-started/configuration.html",
    "Configuration",
    "The tidepool.yaml file and its settings.",
    GETTING_STARTED_CRUMBS,
    (href) => `
<h1>Configuration</h1>
<p>The server reads <code>/etc/tidepool/tidepool.yaml</code>. A complete, commented example is in
<a href="${href("downloads/tidepool-sample.yaml")}">tidepool-sample.yaml</a>.</p>
<table>
  <thead><tr><th>Setting</th><th>Environment variable</th><th>Default</th></tr></thead>
  <tbody>
    <tr><td><code>listen</code></td><td><code>TIDEPOOL_LISTEN</code></td><td><code>:7420</code></td></tr>
    <tr><td><code>data_dir</code></td><td><code>TIDEPOOL_DATA_DIR</code></td>\
<td><code>/var/lib/tidepool</code></td></tr>
    <tr><td><code>storage.backend</code></td><td><code>TIDEPOOL_STORAGE_BACKEND</code></td>\
<td><code>disk</code></td></tr>
    <tr><td><code>eviction.max_size</code></td><td><code>TIDEPOOL_EVICTION_MAX_SIZE</code></td>\
<td><code>100GiB</code></td></tr>
    <tr><td><code>log.level</code></td><td><code>TIDEPOOL_LOG_LEVEL</code></td><td><code>info</code></td></tr>
  </tbody>
</table>
<p>${paragraph(random, DOCS_SENTENCES, 2, 3)}</p>
<p>See also: <a href="${href("docs/guides/storage-backends.html")}">Storage backends</a>,
<a href="${href("docs/guides/cache-eviction.html")}">Cache eviction</a>.</p>`,
  );

  docsPage(
    site,
    "docs/getting-started/first-project.html",
    "Your first project",
    "Set up a real project with CI.",
    GETTING_STARTED_CRUMBS,
    (href) => `
<h1>Your first project</h1>
<p>${paragraph(random, PRODUCT_SENTENCES, 2, 3)}</p>
<h2>Give CI a read-only token</h2>
${code("tidepool token create --project web --read-only --ttl 720h")}
<p>Store the token as a CI secret, then follow the \
<a href="${href("docs/guides/ci-integration.html")}">CI integration guide</a>.</p>
<h2>Check the hit rate</h2>
<p>After a day of builds, ask the \
<a href="${href("docs/api/v1/endpoints/get-cache-stats.html")}">cache statistics endpoint</a>
or open the dashboard. ${paragraph(random, DOCS_SENTENCES, 1, 2)}</p>`,
  );
}

function addGuides(site: Site): void {
  docsPage(
    site,
    "docs/guides/index.html",
    "Guides",
    "Task-focused guides for Tidepool operators.",
    [DOCS_CRUMB],
    (href) => `
<h1>Guides</h1>
<ul class="cards">
${GUIDES.map(
  (g) =>
    `  <li class="card"><h3><a href="${href(guidePath(g))}">${escapeHtml(g.title)}</a></h3>` +
    `<p>${escapeHtml(g.summary)}</p></li>`,
).join("\n")}
</ul>`,
  );

  GUIDES.forEach((guide) => {
    const random = randomFor(guidePath(guide));
    const related = random.sample(
      GUIDES.filter((g) => g !== guide),
      2,
    );
    const endpoint = random.pick(ENDPOINTS);
    docsPage(
      site,
      guidePath(guide),
      guide.title,
      guide.summary,
      [DOCS_CRUMB, ["Guides", "docs/guides/index.html"]],
      (href) => `
<h1>${escapeHtml(guide.title)}</h1>
<p class="lead">${escapeHtml(guide.summary)}</p>
<p>${paragraph(random, DOCS_SENTENCES)}</p>
<h2>Example</h2>
${code(guide.example)}
<p>${paragraph(random, PRODUCT_SENTENCES, 2, 4)}</p>
<h2>See also</h2>
<ul>
${related.map((g) => `  <li><a href="${href(guidePath(g))}">${escapeHtml(g.title)}</a></li>`).join("\n")}
  <li>API: <a href="${href(endpointPath(endpoint))}">${escapeHtml(endpoint.title)}</a></li>
</ul>`,
    );
  });
}

function methodBadge(endpoint: Endpoint): string {
  return `<span class="method method-${endpoint.method.toLowerCase()}">${endpoint.method}</span>`;
}

function addApiReference(site: Site): void {
  docsPage(
    site,
    "docs/api/index.html",
    "API reference",
    "Automate Tidepool over HTTP.",
    [DOCS_CRUMB],
    (href) => `
<h1>API reference</h1>
<p>The HTTP API manages projects, artifacts, tokens and users. Every request carries a token:</p>
${code('curl -H "Authorization: Bearer $TIDEPOOL_TOKEN" https://cache.example.com/v1/projects')}
<table>
  <thead><tr><th>Version</th><th>Status</th></tr></thead>
  <tbody><tr><td><a href="${href("docs/api/v1/index.html")}">v1</a></td><td>Stable since Tidepool 3.0</td></tr></tbody>
</table>`,
  );

  docsPage(
    site,
    "docs/api/v1/index.html",
    "API v1",
    "Conventions of version 1 of the HTTP API.",
    [DOCS_CRUMB, ["API", "docs/api/index.html"]],
    (href) => `
<h1>API version 1</h1>
<p>Requests and responses are JSON unless noted. Lists are paginated with an opaque <code>cursor</code>.</p>
<h2>Errors</h2>
<table>
  <thead><tr><th>Status</th><th>Meaning</th></tr></thead>
  <tbody>
    <tr><td>400</td><td>The request was malformed; the body explains which field.</td></tr>
    <tr><td>401</td><td>Missing or expired token.</td></tr>
    <tr><td>403</td><td>The token lacks the required scope.</td></tr>
    <tr><td>404</td><td>No such project, artifact or token.</td></tr>
    <tr><td>429</td><td>Rate limited; retry after the number of seconds in <code>Retry-After</code>.</td></tr>
  </tbody>
</table>
<p>All <a href="${href("docs/api/v1/endpoints/index.html")}">${ENDPOINTS.length} endpoints</a> \
are listed on one page.</p>`,
  );

  docsPage(
    site,
    "docs/api/v1/endpoints/index.html",
    "Endpoints",
    "Every endpoint of API v1.",
    API_CRUMBS,
    (href) => `
<h1>Endpoints</h1>
<table>
  <thead><tr><th>Method</th><th>Path</th><th>Description</th></tr></thead>
  <tbody>
${ENDPOINTS.map(
  (e) =>
    `    <tr><td>${methodBadge(e)}</td>` +
    `<td><a href="${href(endpointPath(e))}"><code>${escapeHtml(e.path)}</code></a></td>` +
    `<td>${escapeHtml(e.summary)}</td></tr>`,
).join("\n")}
  </tbody>
</table>`,
  );

  for (const endpoint of ENDPOINTS) addEndpoint(site, endpoint);
}

function addEndpoint(site: Site, endpoint: Endpoint): void {
  const crumbs: [string, string][] = [...API_CRUMBS, ["Endpoints", "docs/api/v1/endpoints/index.html"]];
  const example =
    `curl -X ${endpoint.method} -H "Authorization: Bearer $TIDEPOOL_TOKEN" \\\n` +
    `  https://cache.example.com${endpoint.path.replace("{id}", "prj_7Hq2").replace("{digest}", "sha256:9f2c4e1b")}`;
  const response =
    typeof endpoint.response === "string" ? endpoint.response : JSON.stringify(endpoint.response, null, 2);
  const params =
    endpoint.params.length === 0
      ? "<p>None.</p>"
      : `<table>
  <thead><tr><th>Name</th><th>Type</th><th>Description</th></tr></thead>
  <tbody>
${endpoint.params
  .map(
    ([name, type, text]) =>
      `    <tr><td><code>${escapeHtml(name)}</code></td>` +
      `<td>${escapeHtml(type)}</td><td>${escapeHtml(text)}</td></tr>`,
  )
  .join("\n")}
  </tbody>
</table>`;
  docsPage(
    site,
    endpointPath(endpoint),
    endpoint.title,
    endpoint.summary,
    crumbs,
    (href) => `
<h1>${escapeHtml(endpoint.title)}</h1>
<p>${methodBadge(endpoint)} <code>${escapeHtml(endpoint.path)}</code></p>
<p>${escapeHtml(endpoint.summary)}</p>
<h2>Parameters</h2>
${params}
<h2>Example request</h2>
${code(example)}
<h2>Example response</h2>
${code(response)}
<p><a href="${href("docs/api/v1/endpoints/index.html")}">All endpoints</a></p>`,
  );
}

function addReleaseNotes(site: Site): void {
  const list = (items: string[]): string => items.map((item) => `  <li>${escapeHtml(item)}</li>`).join("\n");
  docsPage(
    site,
    RELEASE_NOTES_PATH,
    "Release notes 2024",
    "Every Tidepool release in 2024.",
    [DOCS_CRUMB],
    (href) => `
<h1>Release notes 2024</h1>
<p>Upgrading from 2.x? Read \
<a href="${href("docs/guides/migrating-from-v2.html")}">Migrating from Tidepool 2.x</a> first.</p>
${RELEASES_2024.map(
  (r) => `<section id="${releaseAnchor(r.version)}">
<h2>${r.version} <span class="meta">${r.month} 2024</span></h2>
${r.added.length > 0 ? `<h3>Added</h3>\n<ul>\n${list(r.added)}\n</ul>` : ""}
<h3>Fixed</h3>
<ul>
${list(r.fixed)}
</ul>
</section>`,
).join("\n")}`,
  );
}

/** "3.2.1" -> "v3-2-1": the fragment the blog round-ups link to. */
export function releaseAnchor(version: string): string {
  return `v${version.replaceAll(".", "-")}`;
}

const JAPANESE_OVERVIEW = `Tidepool 日本語ガイド（概要）
==============================

Tidepool は、ビルド成果物をキャッシュして共有するためのサーバーです。
一度ビルドした成果物を保存し、開発者や CI ランナーからの同じリクエストに再利用します。

主な機能
--------
・コンテンツハッシュによるキャッシュキー（ヒットした成果物は常にバイト単位で一致します）
・Bazel リモートキャッシュ、HTTP、Gradle ビルドキャッシュの各プロトコルに対応
・ローカルディスク、S3 互換ストレージ、Google Cloud Storage に保存可能
・プロジェクトごとのクォータと、CI 向けの読み取り専用トークン

はじめに
--------
1. サーバーをインストールします（docs/getting-started/installation.html）。
2. 「tidepool project create web」でプロジェクトを作成します。
3. 「tidepool wrap -- make -j8」のようにビルドを実行します。二回目からはキャッシュが使われます。

詳しくは英語版のドキュメントをご覧ください。
ご質問は hello@example.com までお気軽にどうぞ。

翻訳：佐藤 健二（Brightwater Labs）
`;

export function addDocs(site: Site): void {
  addDocsHome(site);
  addGettingStarted(site);
  addGuides(site);
  addApiReference(site);
  addReleaseNotes(site);
  site.add(JAPANESE_OVERVIEW_PATH, JAPANESE_OVERVIEW);
}

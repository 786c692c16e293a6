// The sample site in a real browser (Debian's chromium, driven by playwright-core) through the local
// CloudFront (local/serve.ts): the home page, a generated listing followed to a file, the site's own 404
// page with status 404, a redirect from the site's own .htaccess, .well-known/security.txt and an
// extensionless file. A screenshot of each page visited goes to test/artifacts/ (ignored by git). The site
// is published by the agent alone, with the default configuration: it reads the .htaccess, publishes
// .well-known/ and starts the PostSync that brings the rules to the edge.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { type BrowserContext, chromium, type Page } from "playwright-core";
import { distributionFromTemplate, type SiteServer, startSiteServer } from "../../local/serve.ts";
import { type Harness, startHarness } from "../support/harness.ts";

const projectDir = join(dirname(fileURLToPath(import.meta.url)), "../..");
const siteDir = join(projectDir, "examples/site");
const artifacts = join(projectDir, "test/artifacts");
const CHROMIUM = "/usr/bin/chromium";
const FLAGS = [
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];

/** Debian's chromium, installed when missing (the machine has Debian's packages; tests run as root). */
function ensureChromium(): void {
  if (existsSync(CHROMIUM)) return;
  const apt = (args: string[]) => execFileSync("apt-get", args, { stdio: "ignore", timeout: 600_000 });
  try {
    apt(["install", "-y", "chromium"]);
  } catch {
    apt(["update"]);
    apt(["install", "-y", "chromium"]);
  }
}

describe("the sample site in a browser", { timeout: 600_000 }, () => {
  let h: Harness;
  let site: SiteServer;
  let context: BrowserContext;
  let page: Page;
  let profile: string;

  before(async () => {
    ensureChromium();
    h = await startHarness();
    await h.publish(h.config(siteDir));
    const distribution = distributionFromTemplate(h.stack.template, h.stack.postSync.keyValueStore ?? undefined);
    site = await startSiteServer({ s3: h.stack.clients.s3, bucket: h.stack.definition.siteBucket, distribution });
    profile = mkdtempSync(join(tmpdir(), "sitesync-chromium-"));
    context = await chromium.launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: FLAGS,
    });
    page = context.pages()[0] ?? (await context.newPage());
    mkdirSync(artifacts, { recursive: true });
  });
  after(async () => {
    await context?.close();
    await site?.stop();
    await h?.close();
    if (profile) rmSync(profile, { recursive: true, force: true });
  });

  const shot = (name: string) => page.screenshot({ path: join(artifacts, `${name}.png`), fullPage: true });

  test("the home page", async () => {
    const res = await page.goto(`${site.url}/`);
    assert.equal(res?.status(), 200);
    assert.match(await page.title(), /Brightwater Labs/);
    await shot("home");
  });

  test("a generated listing, followed to a file", async () => {
    const res = await page.goto(`${site.url}/downloads/`);
    assert.equal(res?.status(), 200);
    assert.equal(await page.locator("h1").textContent(), "Index of /downloads/");
    await shot("listing");
    await Promise.all([page.waitForURL(/checksums\.txt$/), page.getByRole("link", { name: "checksums.txt" }).click()]);
    assert.match((await page.locator("body").textContent()) ?? "", /sha256|[0-9a-f]{64}/i);
  });

  test("a missing page is the site's own 404 page, with status 404", async () => {
    const res = await page.goto(`${site.url}/no/such/page.html`);
    assert.equal(res?.status(), 404);
    assert.equal(await page.locator("h1").textContent(), "Page not found");
    await shot("not-found");
  });

  test("a redirect from the site's own .htaccess", async () => {
    const res = await page.goto(`${site.url}/old-news.html`);
    assert.equal(res?.status(), 200);
    assert.equal(new URL(page.url()).pathname, "/blog/index.html");
    assert.equal((await res?.request().redirectedFrom()?.response())?.status(), 301);
    assert.match(await page.title(), /^Blog/);
  });

  test("a directory without its slash, .well-known/security.txt and an extensionless file", async () => {
    await page.goto(`${site.url}/docs`);
    assert.equal(new URL(page.url()).pathname, "/docs/");
    const security = await page.goto(`${site.url}/.well-known/security.txt`);
    assert.equal(security?.status(), 200);
    assert.match((await page.locator("body").textContent()) ?? "", /^Contact: mailto:/);
    // Its bytes are text, so it is served as text/plain, which a browser shows rather than downloads.
    const license = await page.goto(`${site.url}/LICENSE`);
    assert.equal(license?.status(), 200);
    assert.equal(license?.headers()["content-type"], "text/plain; charset=utf-8");
    assert.match((await page.locator("body").textContent()) ?? "", /may be used freely/);
  });
});

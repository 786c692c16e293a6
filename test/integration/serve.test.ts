// The site as a visitor gets it through the local server (local/serve.ts): the deployed functions and
// error responses over the local bucket, after the agent published a tree — its .htaccess rules read and
// stored, its dot files chosen by the default policy — and PostSync made its listings, directory pages and
// markers, and published the rules to the edge.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { getRun } from "../../aws/index/runs.ts";
import { distributionFromTemplate, type SiteServer, startSiteServer } from "../../local/serve.ts";
import { type Harness, startHarness, writeTree } from "../support/harness.ts";

describe("the site through the local CloudFront", () => {
  let h: Harness;
  let site: SiteServer;
  const get = (path: string) => fetch(`${site.url}${path}`, { redirect: "manual" });

  before(async () => {
    h = await startHarness();
    const root = h.tempDir();
    writeTree(root, {
      "index.html": "<h1>home</h1>",
      "404.html": "<h1>our own not found page</h1>",
      LICENSE: "MIT, more or less",
      ".well-known/security.txt": "Contact: mailto:security@example.com",
      ".htaccess": "Redirect 301 /old.html /index.html\nRedirectMatch 302 ^/y/(\\d+)$ /docs/$1.txt\nRewriteEngine On\n",
      "legacy/index.htm": "<h1>legacy page</h1>",
      "legacy/other.html": "other",
      "private/.htaccess": "Options -Indexes",
      "private/report.txt": "report",
      "docs/2024.txt": "a text",
    });
    const config = h.config(root);
    const result = await h.publish(config);
    await h.waitForPostSync(result);
    const distribution = distributionFromTemplate(h.stack.template, h.stack.postSync.keyValueStore ?? undefined);
    site = await startSiteServer({ s3: h.stack.clients.s3, bucket: h.stack.definition.siteBucket, distribution });
  });
  after(async () => {
    await site?.stop();
    await h?.close();
  });

  test("a missing page, file or directory, at any depth, is the site's 404 page with status 404", async () => {
    for (const path of ["/nope.html", "/nope", "/a/b/c/nope.html", "/nope/", "/docs/nope/"]) {
      const res = await get(path);
      assert.equal(res.status, 404, path);
      assert.equal(await res.text(), "<h1>our own not found page</h1>", path);
    }
  });

  test("an extensionless file is a file; a directory without its slash is a 301 to it", async () => {
    const license = await get("/LICENSE");
    assert.equal(license.status, 200);
    assert.equal(license.headers.get("content-type"), "text/plain; charset=utf-8", "its bytes are text");
    assert.equal(await license.text(), "MIT, more or less");
    const docs = await get("/docs?x=1");
    assert.equal(docs.status, 301);
    assert.equal(docs.headers.get("location"), "/docs/?x=1");
  });

  test("/dir/ serves index.html, else index.htm, else the listing, which shows no dot files", async () => {
    assert.equal(await (await get("/")).text(), "<h1>home</h1>");
    const legacy = await get("/legacy/");
    assert.equal(legacy.status, 200);
    assert.equal(await legacy.text(), "<h1>legacy page</h1>");
    const listing = await (await get("/docs/")).text();
    assert.ok(listing.includes('href="2024.txt"'));
    const rootListingOfWellKnown = await get("/.well-known/");
    assert.equal(rootListingOfWellKnown.status, 200);
    assert.ok(!(await (await get("/docs/")).text()).includes(".htaccess"));
  });

  test("Options -Indexes: no listing for that directory; its files are still served", async () => {
    const res = await get("/private/");
    assert.equal(res.status, 404);
    assert.equal((await get("/private/report.txt")).status, 200);
    assert.equal((await get("/private/.htaccess")).status, 404, ".htaccess files are never published");
  });

  test(".well-known files are published; the .htaccess redirects take effect at the edge", async () => {
    const security = await get("/.well-known/security.txt");
    assert.equal(security.status, 200);
    assert.equal(await security.text(), "Contact: mailto:security@example.com");
    const old = await get("/old.html");
    assert.equal(old.status, 301);
    assert.equal(old.headers.get("location"), "/index.html");
    const matched = await get("/y/2024");
    assert.equal(matched.status, 302);
    assert.equal(matched.headers.get("location"), "/docs/2024.txt");
  });
});

describe("rules that change in a run that sends nothing", () => {
  let h: Harness;
  let site: SiteServer;
  after(async () => {
    await site?.stop();
    await h?.close();
  });

  test('the run records itself (sent 0) and starts PostSync with {"runId", "edgeRules": true}', async () => {
    h = await startHarness();
    const root = h.tempDir();
    writeTree(root, { "index.html": "home", "docs/a.txt": "a", ".htaccess": "Redirect 301 /first /index.html" });
    const config = h.config(root);
    const first = await h.publish(config);
    assert.equal(first.edge.rules, "stored");
    const distribution = distributionFromTemplate(h.stack.template, h.stack.postSync.keyValueStore ?? undefined);
    site = await startSiteServer({ s3: h.stack.clients.s3, bucket: h.stack.definition.siteBucket, distribution });
    const get = (path: string) => fetch(`${site.url}${path}`, { redirect: "manual" });
    assert.equal((await get("/first")).status, 301);
    assert.equal((await get("/docs/")).status, 200, "a listing");

    // Only the .htaccess files change: the run sends nothing, yet it is recorded and starts a PostSync.
    writeTree(root, { ".htaccess": "Redirect 301 /second /index.html", "docs/.htaccess": "Options -Indexes" });
    const rulesOnly = await h.publish(config);
    assert.equal(rulesOnly.plan.put + rulesOnly.plan.delete, 0);
    assert.equal(rulesOnly.publish, undefined, "nothing staged or sent");
    assert.equal(rulesOnly.edge.rules, "stored");
    assert.ok(rulesOnly.postSyncExecutionArn, "PostSync started for the rules");
    const execution = await h.stack.postSync.server.waitForExecution(rulesOnly.postSyncExecutionArn, 1000);
    assert.deepEqual(JSON.parse(execution.input), { runId: rulesOnly.runId, edgeRules: true });
    const run = await getRun(h.stack.clients.dynamodb, h.stack.definition.table, rulesOnly.runId);
    assert.equal(run?.sent, 0);
    assert.equal(run?.status, "sent");
    assert.equal(run?.postSyncExecutionArn, rulesOnly.postSyncExecutionArn);
    assert.equal((await get("/first")).status, 404, "the removed rule is gone from the store");
    assert.equal((await get("/second")).status, 301);
    assert.equal((await get("/docs/")).status, 404, "Options -Indexes removed the listing");
    assert.equal((await get("/docs/a.txt")).status, 200);

    const again = await h.publish(config);
    assert.equal(again.edge.rules, "unchanged");
    assert.equal(again.postSyncExecutionArn, undefined, "unchanged rules start nothing");
  });
});

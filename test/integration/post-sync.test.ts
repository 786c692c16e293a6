// PostSync on the local stack, from the synthesized state machine: listings and invalidations.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, rmSync, unlinkSync, writeFileSync } from "node:fs";
import { DeleteObjectCommand } from "@aws-sdk/client-s3";
import { StartExecutionCommand } from "@aws-sdk/client-sfn";
import { join } from "node:path";
import { UpdateItemCommand } from "@aws-sdk/client-dynamodb";
import { createDynamoDbClient } from "../../aws/clients.ts";
import { getFile } from "../../aws/index/files.ts";
import { listingPageKey, putJson } from "../../aws/version-store.ts";
import { generateListings } from "../../lambdas/post-sync/generate-listings.ts";
import { GENERATED_MARKER } from "../../core/index-page.ts";
import { CLOUDFRONT_LIMITS } from "../../core/invalidation-planner.ts";
import { objectKey } from "../../aws/version-store.ts";
import { startHarness, writeTree, type Harness } from "../support/harness.ts";

describe("PostSync: listings and invalidations", () => {
  let h: Harness;

  before(async () => {
    h = await startHarness({
      environment: (env) => {
        env.publishRules = { rewrites: [{ from: "docs/", to: ["manual/"] }], cacheControl: [] };
      },
    });
  });
  after(() => h.close());

  const cloudFront = () => h.stack.postSync.cloudFront!;

  test("a folder without index.html gets a listing with the right entries, escaped and encoded", async () => {
    const root = h.tempDir();
    writeTree(root, {
      "index.html": "<h1>home</h1>",
      "downloads/guide.pdf": "%PDF-1.4 guide",
      "downloads/c++ notes.txt": "notes",
      // "/" cannot be in a POSIX name: this is a folder "<script>alert(1)<" holding "script>.html".
      "downloads/<script>alert(1)</script>.html": "xss",
      "downloads/<img src=x onerror=alert(1)>.html": "xss",
      "downloads/.hidden": "secret",
      "downloads/old/readme.txt": "old",
    });
    const config = h.config(root, { prefix: "ls/", dotFiles: "include" });
    await h.publish(config);

    const page = await h.getObject("ls/downloads/index.html");
    assert.ok(page, "a listing was generated");
    assert.equal(page.contentType, "text/html; charset=utf-8");
    assert.equal(page.metadata.generated, "true");
    const html = page.body.toString("utf8");
    assert.ok(html.includes(GENERATED_MARKER));
    assert.ok(!html.includes("<script>alert(1)") && !html.includes("<img src=x"), "hostile names render as text");
    assert.ok(html.includes("&lt;script&gt;alert(1)&lt;/"), "the folder name, escaped, with its slash");
    assert.ok(html.includes("&lt;img src=x onerror=alert(1)&gt;.html"));
    assert.ok(html.includes('href="c%2B%2B%20notes.txt"'), "links are URL-encoded");
    assert.ok(html.includes('href="old/"'), "subdirectories link with a slash");
    assert.ok(html.indexOf('href="old/"') < html.indexOf('href="guide.pdf"'), "subdirectories come first");
    assert.ok(!html.includes(".hidden"), "dot files are left out");
    assert.ok(html.includes('href="../"'), "a link to the parent");
    assert.equal(
      (await h.getObject("ls/index.html"))?.body.toString(),
      "<h1>home</h1>",
      "a real index.html is never replaced",
    );
    const record = await getFile(h.stack.clients.dynamodb, h.stack.definition.table, "ls/downloads/index.html");
    assert.equal(record?.generated, true, "the index marks the page as generated");

    // The agent does not treat the generated page as a file of the site: the next run has nothing to do.
    const again = await h.publish(config);
    assert.equal(again.plan.put + again.plan.delete + again.plan.resend, 0);
    assert.ok(await h.getObject("ls/downloads/index.html"));
  });

  test(`a real index.html replaces the listing; removing it brings the listing back; \
emptying the folder removes it`, async () => {
    const root = h.tempDir();
    writeTree(root, { "gallery/a.jpg": "a", "gallery/b.jpg": "b" });
    const config = h.config(root, { prefix: "swap/" });
    await h.publish(config);
    assert.equal((await h.getObject("swap/gallery/index.html"))?.metadata.generated, "true");

    writeFileSync(join(root, "gallery/index.html"), "<h1>my gallery</h1>");
    const real = await h.publish(config);
    assert.equal(real.plan.byReason["put:replaces-generated"], 1);
    const page = await h.getObject("swap/gallery/index.html");
    assert.equal(page?.body.toString(), "<h1>my gallery</h1>", "the real page is published");
    assert.equal(page?.metadata.generated, undefined);
    assert.equal(
      (await getFile(h.stack.clients.dynamodb, h.stack.definition.table, "swap/gallery/index.html"))?.generated,
      undefined,
    );

    unlinkSync(join(root, "gallery/index.html"));
    await h.publish(config);
    assert.equal((await h.getObject("swap/gallery/index.html"))?.metadata.generated, "true", "the listing is back");

    rmSync(join(root, "gallery"), { recursive: true });
    writeTree(root, { "keep.txt": "so the tree is not empty" });
    await h.publish(config, { force: true });
    assert.equal(await h.getObject("swap/gallery/index.html"), undefined, "an emptied folder has no listing");
    assert.equal(
      await getFile(h.stack.clients.dynamodb, h.stack.definition.table, "swap/gallery/index.html"),
      undefined,
    );
    const rootPage = (await h.getObject("swap/index.html"))?.body.toString() ?? "";
    assert.ok(
      rootPage.includes("keep.txt") && !rootPage.includes("gallery"),
      "the parent listing no longer shows the folder",
    );
  });

  test("rewrite copies get their own listings", async () => {
    const root = h.tempDir();
    writeTree(root, { "docs/api/a.html": "a", "docs/api/b.html": "b" });
    await h.publish(h.config(root, { prefix: "copies/" }));
    const original = await h.getObject("copies/docs/api/index.html");
    const copy = await h.getObject("copies/manual/api/index.html");
    assert.ok(original && copy, "a listing in docs/api/ and in its copy manual/api/");
    assert.ok(copy.body.toString().includes('href="a.html"'));
  });

  test("a listing's rewrite copy never replaces or removes a real page at the copy's key", async () => {
    const root = h.tempDir();
    writeTree(root, { "docs/api/a.html": "a", "manual/api/index.html": "the real manual page" });
    const config = h.config(root, { prefix: "owned/" });
    await h.publish(config);
    assert.equal((await h.getObject("owned/docs/api/index.html"))?.metadata.generated, "true");
    assert.equal((await h.getObject("owned/manual/api/index.html"))?.body.toString(), "the real manual page");
    unlinkSync(join(root, "docs/api/a.html"));
    await h.publish(config);
    assert.equal(await h.getObject("owned/docs/api/index.html"), undefined, "the emptied folder lost its listing");
    assert.equal((await h.getObject("owned/manual/api/index.html"))?.body.toString(), "the real manual page");
  });

  test("the invalidation calls cover every changed path, its copies and the changed listings", async () => {
    const root = h.tempDir();
    writeTree(root, { "docs/x.html": "x1", "docs/y.html": "y1", "img/p.png": "p" });
    const config = h.config(root, { prefix: "inv/" });
    await h.publish(config);
    cloudFront().reset();

    writeFileSync(join(root, "docs/x.html"), "x2 longer");
    unlinkSync(join(root, "img/p.png"));
    writeTree(root, { "img/q.png": "q" });
    await h.publish(config);
    const paths = cloudFront().allPaths();
    for (const expected of [
      "/inv/docs/x.html",
      "/inv/manual/x.html",
      "/inv/img/p.png",
      "/inv/img/q.png",
      "/inv/docs/",
      "/inv/docs/index.html",
      "/inv/img/",
      "/inv/img/index.html",
    ]) {
      assert.ok(paths.includes(expected), `${expected} in ${JSON.stringify(paths)}`);
    }
    assert.ok(!paths.includes("/inv/docs/y.html"), "unchanged files stay cached");
    assert.deepEqual(
      cloudFront().refusals.filter((r) => r.error !== "TooManyInvalidationsInProgress"),
      [],
    );
  });

  // More changes than one invalidation request may carry (3,000 paths), over more folders than wildcards may be
  // in progress (15): the planner must fold them, batch them and wait the limit out.
  test("a run of 3,500 changes stays within CloudFront's limits and covers everything", async () => {
    const root = h.tempDir();
    const files: Record<string, string> = {};
    for (let f = 0; f < 500; f++) for (let i = 0; i < 7; i++) files[`s${f % 25}/f${f}/p${i}.html`] = `${f}-${i}`;
    writeTree(root, files);
    cloudFront().reset();
    const result = await h.publish(h.config(root, { prefix: "big/" }));
    assert.equal(result.plan.put, 3_500);
    const calls = cloudFront().calls;
    assert.ok(calls.length > 0);
    for (const call of calls) assert.ok(call.paths.length <= CLOUDFRONT_LIMITS.maxPathsPerRequest);
    assert.deepEqual(
      cloudFront().refusals.filter((r) => r.error !== "TooManyInvalidationsInProgress"),
      [],
      "no batch CloudFront would refuse",
    );
    // Over 15 wildcards: the second batch meets CloudFront's in-progress limit and is waited out, not dropped.
    assert.ok(cloudFront().refusals.some((r) => r.error === "TooManyInvalidationsInProgress"));
    assert.equal(new Set(calls.map((c) => c.callerReference)).size, calls.length, "every batch accepted exactly once");
    const paths = cloudFront().allPaths();
    assert.ok(paths.length <= 100, `${paths.length} paths for 3,500 changes (maxPaths 100)`);
    // Every changed key is covered by some path: itself or a wildcard above it.
    const covered = (key: string) =>
      paths.some((p) => p === `/${key}` || (p.endsWith("*") && `/${key}`.startsWith(p.slice(0, -1))));
    for (const rel of Object.keys(files)) assert.ok(covered(`big/${rel}`), rel);
    assert.ok(covered("big/s0/f0/index.html") && covered("big/index.html"), "listings are covered");
    assert.ok(await h.getObject("big/s3/f3/index.html"), "listings of all 525 folders were generated");
    console.log(`# 3,500 changes across 500 folders → ${paths.length} invalidation paths in ${calls.length} requests`);
  });

  test("a run that sent nothing finishes at once, with nothing invalidated", async () => {
    const root = h.tempDir();
    const config = h.config(root, { prefix: "nothing/" });
    // The first run of a state directory stores the site's edge rules, and starts a PostSync for them.
    await h.publish(config);
    mkdirSync(join(root, "empty"), { recursive: true });
    const result = await h.sync(config);
    assert.equal(result.publish?.entriesSent, 0);
    assert.equal(result.postSyncExecutionArn, undefined, "the agent does not start PostSync for it");
    cloudFront().reset();
    const started = await h.stack.clients.sfn.send(
      new StartExecutionCommand({
        stateMachineArn: h.stack.postSync.stateMachineArn,
        name: result.runId,
        input: JSON.stringify({ runId: result.runId }),
      }),
    );
    const execution = await h.stack.postSync.server.waitForExecution(started.executionArn!, 10_000);
    assert.equal(execution.status, "SUCCEEDED");
    assert.deepEqual(cloudFront().calls, []);
  });
});

describe("PostSync when a run is never applied", () => {
  test("it polls, then fails loudly with RunNotApplied", async () => {
    const h = await startHarness({ apply: false, environment: (env) => (env.postSync.awaitMinutes = 1) });
    try {
      const root = h.tempDir();
      writeTree(root, { "a.html": "a" });
      const result = await h.sync(h.config(root));
      assert.ok(result.postSyncExecutionArn);
      const execution = await h.stack.postSync.server.waitForExecution(result.postSyncExecutionArn, 30_000);
      assert.equal(execution.status, "FAILED");
      assert.equal(execution.error, "RunNotApplied");
      assert.match(execution.cause ?? "", /not fully applied within 1 minute;/);
    } finally {
      await h.close();
    }
  });
});

describe("PostSync when part of a run can never be applied", () => {
  test("the listings and invalidations of what was applied are still made, then it fails loudly", async () => {
    const h = await startHarness({ apply: false, environment: (env) => (env.postSync.awaitMinutes = 1) });
    try {
      const root = h.tempDir();
      writeTree(root, { "fine/a.html": "a", "fine/b.html": "b", "broken/big.bin": Buffer.alloc(64 * 1024, 1) });
      const config = h.config(root, {
        prefix: "partial/",
        pack: { maxBytes: 1_048_576, maxFiles: 100, largeFileBytes: 32 * 1024 },
      });
      const result = await h.sync(config);
      assert.equal(result.publish?.messagesSent, 2, "the large file travels in a message of its own");
      // Its staged bytes vanish: that message fails on every delivery and never counts as applied.
      await h.stack.clients.s3.send(
        new DeleteObjectCommand({
          Bucket: config.versionBucket,
          Key: objectKey(result.runId, "partial/broken/big.bin"),
        }),
      );
      const source = h.stack.startApply({ onError: () => {} });
      try {
        const execution = await h.stack.postSync.server.waitForExecution(result.postSyncExecutionArn!, 60_000);
        assert.equal(execution.status, "FAILED");
        assert.equal(execution.error, "RunNotApplied");
        assert.match(execution.cause ?? "", /listings and invalidations were made for what was applied/);
      } finally {
        await source.stop();
      }
      const listing = await h.getObject("partial/fine/index.html");
      assert.equal(listing?.metadata.generated, "true", "the applied folder got its listing");
      assert.match(listing!.body.toString(), /a\.html[\s\S]*b\.html/);
      const paths = h.stack.postSync.cloudFront!.allPaths();
      assert.ok(paths.includes("/partial/fine/a.html") && paths.includes("/partial/fine/b.html"), paths.join(" "));
      assert.equal(await h.getObject("partial/broken/big.bin"), undefined);
    } finally {
      await h.close();
    }
  });
});

describe("a listing that races a real index.html", () => {
  test("the real page wins even when the listing's write lands after it", async () => {
    const h = await startHarness();
    try {
      const root = h.tempDir();
      writeTree(root, { "race/a.jpg": "a" });
      const config = h.config(root, { prefix: "race/" });
      await h.publish(config);
      assert.equal((await h.getObject("race/race/index.html"))?.metadata.generated, "true");

      // Make the listing due for a rewrite (as if the directory had changed), so the generator writes it.
      await h.stack.clients.dynamodb.send(
        new UpdateItemCommand({
          TableName: h.stack.definition.table,
          Key: { pk: { S: "d#race/race" }, sk: { S: "index.html" } },
          UpdateExpression: "SET #h = :h",
          ExpressionAttributeNames: { "#h": "hash" },
          ExpressionAttributeValues: { ":h": { S: "outdated" } },
        }),
      );
      // A generator that read the directory just before a real index.html was published, and writes after.
      const dynamodb = createDynamoDbClient(h.stack.servers.clientConfig);
      let raced = false;
      dynamodb.middlewareStack.add(
        (next, context) => async (args) => {
          const result = await next(args);
          if (!raced && context.commandName === "QueryCommand") {
            raced = true;
            writeFileSync(join(root, "race/index.html"), "<h1>the real page</h1>");
            await h.publish(config);
            assert.equal((await h.getObject("race/race/index.html"))?.body.toString(), "<h1>the real page</h1>");
          }
          return result;
        },
        { step: "initialize", name: "raceWithARealPage" },
      );
      const runId = "20261125T000000000Z-aaaaaa";
      await putJson(h.stack.clients.s3, h.stack.definition.versionBucket, listingPageKey(runId, 0), ["race/race"]);
      const outcome = await generateListings(
        { runId, prefix: "race/", page: 0 },
        {
          s3: h.stack.clients.s3,
          dynamodb,
          siteBucket: h.stack.definition.siteBucket,
          versionBucket: h.stack.definition.versionBucket,
          table: h.stack.definition.table,
          rules: { rewrites: [], cacheControl: [] },
        },
      );
      dynamodb.destroy();
      assert.equal(outcome.outcomes["real-page"], 1);
      const page = await h.getObject("race/race/index.html");
      assert.equal(page?.body.toString(), "<h1>the real page</h1>");
      assert.equal(page?.contentType, "text/html; charset=utf-8");
    } finally {
      await h.close();
    }
  });
});

// At a million files a listing page can hold directories of thousands of entries each: the step works a page
// a few directories at a time and hands what it could not start in half its time to its next invocation.
describe("PostSync over many directories", () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  const deps = () => ({
    s3: h.stack.clients.s3,
    dynamodb: h.stack.clients.dynamodb,
    siteBucket: h.stack.definition.siteBucket,
    versionBucket: h.stack.definition.versionBucket,
    table: h.stack.definition.table,
    rules: { rewrites: [], cacheControl: [] },
  });

  test("a first sync of 1,000 directories lists every one, each step within its function's timeout", async () => {
    const root = h.tempDir();
    const files: Record<string, string> = {};
    for (let s = 0; s < 10; s++) for (let d = 0; d < 100; d++) files[`s${s}/d${d}/page.html`] = `${s}-${d}`;
    writeTree(root, files);
    // publish fails unless PostSync SUCCEEDED, run by the local executor under the template's timeouts.
    await h.publish(h.config(root, { prefix: "many/" }));
    const listings = (await h.listKeys("many/")).filter((key) => key.endsWith("/index.html"));
    assert.equal(listings.length, 1 + 10 + 1_000, "the site's root, 10 sections, 1,000 folders");
  });

  test("a page out of time goes on in the next invocation; a retried one still reports what it wrote", async () => {
    const root = h.tempDir();
    const files: Record<string, string> = {};
    for (let d = 0; d < 30; d++) files[`d${String(d).padStart(2, "0")}/a.txt`] = `${d}`;
    writeTree(root, files);
    await h.publish(h.config(root, { prefix: "budget/" }));
    const dirs = Object.keys(files).map((file) => `budget/${file.slice(0, file.indexOf("/"))}`);
    // Every listing due for a rewrite, as if each folder had changed.
    for (const dir of dirs) {
      await h.stack.clients.dynamodb.send(
        new UpdateItemCommand({
          TableName: h.stack.definition.table,
          Key: { pk: { S: `d#${dir}` }, sk: { S: "index.html" } },
          UpdateExpression: "SET #h = :h",
          ExpressionAttributeNames: { "#h": "hash" },
          ExpressionAttributeValues: { ":h": { S: "outdated" } },
        }),
      );
    }
    const runId = "20261202T010000000Z-bbbbbb";
    await putJson(h.stack.clients.s3, h.stack.definition.versionBucket, listingPageKey(runId, 0), dirs);
    // The first question sets the reserve (half of 1,000 ms); the 10th directory is the last to start.
    let asked = 0;
    const runningOut = { remainingMs: () => (asked++ < 10 ? 1_000 : 0) };
    const first = await generateListings({ runId, prefix: "budget/", page: 0 }, deps(), runningOut);
    assert.equal(first.next, 10);
    assert.equal(first.outcomes.written, 10);
    const rest = await generateListings({ runId, prefix: "budget/", page: 0, from: 10 }, deps());
    assert.equal(rest.next, null);
    assert.equal(rest.outcomes.written, 20);
    assert.deepEqual([...rest.changed].sort(), dirs, "the page's result holds both invocations' folders");
    for (const dir of dirs)
      assert.equal(
        (await getFile(h.stack.clients.dynamodb, h.stack.definition.table, `${dir}/index.html`))?.generated,
        true,
      );

    // The second invocation retried (its answer lost): its folders are already written, and still this run's.
    const retried = await generateListings({ runId, prefix: "budget/", page: 0, from: 10 }, deps());
    assert.equal(retried.outcomes.written, 20);
    assert.deepEqual([...retried.changed].sort(), dirs);
    // Another run finds them as they are: nothing to invalidate.
    const laterRun = "20261202T020000000Z-cccccc";
    await putJson(h.stack.clients.s3, h.stack.definition.versionBucket, listingPageKey(laterRun, 0), dirs);
    const later = await generateListings({ runId: laterRun, prefix: "budget/", page: 0 }, deps());
    assert.equal(later.outcomes.unchanged, 30);
    assert.deepEqual(later.changed, []);
  });
});

describe("a step that runs past its function's timeout", () => {
  test("fails as Lambda fails it (Sandbox.Timedout), and PostSync fails loudly", async () => {
    const h = await startHarness({ overrides: { functionTimeoutSeconds: { WorkflowsPostSyncPlanListings: 0.001 } } });
    try {
      const root = h.tempDir();
      writeTree(root, { "a/b.html": "b" });
      const result = await h.sync(h.config(root));
      assert.ok(result.postSyncExecutionArn);
      const execution = await h.stack.postSync.server.waitForExecution(result.postSyncExecutionArn, 60_000);
      assert.equal(execution.status, "FAILED");
      assert.equal(execution.error, "Sandbox.Timedout");
      assert.match(execution.cause ?? "", /timed out after 0\.00 seconds/);
    } finally {
      await h.close();
    }
  });
});

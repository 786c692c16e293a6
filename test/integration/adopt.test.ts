// `sitesync adopt` on the local stack: a bucket another tool filled with a copy of the tree is adopted
// into the index, and the first sync after it uploads exactly the files that changed after the copy.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readFileSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { ListObjectsV2Command, PutObjectCommand } from "@aws-sdk/client-s3";
import { getFile, queryDirectory } from "../../aws/index/files.ts";
import { silentLogger } from "../../core/logger.ts";
import { mtimeFromNs } from "../../core/mtime.ts";
import { checkpointPath } from "../../agent/adopt/adopt-checkpoint.ts";
import { AdoptInterruptedError, formatAdoptSummary, runAdopt, type AdoptOptions } from "../../agent/adopt/adopt.ts";
import type { AgentConfig } from "../../agent/config.ts";
import { SafetyGuardError } from "../../agent/sync/sync.ts";
import { countRequests, S3_WRITES, type RequestCounter } from "../support/counting.ts";
import { startHarness, writeTree, type Harness } from "../support/harness.ts";

/** When the other tool copied the tree: files are older than their objects. */
const COPIED = new Date(Date.UTC(2025, 0, 1));

const SITE: Record<string, string | Buffer> = {
  "index.html": "<!doctype html><title>Home</title>",
  "about.html": "<p>about us, new text</p>",
  "css/site.css": "body { color: #222 }",
  "js/app.js": "console.log('hi')",
  "images/logo.png": Buffer.from("89504e470d0a1a0a0000000d49484452", "hex"),
  "docs/index.html": "<h1>Docs</h1>",
  "docs/guide.html": "<p>guide</p>",
  "docs/api/index.html": "<h1>API</h1>",
  "docs/api/ref.html": "<p>reference</p>",
  "gallery/a.jpg": Buffer.from("ffd8ffe000104a464946", "hex"),
  "gallery/b.jpg": Buffer.from("ffd8ffe000104a4649460001", "hex"),
};

/** Listing pages the other tool generated for directories without an index.html of their own. */
const GENERATED_BY_MARKER = "gallery/index.html";
const GENERATED_BY_METADATA = "images/index.html";

describe("adopt on the local stack", () => {
  let h: Harness;
  let s3: RequestCounter;
  let bucket: string;

  before(async () => {
    // No rewrite copies: every upload the first sync makes is then one PutObject of one changed file.
    h = await startHarness({
      environment: (env) => {
        env.publishRules = { rewrites: [], cacheControl: [] };
      },
    });
    s3 = countRequests(h.stack.clients.s3);
    bucket = h.stack.definition.siteBucket;
  });
  after(() => h.close());

  /** What another tool does: plain PutObject of each file under the prefix. */
  const copyToBucket = async (
    prefix: string,
    files: Record<string, string | Buffer>,
    metadata: Record<string, Record<string, string>> = {},
  ) => {
    const entries = Object.entries(files);
    for (let i = 0; i < entries.length; i += 32) {
      await Promise.all(
        entries.slice(i, i + 32).map(([rel, body]) =>
          h.stack.clients.s3.send(
            new PutObjectCommand({
              Bucket: bucket,
              Key: `${prefix}${rel}`,
              Body: body,
              ...(metadata[rel] ? { Metadata: metadata[rel] } : {}),
            }),
          ),
        ),
      );
    }
  };

  const adopt = (config: AgentConfig, options: AdoptOptions = {}) =>
    runAdopt(config, h.stack.clients, silentLogger, options);

  /** A tree copied to the bucket, with two generated pages, one orphan and three files that differ. */
  const copiedSite = async (prefix: string) => {
    const root = h.tempDir();
    writeTree(root, SITE, COPIED);
    await copyToBucket(
      prefix,
      {
        // docs/api/ref.html is new since the copy
        ...Object.fromEntries(Object.entries(SITE).filter(([rel]) => rel !== "docs/api/ref.html")),
        "about.html": "<p>about us</p>", // the copy is of an older text
        [GENERATED_BY_MARKER]: "<html><body><!-- generated --><a href=a.jpg>a.jpg</a></body></html>",
        [GENERATED_BY_METADATA]: "<html><body>Index of images</body></html>",
        "old.html": "<p>gone from the tree</p>",
      },
      { [GENERATED_BY_METADATA]: { generated: "true" } },
    );
    // Edited after the copy, same size: only the mtime tells, and it is past the fudge.
    const later = new Date(Date.now() + 3 * 3600_000);
    utimesSync(join(root, "docs/guide.html"), later, later);
    return root;
  };

  test(`adoption indexes the copy as published, \
then the first sync uploads exactly the files changed after the copy`, async () => {
    const prefix = "copy/";
    const root = await copiedSite(prefix);
    const config = h.config(root, { prefix });

    s3.reset();
    const result = await adopt(config);
    assert.equal(s3.total(S3_WRITES), 0, "adoption never writes to a bucket");
    assert.equal(result.listed, Object.keys(SITE).length - 1 + 3);
    assert.equal(result.matched, Object.keys(SITE).length - 3);
    assert.equal(result.unmatched, 3, "about.html (size), docs/guide.html (mtime), docs/api/ref.html (absent)");
    assert.equal(result.generated, 2);
    assert.equal(result.orphans, 1);
    assert.deepEqual(result.orphanSample, [`${prefix}old.html`]);
    assert.equal(
      readFileSync(result.orphanList!, "utf8"),
      `${prefix}old.html\n`,
      "every orphan key is listed in a file",
    );
    assert.equal(result.repeated + result.recovered, 0);
    assert.ok(result.keysPerSecond > 0);
    assert.match(formatAdoptSummary(result), /matched +8 files indexed as published/);
    assert.equal(existsSync(checkpointPath(config.stateDir)), false, "a finished adoption leaves no checkpoint");

    const ddb = h.stack.clients.dynamodb;
    const table = h.stack.definition.table;
    const css = await getFile(ddb, table, `${prefix}css/site.css`);
    const st = statSync(join(root, "css/site.css"), { bigint: true });
    assert.ok(css && css.desired.op === "put");
    assert.equal(css.desired.version, `adopt-${result.runId}`);
    assert.equal(css.desired.run, result.runId);
    assert.equal(css.desired.size, Number(st.size));
    assert.equal(css.desired.mtime, mtimeFromNs(st.mtimeNs));
    assert.equal(css.desired.contentType, "text/css; charset=utf-8");
    assert.deepEqual(css.desired.source, { key: "" }, "the bytes are the site object itself");
    assert.equal(css.published?.version, css.desired.version);
    assert.deepEqual(css.published?.copies, []);
    assert.equal(
      await getFile(ddb, table, `${prefix}about.html`),
      undefined,
      "a file that differs is left for the sync",
    );
    assert.equal(await getFile(ddb, table, `${prefix}old.html`), undefined, "an orphan is only reported");
    for (const page of [GENERATED_BY_MARKER, GENERATED_BY_METADATA]) {
      const record = await getFile(ddb, table, `${prefix}${page}`);
      assert.equal(record?.generated, true, `${page} is indexed as a generated page`);
      assert.equal(record?.published?.version, record?.desired.version);
    }
    const markers: string[] = [];
    for await (const page of queryDirectory(ddb, table, "copy"))
      markers.push(...page.filter((e) => e.kind === "dir").map((e) => e.name));
    assert.deepEqual(markers.sort(), ["css", "docs", "gallery", "images", "js"]);

    // After the adoption: one file edited, one touched, one added.
    writeFileSync(join(root, "index.html"), "<!doctype html><title>Home, edited</title>");
    const touched = join(root, "docs/api/index.html");
    utimesSync(touched, new Date(), new Date());
    writeFileSync(join(root, "docs/api/added.html"), "<p>added</p>");
    const expected = [
      "about.html",
      "docs/guide.html",
      "docs/api/ref.html",
      "index.html",
      "docs/api/index.html",
      "docs/api/added.html",
    ].map((rel) => `${prefix}${rel}`);

    s3.reset();
    const sync = await h.publish(config);
    const puts = s3.requests.filter((r) => r.command === "PutObjectCommand" && r.bucket === bucket).map((r) => r.key!);
    // PostSync's own objects are not uploads of files: its error page, and the markers of the adopted
    // directories (an object at "dir" while keys under "dir/" exist), which adoption does not write.
    const uploads = puts.filter((k) => !k.startsWith(".sitesync/") && !puts.some((o) => o.startsWith(`${k}/`)));
    assert.equal(uploads.length, expected.length, `uploaded ${uploads.length} objects: ${uploads.join(", ")}`);
    assert.deepEqual(uploads.sort(), expected.sort());
    assert.equal(sync.plan.put, expected.length);
    assert.equal(
      sync.plan.delete + sync.plan.resend + sync.plan.mkdir,
      0,
      "no deletions, re-sends or new directory markers",
    );
    // Adoption knows no ctime or inode: the first sync records them for every other file, index only.
    assert.equal(sync.plan.record, Object.keys(SITE).length - 5, "every other file is unchanged (recorded)");

    for (const page of [GENERATED_BY_MARKER, GENERATED_BY_METADATA]) {
      assert.ok(await h.getObject(`${prefix}${page}`), `${page} is still published`);
      assert.equal((await getFile(ddb, table, `${prefix}${page}`))?.generated, true);
    }
    assert.ok(await h.getObject(`${prefix}old.html`), "without --delete an orphan stays");
    assert.deepEqual((await h.getObject(`${prefix}docs/api/added.html`))?.body, Buffer.from("<p>added</p>"));
    assert.deepEqual((await h.getObject(`${prefix}about.html`))?.body, Buffer.from(SITE["about.html"]!));

    const quiet = await h.sync(config);
    assert.equal(
      quiet.plan.put + quiet.plan.record + quiet.plan.delete + quiet.plan.resend + quiet.plan.mkdir,
      0,
      "then nothing is left to do",
    );
  });

  test("a dry run prints the same counts and changes nothing", async () => {
    const prefix = "dry/";
    const root = await copiedSite(prefix);
    const config = h.config(root, { prefix });
    s3.reset();
    const dry = await adopt(config, { dryRun: true, delete: true });
    assert.equal(dry.dryRun, true);
    assert.deepEqual([dry.listed, dry.matched, dry.unmatched, dry.generated, dry.orphans], [13, 8, 3, 2, 1]);
    assert.equal(dry.deletion, undefined);
    assert.match(formatAdoptSummary(dry), /^Dry run: .*nothing was changed/);
    assert.equal(s3.total(S3_WRITES), 0);
    const items: unknown[] = [];
    for await (const page of queryDirectory(h.stack.clients.dynamodb, h.stack.definition.table, "dry"))
      items.push(...page);
    assert.deepEqual(items, [], "no index items");
    assert.equal(existsSync(checkpointPath(config.stateDir)), false, "no checkpoint");
    assert.ok(await h.getObject(`${prefix}old.html`));
  });

  test("--delete queues orphan keys for deletion through the pipeline, behind the mass-deletion guard", async () => {
    const prefix = "orphans/";
    const root = h.tempDir();
    writeTree(root, SITE, COPIED);
    const orphans = ["old.html", "docs/removed.html", "archive/2019/report.pdf", "archive/index.html"];
    await copyToBucket(prefix, { ...SITE, ...Object.fromEntries(orphans.map((rel) => [rel, `orphan ${rel}`])) });

    const strict = h.config(root, { prefix, deleteGuard: { maxShare: 0.2, minFiles: 1 } });
    await assert.rejects(adopt(strict, { delete: true }), SafetyGuardError);
    for (const rel of orphans)
      assert.ok(await h.getObject(`${prefix}${rel}`), `${rel} is still there after the guard stopped`);

    // The listing was done and checkpointed: --resume --force only queues the deletions.
    s3.reset();
    const result = await adopt(strict, { delete: true, force: true, resume: true });
    assert.equal(result.resumed, true);
    assert.equal(s3.get("ListObjectsV2Command"), 0, "a finished listing is not listed again");
    assert.equal(result.orphans, orphans.length);
    assert.equal(result.deletion?.queued, orphans.length);
    await h.stack.waitForRun(result.deletion!.runId, 60_000);
    await h.stack.postSync.server.waitForExecution(result.deletion!.postSyncExecutionArn!, 60_000);

    for (const rel of orphans) assert.equal(await h.getObject(`${prefix}${rel}`), undefined, `${rel} was deleted`);
    assert.equal(
      await getFile(h.stack.clients.dynamodb, h.stack.definition.table, `${prefix}old.html`),
      undefined,
      "the tombstone is gone once applied",
    );
    const remaining = await h.listSiteFiles(prefix);
    assert.deepEqual(
      remaining,
      Object.keys(SITE)
        .map((rel) => `${prefix}${rel}`)
        .sort(),
      "every site file stays",
    );
    const next = await h.sync(h.config(root, { prefix }));
    assert.equal(
      next.plan.put + next.plan.delete + next.plan.resend + next.plan.rmdir,
      0,
      "the next sync finds nothing to do: the markers went with the run",
    );
  });

  test("an interrupted adoption resumes where it stopped and finishes the rest", async () => {
    const prefix = "resume/";
    const root = h.tempDir();
    const files: Record<string, string> = {};
    for (let d = 0; d < 12; d++)
      for (let f = 0; f < 5; f++) files[`d${String(d).padStart(2, "0")}/f${f}.txt`] = `file ${d}/${f}`;
    writeTree(root, files, COPIED);
    await copyToBucket(prefix, files);
    const config = h.config(root, { prefix });

    // Stop after the sixth directory's listing, as Ctrl-C would; directories in flight finish first.
    const controller = new AbortController();
    let listings = 0;
    const abortMidway =
      (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
        if (context.commandName === "ListObjectsV2Command" && ++listings === 6) controller.abort();
        return next(args);
      };
    h.stack.clients.s3.middlewareStack.add(abortMidway as never, { step: "initialize", name: "abortMidway" });
    try {
      await assert.rejects(adopt(config, { concurrency: 1, signal: controller.signal }), AdoptInterruptedError);
    } finally {
      h.stack.clients.s3.middlewareStack.remove("abortMidway");
    }
    const lines = readFileSync(checkpointPath(config.stateDir), "utf8").trim().split("\n");
    const finished = lines.length - 1;
    assert.ok(finished >= 5 && finished < 13, `the checkpoint holds the directories done (${finished} of 13)`);

    s3.reset();
    const resumed = await adopt(config, { resume: true });
    assert.equal(resumed.resumed, true);
    assert.equal(s3.get("ListObjectsV2Command"), 13 - finished, "only the directories not yet done are listed");
    assert.equal(resumed.listed, 60);
    assert.equal(resumed.matched, 60);
    assert.equal(resumed.directories, 13);
    for (const rel of Object.keys(files)) {
      const record = await getFile(h.stack.clients.dynamodb, h.stack.definition.table, `${prefix}${rel}`);
      assert.equal(record?.desired.version, `adopt-${resumed.runId}`, `${rel} is indexed by the one adoption run`);
    }
    assert.equal(existsSync(checkpointPath(config.stateDir)), false);
    const sync = await h.sync(config);
    assert.equal(sync.plan.put + sync.plan.mkdir, 0);
  });

  test("each key counts once although the local server's paged listing repeats and skips keys", async () => {
    const prefix = "paged/";
    const root = h.tempDir();
    const files: Record<string, string> = {};
    // fauxqs sorts with localeCompare but continues by code-unit order. In "skips/" the upper-case names sort
    // after a page of 1,000 lower-case ones yet before its last key, so page two never shows them; in
    // "repeats/" page two shows the lower-case names again.
    for (let i = 0; i < 1000; i++) files[`skips/a${String(i).padStart(4, "0")}.txt`] = "x";
    for (let i = 0; i < 50; i++) files[`skips/B${String(i).padStart(4, "0")}.txt`] = "x";
    for (let i = 0; i < 600; i++) files[`repeats/a${String(i).padStart(4, "0")}.txt`] = "x";
    for (let i = 0; i < 600; i++) files[`repeats/B${String(i).padStart(4, "0")}.txt`] = "x";
    writeTree(root, files, COPIED);
    await copyToBucket(prefix, files);

    const plain = async (dir: string) => {
      const keys: string[] = [];
      let token: string | undefined;
      do {
        const page = await h.stack.clients.s3.send(
          new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}${dir}/`, ContinuationToken: token }),
        );
        keys.push(...(page.Contents ?? []).map((o) => o.Key!));
        token = page.NextContinuationToken;
      } while (token);
      return keys;
    };
    const skipsListed = await plain("skips");
    const repeatsListed = await plain("repeats");
    assert.equal(new Set(skipsListed).size, 1000, "the server's own listing skips the 50 upper-case keys");
    assert.ok(repeatsListed.length > new Set(repeatsListed).size, "and repeats keys in the other directory");

    const result = await adopt(h.config(root, { prefix }));
    assert.equal(result.listed, 2250);
    assert.equal(result.matched, 2250, "every file is matched exactly once");
    assert.equal(result.recovered, 50, "the skipped keys were found one by one");
    assert.ok(result.repeated > 0);
    assert.equal(result.unmatched + result.orphans, 0);
  });
});

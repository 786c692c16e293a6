// The sync pipeline end to end on the local stack: agent → SQS → apply handler → S3 + index.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { readFileSync, rmSync, statSync, unlinkSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { getFile } from "../../aws/index/files.ts";
import { mtimeFromNs } from "../../core/mtime.ts";
import { startHarness, writeTree, type Harness } from "../support/harness.ts";
import { countRequests, S3_WRITES, type RequestCounter } from "../support/counting.ts";

const SITE = {
  "index.html": "<!doctype html><title>Home</title><link rel=stylesheet href=css/site.css>",
  "css/site.css": "body { color: #222 }",
  "js/app.js": "console.log('hi')",
  "images/logo.png": Buffer.from("89504e470d0a1a0a0000000d49484452", "hex"),
  "images/photo.jpg": Buffer.from("ffd8ffe000104a464946", "hex"),
  "docs/guide/intro.html": "<p>intro</p>",
  "docs/guide/data.json": '{"a":1}',
  "docs/readme.txt": "plain text",
  "fonts/site.woff2": Buffer.from("wOF2"),
  "feed.xml": "<rss/>",
  "files/report.pdf": "%PDF-1.4",
  LICENSE: "no extension",
  "bin/tool": Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00]),
};

const EXPECTED_TYPES: Record<string, string> = {
  "index.html": "text/html; charset=utf-8",
  "css/site.css": "text/css; charset=utf-8",
  "js/app.js": "text/javascript; charset=utf-8",
  "images/logo.png": "image/png",
  "images/photo.jpg": "image/jpeg",
  "docs/guide/intro.html": "text/html; charset=utf-8",
  "docs/guide/data.json": "application/json; charset=utf-8",
  "docs/readme.txt": "text/plain; charset=utf-8",
  "fonts/site.woff2": "font/woff2",
  "feed.xml": "application/xml; charset=utf-8",
  "files/report.pdf": "application/pdf",
  LICENSE: "text/plain; charset=utf-8", // no type of its own, and its bytes are text
  "bin/tool": "application/octet-stream", // nor this one, whose bytes are not
};

describe("sync on the local stack", () => {
  let h: Harness;
  let s3Requests: RequestCounter;
  let sqsRequests: RequestCounter;

  before(async () => {
    h = await startHarness({
      environment: (env) => {
        env.publishRules = {
          rewrites: [{ from: "docs/", to: ["mirror/docs/", "v2/docs/"] }],
          cacheControl: [{ match: "**/*.html", value: "max-age=60" }],
        };
      },
    });
    s3Requests = countRequests(h.stack.clients.s3);
    sqsRequests = countRequests(h.stack.clients.sqs);
  });
  after(() => h.close());

  test("first sync publishes every file with its bytes, Content-Type and key, and the index matches", async () => {
    const root = h.tempDir();
    writeTree(root, SITE);
    const config = h.config(root, { prefix: "first/" });
    const result = await h.publish(config);
    assert.equal(result.plan.put, Object.keys(SITE).length);
    assert.equal(result.publish?.entriesSent, Object.keys(SITE).length);

    for (const [rel, content] of Object.entries(SITE)) {
      const object = await h.getObject(`first/${rel}`);
      assert.ok(object, `first/${rel} is published`);
      assert.deepEqual(object.body, Buffer.from(content), `bytes of ${rel}`);
      assert.equal(object.contentType, EXPECTED_TYPES[rel], `Content-Type of ${rel}`);
      const st = statSync(join(root, rel), { bigint: true });
      const record = await getFile(h.stack.clients.dynamodb, h.stack.definition.table, `first/${rel}`);
      assert.ok(record && record.desired.op === "put", `index has ${rel}`);
      assert.equal(record.desired.size, Number(st.size));
      assert.equal(record.desired.mtime, mtimeFromNs(st.mtimeNs));
      assert.equal(record.published?.version, record.desired.version, `${rel} is recorded as published`);
    }
    assert.equal((await h.getObject("first/index.html"))?.cacheControl, "max-age=60");
    assert.equal((await h.getObject("first/css/site.css"))?.cacheControl, undefined);
    // Rewrite copies of docs/ exist under both extra prefixes, with the same bytes.
    assert.deepEqual(
      (await h.getObject("first/mirror/docs/guide/intro.html"))?.body,
      Buffer.from(SITE["docs/guide/intro.html"]),
    );
    assert.deepEqual((await h.getObject("first/v2/docs/readme.txt"))?.body, Buffer.from(SITE["docs/readme.txt"]));
    const keys = await h.listSiteFiles("first/");
    assert.equal(keys.length, Object.keys(SITE).length + 2 * 3, "site files plus two copies of each docs/ file");
  });

  test(`a same-size change with a new mtime is republished; \
an unchanged tree sends nothing and writes nothing`, async () => {
    const root = h.tempDir();
    writeTree(root, SITE);
    const config = h.config(root, { prefix: "change/" });
    await h.publish(config);

    s3Requests.reset();
    sqsRequests.reset();
    const quiet = await h.publish(config);
    assert.equal(quiet.plan.put + quiet.plan.delete + quiet.plan.resend, 0);
    assert.equal(sqsRequests.get("SendMessageBatchCommand"), 0, "no messages sent");
    assert.equal(s3Requests.total(S3_WRITES), 0, "no writes to S3");

    const path = join(root, "docs/readme.txt");
    writeFileSync(path, "PLAIN TEXT"); // same length as "plain text"
    const later = new Date(statSync(path).mtimeMs + 5_000);
    utimesSync(path, later, later);
    const changed = await h.publish(config);
    assert.equal(changed.plan.put, 1);
    assert.equal(changed.plan.byReason["put:changed"], 1);
    assert.deepEqual((await h.getObject("change/docs/readme.txt"))?.body, Buffer.from("PLAIN TEXT"));
    assert.deepEqual(
      (await h.getObject("change/mirror/docs/readme.txt"))?.body,
      Buffer.from("PLAIN TEXT"),
      "copies follow updates",
    );

    // An FTP client may set an *older* mtime on a new upload: any difference is a change.
    writeFileSync(path, "Plain Text");
    const earlier = new Date(Date.UTC(2001, 0, 1));
    utimesSync(path, earlier, earlier);
    const older = await h.publish(config);
    assert.equal(older.plan.put, 1);
    assert.deepEqual((await h.getObject("change/docs/readme.txt"))?.body, Buffer.from("Plain Text"));
  });

  test("deletes remove the key and its rewrite copies; --no-delete keeps them; the prefix is honoured", async () => {
    const root = h.tempDir();
    writeTree(root, SITE);
    const config = h.config(root, { prefix: "del/" });
    await h.publish(config);
    const other = h.config(h.tempDir(), { prefix: "other/" });
    writeTree(other.root, { "keep.txt": "other site" });
    await h.publish(other);

    unlinkSync(join(root, "docs/readme.txt"));
    const kept = await h.publish({ ...config, delete: false });
    assert.equal(kept.plan.delete, 0);
    assert.ok(await h.getObject("del/docs/readme.txt"), "--no-delete keeps the key");

    const deleted = await h.publish(config);
    assert.equal(deleted.plan.delete, 1);
    assert.equal(await h.getObject("del/docs/readme.txt"), undefined);
    assert.equal(await h.getObject("del/mirror/docs/readme.txt"), undefined, "copy under mirror/ removed");
    assert.equal(await h.getObject("del/v2/docs/readme.txt"), undefined, "copy under v2/ removed");
    assert.equal(await getFile(h.stack.clients.dynamodb, h.stack.definition.table, "del/docs/readme.txt"), undefined);

    // A whole directory removed: everything beneath it goes, and nothing outside the prefix is touched.
    rmSync(join(root, "docs"), { recursive: true });
    const dirGone = await h.publish(config);
    assert.equal(dirGone.plan.delete, 2);
    assert.deepEqual(await h.listKeys("del/docs/"), [], "files and the generated listings of the removed folders");
    assert.deepEqual(await h.listKeys("del/mirror/"), []);
    assert.ok(await h.getObject("other/keep.txt"), "the other prefix is untouched");
    assert.ok(await h.getObject("del/index.html"));
    const after = await h.publish(config);
    assert.equal(after.plan.put + after.plan.delete + after.plan.resend, 0, "the next run finds nothing to do");
  });

  test("names with spaces, + % # ?, NFC and NFD unicode, non-UTF-8 bytes and a newline get stable keys", async () => {
    const root = h.tempDir();
    const names = [
      "a b.txt",
      "c++ guide.txt",
      "100% sure.txt",
      "hash#tag.txt",
      "why?.txt",
      "caf\u00e9.txt",
      "cafe\u0301.txt",
      "日本語/ページ.html",
      "line\nbreak.txt",
    ];
    writeTree(root, Object.fromEntries(names.map((n) => [n, `content of ${n}`])));
    // A Latin-1 name, as an old FTP client writes it: bytes that are not UTF-8.
    const latin1 = Buffer.concat([
      Buffer.from(`${root}/`),
      Buffer.from([0x72, 0xe9, 0x73, 0x75, 0x6d, 0xe9]),
      Buffer.from(".txt"),
    ]);
    writeFileSync(latin1, "latin-1 name");
    const config = h.config(root, { prefix: "names/", nameEncoding: "latin1" });
    const first = await h.publish(config);
    assert.equal(first.plan.put, names.length + 1);
    for (const name of names) {
      assert.deepEqual(
        (await h.getObject(`names/${name}`))?.body,
        Buffer.from(`content of ${name}`),
        JSON.stringify(name),
      );
    }
    assert.deepEqual((await h.getObject("names/r\u00e9sum\u00e9.txt"))?.body, Buffer.from("latin-1 name"));
    const keys = await h.listSiteFiles("names/");
    assert.ok(
      keys.includes("names/caf\u00e9.txt") && keys.includes("names/cafe\u0301.txt"),
      "NFC and NFD stay two keys",
    );
    assert.equal(keys.length, names.length + 1);
    const second = await h.publish(config);
    assert.equal(second.plan.put + second.plan.delete + second.plan.resend, 0, "keys are stable between runs");

    unlinkSync(join(root, "line\nbreak.txt"));
    unlinkSync(latin1);
    const third = await h.publish(config);
    assert.equal(third.plan.delete, 2);
    assert.equal(await h.getObject("names/line\nbreak.txt"), undefined, "a key with a newline is deleted too");
    assert.equal(await h.getObject("names/r\u00e9sum\u00e9.txt"), undefined);
  });

  test("excludes and dot files are left out, and leaving one out later deletes it from the site", async () => {
    const root = h.tempDir();
    writeTree(root, {
      "index.html": "home",
      ".htaccess": "secret",
      ".git/config": "x",
      "drafts/wip.html": "wip",
      "a.tmp": "tmp",
      "keep.css": "k",
    });
    const config = h.config(root, { prefix: "excl/", exclude: ["**/*.tmp", "drafts/**"] });
    const first = await h.publish(config);
    assert.deepEqual(await h.listSiteFiles("excl/"), ["excl/index.html", "excl/keep.css"]);
    assert.equal(first.plan.put, 2);
    const later = await h.publish({ ...config, exclude: [...config.exclude, "*.css"] });
    assert.equal(later.plan.delete, 1);
    assert.deepEqual(await h.listSiteFiles("excl/"), ["excl/index.html"]);
    const withDots = await h.publish({ ...config, dotFiles: { publish: ["**"] } });
    assert.equal(withDots.plan.put, 2, "dot files published when included: .git/config and keep.css again");
    assert.equal((await h.getObject("excl/.git/config"))?.body.toString(), "x");
    assert.equal(await h.getObject("excl/.htaccess"), undefined, "an .htaccess never is");
  });

  test("entries indexed by a run that died before sending are sent by the next run", async () => {
    const root = h.tempDir();
    writeTree(root, { "a.html": "A", "b/c.html": "C" });
    const config = h.config(root, { prefix: "crash/" });
    // A queue that does not exist: staging and the index writes succeed, sending fails, the run dies.
    const broken = { ...config, queueUrl: config.queueUrl.replace(/[^/]+$/, "no-such-queue") };
    await assert.rejects(h.sync(broken));
    assert.deepEqual(await h.listKeys("crash/"), []);
    const record = await getFile(h.stack.clients.dynamodb, h.stack.definition.table, "crash/a.html");
    assert.ok(record && !record.published, "the index holds the unsent desired state");

    const next = await h.publish(config);
    assert.equal(next.plan.resend, 2, "the next run re-sends what the dead run indexed");
    assert.equal(next.plan.put, 0, "without staging the bytes again");
    assert.equal((await h.getObject("crash/a.html"))?.body.toString(), "A");
    assert.equal((await h.getObject("crash/b/c.html"))?.body.toString(), "C");
    const after = await h.publish(config);
    assert.equal(after.plan.put + after.plan.delete + after.plan.resend, 0);
  });

  test("a dry run prints the plan and changes nothing", async () => {
    const root = h.tempDir();
    writeTree(root, { "a.html": "a", "b/c.css": "c" });
    const config = h.config(root, { prefix: "dry/" });
    s3Requests.reset();
    sqsRequests.reset();
    const result = await h.sync(config, { dryRun: true });
    assert.equal(result.dryRun, true);
    assert.equal(result.plan.put, 2);
    assert.deepEqual(result.preview.map((op) => op.op === "put" && op.key).sort(), ["dry/a.html", "dry/b/c.css"]);
    assert.equal(s3Requests.total(S3_WRITES), 0);
    assert.equal(sqsRequests.get("SendMessageBatchCommand"), 0);
    assert.deepEqual(await h.listKeys("dry/"), []);
    assert.equal(readFileSync(join(root, "a.html"), "utf8"), "a");
  });
});

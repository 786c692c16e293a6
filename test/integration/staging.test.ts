// What staging costs and how it carries bytes: packs for small files (about one S3 write per changed
// file in all), objects of their own for large ones.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { startHarness, writeTree, type Harness } from "../support/harness.ts";
import { countRequests, S3_WRITES, type RequestCounter } from "../support/counting.ts";

describe("staging", () => {
  let h: Harness;
  let s3: RequestCounter;

  before(async () => {
    h = await startHarness();
    s3 = countRequests(h.stack.clients.s3);
  });
  after(() => h.close());

  test("1,000 changed small files cost close to one S3 write each", async () => {
    const root = h.tempDir();
    const files = Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`d${i % 20}/f${i}.html`, `<p>${i} ${"x".repeat(i % 300)}</p>`]));
    writeTree(root, files);
    const config = h.config(root, { prefix: "cost/" });
    s3.reset();
    const first = await h.publish(config);
    assert.equal(first.plan.put, 1000);
    const firstWrites = s3.total(S3_WRITES);

    const later = new Date(Date.now() + 60_000);
    for (const [rel, content] of Object.entries(files)) {
      writeFileSync(join(root, rel), content.toUpperCase());
      utimesSync(join(root, rel), later, later);
    }
    s3.reset();
    const second = await h.publish(config);
    assert.equal(second.plan.put, 1000);
    const writesPerFile = s3.total(S3_WRITES) / 1000;
    assert.ok(firstWrites / 1000 <= 1.01, `first sync: ${firstWrites} writes for 1,000 files`);
    assert.ok(writesPerFile <= 1.01, `changed files: ${s3.total(S3_WRITES)} writes for 1,000 files`);
    assert.ok(writesPerFile >= 1, "every file is written to the site once");
    assert.equal((await h.getObject("cost/d7/f7.html"))?.body.toString(), `<P>7 ${"X".repeat(7)}</P>`);
    console.log(`# S3 writes per changed file: ${writesPerFile.toFixed(3)} (${JSON.stringify(Object.fromEntries(s3.counts))})`);
  });

  test("large files are staged as objects of their own (multipart) and copied byte-exact", async () => {
    const root = h.tempDir();
    const big = randomBytes(12 * 1024 * 1024 + 123);
    const medium = randomBytes(300_000);
    writeTree(root, { "video/big.mp4": big, "files/medium.bin": medium, "small.txt": "small" });
    const config = h.config(root, { prefix: "large/", pack: { largeFileBytes: 200_000, maxBytes: 1_000_000 } });
    s3.reset();
    const result = await h.publish(config);
    assert.equal(result.publish?.largeObjects, 2);
    assert.equal(result.publish?.packs, 1);
    assert.ok(s3.get("UploadPartCommand") >= 2, "the 12 MiB file went up in parts");
    assert.equal(s3.get("CopyObjectCommand"), 2, "large files reach the site by server-side copy");
    const got = await h.getObject("large/video/big.mp4");
    assert.equal(got?.contentType, "video/mp4");
    assert.ok(got && got.body.equals(big), "12 MiB file byte-exact");
    assert.ok((await h.getObject("large/files/medium.bin"))?.body.equals(medium));
    assert.equal((await h.getObject("large/small.txt"))?.body.toString(), "small");
  });
});

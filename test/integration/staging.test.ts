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
    const files = Object.fromEntries(
      Array.from({ length: 1000 }, (_, i) => [`d${i % 20}/f${i}.html`, `<p>${i} ${"x".repeat(i % 300)}</p>`]),
    );
    writeTree(root, files);
    const config = h.config(root, { prefix: "cost/" });
    s3.reset();
    const first = await h.publish(config);
    assert.equal(first.plan.put, 1000);
    const firstWrites = s3.total(S3_WRITES);
    assert.ok(firstWrites / 1000 <= 1.05, `first sync: ${firstWrites} writes for 1,000 files`);

    const later = new Date(Date.now() + 60_000);
    for (const [rel, content] of Object.entries(files)) {
      writeFileSync(join(root, rel), content.toUpperCase());
      utimesSync(join(root, rel), later, later);
    }
    s3.reset();
    const second = await h.publish(config);
    assert.equal(second.plan.put, 1000);
    // The pipeline's writes for the files themselves: staging (packs) and the site objects. PostSync adds
    // per-run and per-directory writes (the changed-keys page, 21 listings), reported beside them.
    const writes = s3.requests.filter((r) => S3_WRITES.includes(r.command));
    const listings = writes.filter(
      (r) => r.bucket === h.stack.definition.siteBucket && r.key?.endsWith("/index.html"),
    ).length;
    const runArtifacts = writes.filter((r) => r.key?.startsWith("runs/")).length;
    const fileWrites = writes.length - listings - runArtifacts;
    assert.ok(firstWrites > 0);
    assert.ok(fileWrites / 1000 <= 1.01, `changed files: ${fileWrites} writes for 1,000 files`);
    assert.ok(fileWrites / 1000 >= 1, "every file is written to the site once");
    assert.ok(writes.length / 1000 <= 1.05, `with PostSync: ${writes.length} writes for 1,000 files`);
    assert.equal((await h.getObject("cost/d7/f7.html"))?.body.toString(), `<P>7 ${"X".repeat(7)}</P>`);
    console.log(
      `# S3 writes per changed file: ${(fileWrites / 1000).toFixed(3)} (staging + site); ` +
        `${(writes.length / 1000).toFixed(3)} with PostSync's ${listings} listings and ${runArtifacts} run artifacts`,
    );
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
    assert.ok(got?.body.equals(big), "12 MiB file byte-exact");
    assert.ok((await h.getObject("large/files/medium.bin"))?.body.equals(medium));
    assert.equal((await h.getObject("large/small.txt"))?.body.toString(), "small");
  });
});

// How the agent splits a large file into multipart-upload parts: S3 takes at most 10,000 parts of 5 MiB to
// 5 GiB each, for objects up to 5 TiB, and the host must not buffer more than a few parts at once. And what a
// staging read returns: the bytes' SHA-256 and the status they were read at, or "settling", unread.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { digestLargeFile, readStable } from "../../agent/sync/stage.ts";
import { stagingUploadShape } from "../../aws/version-store-uploads.ts";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const TiB = 1024 * GiB;

describe("stagingUploadShape(size)", () => {
  for (const size of [4 * MiB, 100 * MiB, 5 * GiB + 1, 78 * GiB, 80 * GiB, 500 * GiB, 5 * TiB]) {
    test(`${size} bytes fit in at most 10,000 parts of 5 MiB to 5 GiB, with bounded memory`, () => {
      const { partSize, queueSize } = stagingUploadShape(size);
      assert.ok(Math.ceil(size / partSize) <= 10_000, `${Math.ceil(size / partSize)} parts`);
      assert.ok(partSize >= 5 * MiB && partSize <= 5 * GiB, `part size ${partSize}`);
      assert.ok(queueSize >= 1, "at least one part in flight");
      assert.ok(partSize * queueSize <= Math.max(32 * MiB, partSize), `${partSize * queueSize} bytes buffered`);
    });
  }

  test("ordinary large files keep 8 MiB parts, four in flight", () => {
    assert.deepEqual(stagingUploadShape(200 * MiB), { partSize: 8 * MiB, queueSize: 4 });
  });

  test("a file just over 78 GiB, which 8 MiB parts cannot carry, gets larger parts", () => {
    const size = 80 * GiB;
    assert.ok(Math.ceil(size / (8 * MiB)) > 10_000, "8 MiB parts would need more than 10,000");
    assert.ok(stagingUploadShape(size).partSize > 8 * MiB);
  });
});

describe("reading a file for staging", () => {
  const dir = mkdtempSync(join(tmpdir(), "sitesync-stage-"));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const path = (name: string) => Buffer.from(join(dir, name));

  test("a read returns the bytes, their SHA-256 and the status they were read at", async () => {
    writeFileSync(join(dir, "a.txt"), "hello");
    const st = statSync(join(dir, "a.txt"), { bigint: true });
    const read = await readStable(path("a.txt"), 1024);
    assert.ok(read.ok);
    assert.equal(read.bytes.toString(), "hello");
    assert.equal(read.sha256, createHash("sha256").update("hello").digest("hex"));
    assert.equal(read.looksText, true, "its first bytes are text");
    assert.deepEqual(
      { size: read.size, mtime: read.mtime, ctime: read.ctime, ino: read.ino },
      { size: 5, mtime: `${st.mtimeNs}`, ctime: `${st.ctimeNs}`, ino: `${st.ino}` },
    );
  });

  test("a large file is digested as a stream to the same SHA-256, without storing it", async () => {
    const bytes = randomBytes(3 * 1024 * 1024 + 17);
    writeFileSync(join(dir, "big.bin"), bytes);
    const digested = await digestLargeFile(path("big.bin"));
    assert.ok(digested.ok);
    assert.equal(digested.sha256, createHash("sha256").update(bytes).digest("hex"));
    assert.equal(digested.size, bytes.length);
    assert.equal(digested.looksText, false, "random bytes are no text");
  });

  test("a large file's first bytes, as streamed, say whether it is text", async () => {
    writeFileSync(join(dir, "big-log"), "a line of a log\n".repeat(300_000));
    const digested = await digestLargeFile(path("big-log"));
    assert.ok(digested.ok);
    assert.equal(digested.looksText, true);
  });

  test("a file within the settle window is left unread, as settling", async () => {
    writeFileSync(join(dir, "new.txt"), "still uploading");
    const seen: Array<{ mtime: string; ctime: string }> = [];
    const settling = (times: { mtime: string; ctime: string }) => {
      seen.push(times);
      return true;
    };
    const read = await readStable(path("new.txt"), 1024, settling);
    assert.deepEqual(read, {
      ok: false,
      reason: "settling",
      detail: "modified within the settle window; left for the next run",
    });
    assert.equal(seen.length, 1, "asked once, before reading");
    const large = await digestLargeFile(path("new.txt"), settling);
    assert.equal(large.ok ? "read" : large.reason, "settling");
  });
});

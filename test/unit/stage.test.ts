// How the agent splits a large file into multipart-upload parts: S3 takes at most 10,000 parts of 5 MiB to
// 5 GiB each, for objects up to 5 TiB, and the host must not buffer more than a few parts at once. And what a
// staging read returns: the bytes' SHA-256 and the status they were read at, or "settling", unread; a file
// over the limit, gone, a link, not a regular file or unreadable is refused with its reason, and no file is
// left open. A file that changes while it is read (readStable) is never published as read: its size, mtime
// and ctime are compared before and after the read; a change means another read, and a file still changing
// after three reads is left for the next run.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import {
  appendFileSync,
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  rmSync,
  statSync,
  symlinkSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { digestLargeFile, readStable } from "../../agent/sync/stage.ts";
import { stagingUploadShape } from "../../aws/version-store-uploads.ts";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const TiB = 1024 * GiB;

const sha256 = (bytes: string | Buffer) => createHash("sha256").update(bytes).digest("hex");

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
  let pages = 0;
  /** A new file of its own in the directory, holding "first". */
  const page = () => {
    const name = `page-${++pages}.html`;
    writeFileSync(join(dir, name), "first");
    return path(name);
  };

  test("a read returns the bytes, their SHA-256 and the status they were read at", async () => {
    writeFileSync(join(dir, "a.txt"), "hello");
    const st = statSync(join(dir, "a.txt"), { bigint: true });
    const read = await readStable(path("a.txt"), 1024);
    assert.ok(read.ok);
    assert.equal(read.bytes.toString(), "hello");
    assert.equal(read.sha256, sha256("hello"));
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
    assert.equal(digested.sha256, sha256(bytes));
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

  test("the settle check is asked about the file's own mtime and ctime, in nanoseconds", async () => {
    const file = page();
    const st = statSync(file, { bigint: true });
    let asked: unknown;
    await readStable(file, 1_000_000, (times) => {
      asked = times;
      return false;
    });
    assert.deepEqual(asked, { mtime: st.mtimeNs.toString(), ctime: st.ctimeNs.toString() });
  });

  test("no file is left open, whatever the outcome", { skip: !existsSync("/proc/self/fd") }, async () => {
    const file = page();
    const open = () => readdirSync("/proc/self/fd").length;
    const before = open();
    await readStable(file, 1_000_000);
    await readStable(file, 1);
    await readStable(Buffer.from(dir), 10);
    await readStable(file, 1_000_000, () => true);
    await readStable(file, 1_000_000, () => {
      appendFileSync(file, "+");
      return false;
    });
    assert.equal(open(), before);
  });

  test("any other failure is unreadable, with its code and message", async () => {
    const result = await readStable(path("n".repeat(300)), 10);
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.reason === "unreadable", JSON.stringify(result));
    assert.match(result.detail, /^ENAMETOOLONG: ENAMETOOLONG: name too long, open '.+'$/);
  });

  test("a file over the limit is refused before it is read; at the limit it is read", async () => {
    const file = page();
    assert.deepEqual(await readStable(file, 4), { ok: false, reason: "grew", detail: "now 5 bytes" });
    assert.equal((await readStable(file, 5)).ok, true);
  });

  test("gone, a link or not a file: vanished, each with its reason", async () => {
    const file = page();
    assert.deepEqual(await readStable(path("absent"), 10), {
      ok: false,
      reason: "vanished",
      detail: "deleted or moved since the scan, before it could be read; the next run takes the tree as it is then",
    });
    symlinkSync(file, join(dir, "link"));
    assert.deepEqual(await readStable(path("link"), 10), {
      ok: false,
      reason: "vanished",
      detail: "replaced by a symbolic link, which is never followed",
    });
    assert.deepEqual(await readStable(Buffer.from(dir), 10), {
      ok: false,
      reason: "vanished",
      detail: "no longer a regular file",
    });
  });

  // The settle check, which runs between the first status and the read, is where these tests change the file.
  describe("a file that changes while read", () => {
    const changes: Array<[string, (file: Buffer, attempt: number) => void]> = [
      ["grows", (file) => appendFileSync(file, "+")],
      ["gets another mtime, same size", (file, n) => utimesSync(file, 1_600_000_000 + n, 1_600_000_000 + n)],
      ["only its ctime moves (a chmod)", (file, n) => chmodSync(file, n % 2 === 0 ? 0o600 : 0o644)],
    ];
    for (const [how, change] of changes) {
      test(`${how} once: read again, and what is returned is the second read`, async () => {
        const file = page();
        let calls = 0;
        const result = await readStable(file, 1_000_000, () => {
          if (calls++ === 0) change(file, calls);
          return false;
        });
        assert.equal(calls, 2, "a second read");
        assert.ok(result.ok);
        const text = result.bytes.toString();
        assert.equal(result.sha256, sha256(text));
        assert.equal(result.size, text.length);
      });

      test(`${how} at every read: left for the next run after three`, async () => {
        const file = page();
        let calls = 0;
        const result = await readStable(file, 1_000_000, () => {
          change(file, ++calls);
          return false;
        });
        assert.equal(calls, 3);
        assert.deepEqual(result, {
          ok: false,
          reason: "unstable",
          detail: "still changing after 3 reads; left for the next run",
        });
      });
    }

    test("an unchanged file is read once, with the status it was read at", async () => {
      const file = page();
      let calls = 0;
      const result = await readStable(file, 1_000_000, () => {
        calls++;
        return false;
      });
      assert.equal(calls, 1);
      assert.ok(result.ok);
      assert.equal(result.bytes.toString(), "first");
      assert.equal(result.size, 5);
    });
  });
});

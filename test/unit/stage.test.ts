// How the agent splits a large file into multipart-upload parts: S3 takes at most 10,000 parts of 5 MiB to
// 5 GiB each, for objects up to 5 TiB, and the host must not buffer more than a few parts at once. And what a
// staging read returns: the bytes' SHA-256 and the status they were read at, or "settling", unread; a file
// over the limit, gone, a link, not a regular file or unreadable is refused with its reason (a permission error
// with its fix), and no file is left open. A file that changes while it is read (readStable) is never published
// as read: its size, mtime, ctime and inode number are compared before and after the read, and the bytes read
// with its size; a change means another read, and a file still changing after three reads is left for the next
// run.
import { after, describe, type TestContext, test } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import {
  type BigIntStats,
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
import { type FileHandle, open } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { digestLargeFile, readStable } from "../../agent/sync/stage.ts";
import { stagingUploadShape } from "../../aws/version-store-uploads.ts";

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const TiB = 1024 * GiB;

const sha256 = (bytes: string | Buffer) => createHash("sha256").update(bytes).digest("hex");

const PERMISSION_FIX = "let the user sitesync runs as read it (chmod or chown), or exclude it";

const UNSTABLE = { ok: false, reason: "unstable", detail: "still changing after 3 reads; left for the next run" };

/**
 * The prototype of every file handle, readStable's included: where a test makes the filesystem answer what it
 * cannot be made to answer on demand (a failing disk, a status moved in one field alone).
 */
async function fileHandlePrototype(): Promise<FileHandle> {
  const handle = await open(tmpdir());
  await handle.close();
  return Object.getPrototypeOf(handle);
}

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

  test("a file its user may not read is unreadable, with the fix", async () => {
    const file = page();
    chmodSync(file, 0o000);
    chmodSync(dir, 0o711);
    // Permission bits do not stop root (CI runs as root): root reads as the account "nobody", which the
    // directory lets through, so that what refuses it is the file's own bits.
    const asRoot = process.geteuid?.() === 0;
    if (asRoot) process.seteuid?.(65534);
    let result: Awaited<ReturnType<typeof readStable>>;
    try {
      result = await readStable(file, 1_000_000);
    } finally {
      if (asRoot) process.seteuid?.(0);
    }
    assert.deepEqual(result, {
      ok: false,
      reason: "unreadable",
      detail: `EACCES: EACCES: permission denied, open '${file}'; ${PERMISSION_FIX}`,
    });
  });

  // A file that opens may still fail to read: a network or FUSE mount may refuse it, a disk may fail under it.
  describe("a read that fails", () => {
    const errors: Array<[string, Error, string]> = [
      [
        "EPERM, a mount refusing the read: with the fix",
        Object.assign(new Error("EPERM: operation not permitted, read"), { code: "EPERM" }),
        `EPERM: EPERM: operation not permitted, read; ${PERMISSION_FIX}`,
      ],
      [
        "EIO, a failing disk: its code, without the permission fix",
        Object.assign(new Error("EIO: i/o error, read"), { code: "EIO" }),
        "EIO: EIO: i/o error, read",
      ],
      ["an error with no code: named as an error", new Error("stream ended early"), "error: stream ended early"],
    ];
    for (const [what, error, detail] of errors) {
      test(`${what}; unreadable, not read again`, async (t) => {
        const file = page();
        const reads = t.mock.method(await fileHandlePrototype(), "readFile", async () => {
          throw error;
        });
        assert.deepEqual(await readStable(file, 1_000_000), { ok: false, reason: "unreadable", detail });
        assert.equal(reads.mock.callCount(), 1);
      });
    }
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

    // Every write moves the ctime, but on a clock coarser than the writes (the kernel's tick, a network mount's
    // own) a change within one tick leaves it as it was: a write shows only in the size, a client setting the
    // mtime (FTP's MFMT) only in the mtime. And overlayfs over layers on different filesystems reports another
    // inode number once a write copies the file up. No filesystem here does so on demand, so the handle's stat
    // reports it: the status before a read has one field moved.
    const moves: Array<[string, (st: BigIntStats) => Partial<BigIntStats>]> = [
      ["only its size moves", (st) => ({ size: st.size - 1n })],
      ["only its mtime moves", (st) => ({ mtimeNs: st.mtimeNs - 1_000_000n })],
      ["only its inode number moves", (st) => ({ ino: st.ino + 1n })],
    ];
    for (const [how, move] of moves) {
      const reporting = async (t: TestContext, movedAt: (call: number) => boolean) => {
        const prototype = await fileHandlePrototype();
        const stat = prototype.stat;
        let calls = 0;
        t.mock.method(prototype, "stat", async function (this: FileHandle) {
          const st = (await stat.call(this, { bigint: true })) as BigIntStats;
          return movedAt(calls++) ? Object.assign(st, move(st)) : st;
        });
      };

      test(`${how} once: read again, and what is returned is the second read`, async (t) => {
        const file = page();
        const st = statSync(file, { bigint: true });
        await reporting(t, (call) => call === 0);
        let reads = 0;
        const result = await readStable(file, 1_000_000, () => {
          reads++;
          return false;
        });
        assert.equal(reads, 2, "a second read");
        assert.ok(result.ok);
        assert.deepEqual(
          { size: result.size, mtime: result.mtime, ino: result.ino, sha256: result.sha256 },
          { size: 5, mtime: `${st.mtimeNs}`, ino: `${st.ino}`, sha256: sha256("first") },
        );
      });

      test(`${how} at every read: left for the next run after three`, async (t) => {
        const file = page();
        // Each read takes two statuses, before and after; the one before is moved.
        await reporting(t, (call) => call % 2 === 0);
        assert.deepEqual(await readStable(file, 1_000_000), UNSTABLE);
      });
    }

    // /proc's files report a size of 0 and hold more: bytes that are not the size the status gives are not known
    // to be the whole file, whatever the times say.
    test("bytes that are not the size its status gives (a /proc file): left for the next run", {
      skip: !existsSync("/proc/self/status"),
    }, async () => {
      assert.equal(statSync("/proc/self/status").size, 0);
      assert.deepEqual(await readStable(Buffer.from("/proc/self/status"), 1_000_000), UNSTABLE);
    });

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

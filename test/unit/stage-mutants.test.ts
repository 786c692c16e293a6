// A file that changes while it is read is never published as read (agent/sync/stage.ts readStable): its
// size, mtime and ctime are compared before and after the read; a change means another read, and a file
// still changing after three reads is left for the next run. The settle check, which runs between the
// first status and the read, is where these tests change the file.
import { describe, test } from "node:test";
import assert from "node:assert/strict";
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
import { createHash } from "node:crypto";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readStable } from "../../agent/sync/stage.ts";

function tree() {
  const dir = mkdtempSync(join(tmpdir(), "sitesync-stage-m-"));
  const path = join(dir, "page.html");
  writeFileSync(path, "first");
  return { dir, path, done: () => rmSync(dir, { recursive: true }) };
}

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

describe("readStable: a file that changes while read", () => {
  const changes: Array<[string, (path: string, attempt: number) => void]> = [
    ["grows", (path) => appendFileSync(path, "+")],
    ["gets another mtime, same size", (path, n) => utimesSync(path, 1_600_000_000 + n, 1_600_000_000 + n)],
    ["only its ctime moves (a chmod)", (path, n) => chmodSync(path, n % 2 === 0 ? 0o600 : 0o644)],
  ];
  for (const [how, change] of changes) {
    test(`${how} once: read again, and what is returned is the second read`, async () => {
      const { path, done } = tree();
      let calls = 0;
      const result = await readStable(Buffer.from(path), 1_000_000, () => {
        if (calls++ === 0) change(path, calls);
        return false;
      });
      assert.equal(calls, 2, "a second read");
      assert.ok(result.ok);
      const text = result.bytes.toString();
      assert.equal(result.sha256, sha256(text));
      assert.equal(result.size, text.length);
      done();
    });

    test(`${how} at every read: left for the next run after three`, async () => {
      const { path, done } = tree();
      let calls = 0;
      const result = await readStable(Buffer.from(path), 1_000_000, () => {
        change(path, ++calls);
        return false;
      });
      assert.equal(calls, 3);
      assert.deepEqual(result, {
        ok: false,
        reason: "unstable",
        detail: "still changing after 3 reads; left for the next run",
      });
      done();
    });
  }

  test("an unchanged file is read once, with the status it was read at", async () => {
    const { path, done } = tree();
    let calls = 0;
    const result = await readStable(Buffer.from(path), 1_000_000, () => {
      calls++;
      return false;
    });
    assert.equal(calls, 1);
    assert.ok(result.ok);
    assert.equal(result.bytes.toString(), "first");
    assert.equal(result.size, 5);
    done();
  });

  test("the settle check is asked about the file's own mtime and ctime, in nanoseconds", async () => {
    const { path, done } = tree();
    const st = statSync(path, { bigint: true });
    let asked: unknown;
    await readStable(Buffer.from(path), 1_000_000, (times) => {
      asked = times;
      return false;
    });
    assert.deepEqual(asked, { mtime: st.mtimeNs.toString(), ctime: st.ctimeNs.toString() });
    done();
  });

  test("no file is left open, whatever the outcome", { skip: !existsSync("/proc/self/fd") }, async () => {
    const { dir, path, done } = tree();
    const open = () => readdirSync("/proc/self/fd").length;
    const before = open();
    await readStable(Buffer.from(path), 1_000_000);
    await readStable(Buffer.from(path), 1);
    await readStable(Buffer.from(dir), 10);
    await readStable(Buffer.from(path), 1_000_000, () => true);
    await readStable(Buffer.from(path), 1_000_000, () => {
      appendFileSync(path, "+");
      return false;
    });
    assert.equal(open(), before);
    done();
  });

  test("any other failure is unreadable, with its code and message", async () => {
    const { dir, done } = tree();
    const result = await readStable(Buffer.from(join(dir, "n".repeat(300))), 10);
    assert.equal(result.ok, false);
    assert.ok(!result.ok && result.reason === "unreadable", JSON.stringify(result));
    assert.match(result.detail, /^ENAMETOOLONG: ENAMETOOLONG: name too long, open '.+'$/);
    done();
  });

  test("a file over the limit is refused before it is read; at the limit it is read", async () => {
    const { path, done } = tree();
    assert.deepEqual(await readStable(Buffer.from(path), 4), { ok: false, reason: "grew", detail: "now 5 bytes" });
    assert.equal((await readStable(Buffer.from(path), 5)).ok, true);
    done();
  });

  test("gone, a link or not a file: vanished, each with its reason", async () => {
    const { dir, path, done } = tree();
    assert.deepEqual(await readStable(Buffer.from(join(dir, "absent")), 10), {
      ok: false,
      reason: "vanished",
      detail: "deleted or moved since the scan, before it could be read; the next run takes the tree as it is then",
    });
    symlinkSync(path, join(dir, "link"));
    assert.deepEqual(await readStable(Buffer.from(join(dir, "link")), 10), {
      ok: false,
      reason: "vanished",
      detail: "replaced by a symbolic link, which is never followed",
    });
    assert.deepEqual(await readStable(Buffer.from(dir), 10), {
      ok: false,
      reason: "vanished",
      detail: "no longer a regular file",
    });
    done();
  });
});

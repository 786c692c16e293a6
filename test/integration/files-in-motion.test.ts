// Files in motion: a writer in a process of its own (test/support/motion-writer.ts) appends to files, rewrites
// them in place at the same size (some with their old mtime set back), truncates and writes them again,
// replaces them by a rename, and renames and deletes whole directories, while real syncs of a few thousand
// files run. The writer logs every complete version of every file; a half-written state is never one.
//
// While it writes, the bucket only ever holds complete versions that existed on disk: every object the syncs
// published, and every PUT the apply handler made, is checked by content against the versions of its path. A
// file still changing is left for a later run. Once the writer stops and the settle window has passed, one
// more run makes the bucket equal to the tree byte for byte, the index equal to the bucket, and the run after
// that finds nothing to do.
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import type { AwsCall } from "../../aws/clients.ts";
import type { SyncResult } from "../../agent/sync/sync.ts";
import { seededRandom } from "../../core/seeded-random.ts";
import { startHarness, type Harness } from "../support/harness.ts";
import { startMotionWriter, type MotionRecord } from "../support/motion-writer.ts";
import { checkSiteEqualsTree, getObjectBytes, indexRecords, listObjects, md5, sha256 } from "../support/site-check.ts";

const FILES = Number(process.env.FILES_IN_MOTION_FILES ?? 1500);
const SEED = Number(process.env.FILES_IN_MOTION_SEED ?? 20261202);
const PREFIX = "motion/";
const PER_DIR = 25;
const TOP_DIRS = 8;
/**
 * Small, so that the test's last run can come soon after the writer stops; longer than the writer's longest
 * pause inside a write (0.9 s) with room for a loaded machine. With no window at all (0), the half-written
 * states the writer's long pauses leave on disk are read and published, and this test fails.
 */
const SETTLE_SECONDS = 2;
/** Files from this size are staged as objects of their own: the writer's big rewrites exercise that path too. */
const LARGE_FILE_BYTES = 16 * 1024;

describe(`files in motion: ${FILES} files written, rewritten, renamed and deleted while they sync`, () => {
  let h: Harness;
  /** Every complete version each path had on disk: MD5s (compared with ETags) and SHA-256s (with PUT bodies). */
  const versions = new Map<string, { md5: Set<string>; sha256: Set<string> }>();
  /** Every PUT the apply handler made to the site bucket, with the SHA-256 of its body. */
  const sitePuts: Array<{ key: string; sha256: string }> = [];

  const addVersion = (rel: string, digest: { md5: string; sha256: string }) => {
    const known = versions.get(rel) ?? { md5: new Set<string>(), sha256: new Set<string>() };
    known.md5.add(digest.md5);
    known.sha256.add(digest.sha256);
    versions.set(rel, known);
  };

  before(async () => {
    h = await startHarness({
      onCall: (_component: string, call: AwsCall) => {
        const input = call.input as { Bucket?: string; Key?: string; Body?: unknown };
        if (input.Bucket !== h?.stack.definition.siteBucket || call.command !== "PutObjectCommand") return;
        if (Buffer.isBuffer(input.Body)) sitePuts.push({ key: input.Key!, sha256: sha256(input.Body) });
      },
    });
  });
  after(() => h.close());

  /**
   * Every object under the prefix is a complete version its path had on disk (or what PostSync makes: a
   * listing, a directory marker, the error page), and so was every PUT made so far. Returns the objects checked.
   */
  async function checkOnlyCompleteVersions(records: MotionRecord[], when: string): Promise<number> {
    for (const r of records) if (r.md5 && r.sha256) addVersion(r.path, { md5: r.md5, sha256: r.sha256 });
    const [objects, index] = await Promise.all([listObjects(h.stack, PREFIX), indexRecords(h.stack, PREFIX)]);
    const listings = new Set([...index.values()].filter((r) => r.generated).map((r) => r.key));
    const directories = new Set<string>();
    for (const key of objects.keys()) {
      for (let slash = key.indexOf("/"); slash !== -1; slash = key.indexOf("/", slash + 1)) {
        directories.add(key.slice(0, slash));
      }
    }
    const wrong: string[] = [];
    let files = 0;
    for (const object of objects.values()) {
      const known = versions.get(object.key.slice(PREFIX.length));
      if (!known) {
        const generated =
          listings.has(object.key) || directories.has(object.key) || object.key.startsWith(`${PREFIX}.sitesync/`);
        if (!generated) wrong.push(`${object.key}: a path no file ever had`);
        continue;
      }
      files += 1;
      // An ETag is the MD5 of the bytes for an object written whole; read any other to know its bytes.
      const digest = /^[0-9a-f]{32}$/.test(object.etag)
        ? object.etag
        : md5((await getObjectBytes(h.stack, object.key)) ?? "");
      if (!known.md5.has(digest)) wrong.push(`${object.key}: bytes that no complete version of the file had`);
    }
    for (const put of sitePuts) {
      const known = versions.get(put.key.slice(PREFIX.length));
      if (known && !known.sha256.has(put.sha256)) wrong.push(`${put.key}: a PUT of bytes no complete version had`);
    }
    assert.deepEqual(wrong.slice(0, 20), [], `${when}: only complete versions (${wrong.length} wrong)`);
    return files;
  }

  test("the bucket only ever holds complete versions; once the writer stops, one run makes it the tree", {
    timeout: 900_000,
  }, async (t) => {
    const started = Date.now();
    const random = seededRandom(SEED);
    const root = h.tempDir();
    for (let n = 0; n < FILES; n++) {
      const rel = `t${n % TOP_DIRS}/d${Math.floor(n / (PER_DIR * TOP_DIRS))}/f${n}.html`;
      const length = n % 97 === 0 ? LARGE_FILE_BYTES + Math.floor(random() * 30_000) : 40 + Math.floor(random() * 500);
      const bytes = Buffer.from(`${rel}\n${"x".repeat(length)}`);
      mkdirSync(dirname(join(root, rel)), { recursive: true });
      writeFileSync(join(root, rel), bytes);
      addVersion(rel, { md5: md5(bytes), sha256: sha256(bytes) });
    }
    const config = h.config(root, {
      prefix: PREFIX,
      settleSeconds: SETTLE_SECONDS,
      // Renamed and deleted directories are deletions the mass-deletion guard would stop: here they are meant.
      deleteGuard: { maxShare: 1 },
      pack: { maxBytes: 1_048_576, maxFiles: 200, largeFileBytes: LARGE_FILE_BYTES },
    });
    // The tree was written just now: past the settle window first, so the first run has most of it to do.
    await sleep(SETTLE_SECONDS * 1000 + 100);

    const writer = await startMotionWriter(root, join(h.tempDir("sitesync-motion-"), "versions.jsonl"), {
      seed: SEED,
      intervalMs: 120,
    });
    const runs: Array<{ result: SyncResult; from: number; to: number }> = [];
    let stopped = false;
    try {
      for (let i = 0; i < 2; i++) {
        const from = Date.now();
        const result = await h.publish(config);
        const to = Date.now();
        runs.push({ result, from, to });
        const checked = await checkOnlyCompleteVersions(writer.records(), `run ${i + 1} (in motion)`);
        const writes = writer.records().filter((r) => r.t >= from && r.t <= to).length;
        t.diagnostic(
          `run ${i + 1} in motion: ${((to - from) / 1000).toFixed(1)} s, ${writes} versions written during it; ` +
            `put ${result.plan.put}, delete ${result.plan.delete}, settling ${result.diff.settling} at the scan and ` +
            `${result.publish?.settling ?? 0} at the read, left ${result.publish?.left.length ?? 0}; ` +
            `${checked} objects checked`,
        );
        assert.ok(writes > 0, `run ${i + 1}: the writer wrote while the run ran`);
      }
    } finally {
      const counts = await writer.stop().catch((err: Error) => ({ error: err.message }));
      stopped = true;
      t.diagnostic(`writer: ${JSON.stringify(counts)}`);
    }
    assert.ok(stopped);
    const records = writer.records();
    const kinds = new Set(records.map((r) => r.op));
    const ops = [
      "append",
      "rewrite",
      "rewrite-old-mtime",
      "truncate",
      "uploads",
      "replace",
      "rename-dir",
      "delete-dir",
    ];
    for (const op of ops) {
      assert.ok(kinds.has(op as MotionRecord["op"]), `the writer did ${op} during the runs`);
    }
    const leftForLater = runs.reduce(
      (sum, { result }) =>
        sum + result.diff.settling + (result.publish?.settling ?? 0) + (result.publish?.left.length ?? 0),
      0,
    );
    assert.ok(leftForLater > 0, "files still changing were left for a later run");

    // Past the settle window after the writer's last write: the next run publishes every file as it is now.
    const last = Math.max(...records.map((r) => r.t));
    await sleep(Math.max(0, last + SETTLE_SECONDS * 1000 + 200 - Date.now()));
    const final = await h.publish(config);
    assert.equal(final.diff.settling + (final.publish?.settling ?? 0), 0, "nothing is settling any more");
    assert.deepEqual(final.publish?.left ?? [], [], "nothing is left");
    await checkOnlyCompleteVersions(records, "after the writer stopped");
    const site = await checkSiteEqualsTree(h.stack, root, PREFIX, { compare: "get" });
    const again = await h.sync(config);
    assert.equal(again.plan.put + again.plan.delete + again.plan.resend + again.plan.record, 0, "then nothing to do");
    t.diagnostic(
      `final run: put ${final.plan.put}, delete ${final.plan.delete}; ${site.files} files equal to the tree, ` +
        `${sitePuts.length} site PUTs checked; ${((Date.now() - started) / 1000).toFixed(1)} s in all`,
    );
  });
});
